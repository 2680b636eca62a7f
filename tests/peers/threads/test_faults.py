"""Errors on demand on the Threads stand-in: Graph error codes before or after the work,
bare HTTP error pages, dropped and held connections, and hostile bodies."""

from __future__ import annotations

import threading

import pytest
import requests

from tests.peers.threads.conftest import Setup


def test_an_error_after_the_work_leaves_the_post_made_once(setup: Setup) -> None:
    graph, token = setup.graph, setup.token
    container = graph.container(token, media_type="TEXT", text="Did it go?")
    setup.peer.fail_next("POST", "/{user-id}/threads_publish", "2", after=True)
    failed = graph.publish(token, container)
    assert failed.status_code == 500
    assert failed.json()["error"]["code"] == 2
    assert failed.json()["error"]["is_transient"] is True
    posts = setup.peer.posts()
    assert len(posts) == 1
    assert graph.call("GET", f"/{container}", token,
                      params={"fields": "status"}).json()["status"] == "PUBLISHED"
    assert graph.publish(token, container).status_code == 400  # never a second post
    assert len(setup.peer.posts()) == 1


def test_a_dropped_answer_after_publishing(setup: Setup) -> None:
    container = setup.graph.container(setup.token, media_type="TEXT", text="lost answer")
    setup.peer.fail_next("POST", "/me/threads_publish", "drop_after")
    with pytest.raises(requests.ConnectionError):
        setup.graph.publish(setup.token, container)
    assert len(setup.peer.posts()) == 1


def test_a_drop_before_does_nothing(setup: Setup) -> None:
    setup.peer.fail_next("POST", "/{user-id}/threads", "drop")
    with pytest.raises(requests.ConnectionError):
        setup.graph.call("POST", "/me/threads", setup.token,
                         data={"media_type": "TEXT", "text": "x"})
    assert setup.peer.containers() == []


def test_graph_error_codes_on_demand(setup: Setup) -> None:
    graph, token = setup.graph, setup.token
    setup.peer.fail_next("GET", "/me", "4")
    limited = graph.call("GET", "/me", token).json()["error"]
    assert (limited["code"], limited["message"]) == (4, "(#4) Application request limit "
                                                        "reached")
    setup.peer.fail_next("GET", "/v1.0/me", "190", subcode=460)
    changed = graph.call("GET", "/me", token).json()["error"]
    assert (changed["code"], changed["error_subcode"]) == (190, 460)
    still = graph.call("GET", "/me", token).json()["error"]
    assert still["error_subcode"] == 460  # the token stays broken


def test_bare_error_pages_and_held_connections(setup: Setup) -> None:
    setup.peer.fail_next("GET", "/{user-id}/threads", "503")
    page = setup.graph.call("GET", "/me/threads", setup.token)
    assert page.status_code == 503
    assert page.headers["content-type"].startswith("text/html")
    setup.peer.fail_next("GET", "/{user-id}/threads", "hold")
    outcome: list[object] = []
    started = threading.Event()

    def call() -> None:
        started.set()
        try:
            outcome.append(setup.graph.call("GET", "/me/threads", setup.token))
        except requests.ConnectionError as exc:
            outcome.append(exc)

    worker = threading.Thread(target=call)
    worker.start()
    started.wait()
    while not any(r.get("path") == "/v1.0/me/threads" and "status" not in r
                  for r in setup.peer.requests()):
        threading.Event().wait(0.01)  # the request reached the stand-in
    setup.peer.clear_faults()
    worker.join()
    assert isinstance(outcome[0], requests.ConnectionError)


def test_hostile_bodies_are_refused_and_recorded(setup: Setup) -> None:
    bad_json = setup.graph.call("POST", "/me/threads", setup.token, data=b"{nope",
                                headers={"Content-Type": "application/json"})
    assert bad_json.status_code == 400
    odd = setup.graph.call("POST", "/me/threads", setup.token, data=b"x",
                           headers={"Content-Type": "text/csv"})
    assert odd.status_code == 400
    assert len(setup.peer.protocol_errors(clear=True)) == 2
    assert setup.graph.call("GET", "/me", setup.token).status_code == 200


def test_a_container_ends_in_error_on_demand(setup: Setup) -> None:
    setup.peer.fail_next("POST", "/{user-id}/threads", "container_error",
                         error_message="INVALID_DURATION")
    container = setup.graph.container(setup.token, media_type="TEXT", text="doomed")
    status = setup.graph.call("GET", f"/{container}", setup.token,
                              params={"fields": "status,error_message"}).json()
    assert status == {"id": container, "status": "ERROR", "error_message": "INVALID_DURATION"}
    assert setup.graph.publish(setup.token, container).status_code == 400
    setup.peer.protocol_errors(clear=True)
    assert setup.peer.posts() == []
    with pytest.raises(AssertionError):
        setup.peer.fail_next("POST", "/{user-id}/threads", "container_error",
                             error_message="SOMETHING_ELSE")
