"""Errors on demand and rate limits, over HTTP: Meta's error object with Instagram's codes,
usage headers, connection faults."""

from __future__ import annotations

import json
import threading

import pytest
import requests

from tests.peers.instagram.conftest import Images, Setup, jpeg


def test_error_object_shape_and_usage_header(setup: Setup) -> None:
    answer = setup.graph.get("/me", fields="username")
    usage = json.loads(answer.headers["X-Business-Use-Case-Usage"])
    row = usage[setup.ann.id][0]
    assert row["type"] == "instagram"
    assert set(row) == {"type", "call_count", "total_cputime", "total_time",
                        "estimated_time_to_regain_access"}
    setup.peer.fail_next("GET", "/me", "2207001")
    error = setup.graph.get("/me").json()["error"]
    assert set(error) >= {"message", "type", "code", "error_subcode", "fbtrace_id"}
    assert (error["code"], error["error_subcode"]) == (-1, 2207001)
    assert error["is_transient"] is True


def test_the_budget_runs_out_with_80002(setup: Setup) -> None:
    setup.peer.settings(calls_per_day=2)
    assert setup.graph.get("/me").ok
    assert setup.graph.get("/me").ok
    spent = setup.graph.get("/me")
    assert spent.status_code == 400
    assert spent.json()["error"]["code"] == 80002
    row = json.loads(spent.headers["X-Business-Use-Case-Usage"])[setup.ann.id][0]
    assert row["call_count"] >= 100
    assert row["estimated_time_to_regain_access"] >= 1


@pytest.mark.parametrize(("kind", "code"), [("4", 4), ("613", 613), ("80002", 80002),
                                            ("2207042", 9), ("2207052", 9004)])
def test_faults_answer_the_documented_codes(setup: Setup, images: Images, kind: str,
                                            code: int) -> None:
    setup.peer.fail_next("POST", "/{ig-user-id}/media", kind)
    answer = setup.graph.post(f"/{setup.ann.id}/media", image_url=images.add("a.jpg", jpeg()))
    assert answer.status_code == 400
    assert answer.json()["error"]["code"] == code
    assert setup.peer.containers() == []
    assert setup.graph.post(f"/{setup.ann.id}/media",
                            image_url=images.add("a.jpg", jpeg())).ok  # one fault, once


def test_a_fault_can_fail_the_container_instead(setup: Setup, images: Images) -> None:
    setup.peer.settings(in_progress_reads=0)
    setup.peer.fail_next("POST", f"/{setup.ann.id}/media", "2207003", in_status=True)
    cid = setup.graph.post(f"/{setup.ann.id}/media", image_url=images.add("a.jpg", jpeg()))
    body = setup.graph.get(f"/{cid.json()['id']}", fields="status_code,status").json()
    assert (body["status_code"], body["status"]) == ("ERROR", "2207003")


def test_a_190_fault_breaks_the_token_for_good(setup: Setup) -> None:
    setup.peer.fail_next("GET", "/me", "190", subcode=460)
    assert setup.graph.get("/me").json()["error"]["error_subcode"] == 460
    assert setup.graph.get("/me").json()["error"]["error_subcode"] == 460


def test_drop_after_publishes_and_cuts_the_answer(setup: Setup, images: Images) -> None:
    setup.peer.settings(in_progress_reads=0)
    cid = setup.graph.post(f"/{setup.ann.id}/media", image_url=images.add("a.jpg", jpeg()))
    setup.peer.fail_next("POST", "/{ig-user-id}/media_publish", "drop_after")
    with pytest.raises(requests.ConnectionError):
        setup.graph.post(f"/{setup.ann.id}/media_publish", creation_id=cid.json()["id"])
    assert len(setup.peer.media()) == 1  # done, though no answer came
    status = setup.graph.get(f"/{cid.json()['id']}", fields="status_code").json()
    assert status["status_code"] == "PUBLISHED"


def test_a_bare_gateway_error_page(setup: Setup) -> None:
    setup.peer.fail_next("GET", "/me", "502")
    answer = setup.graph.get("/me")
    assert answer.status_code == 502
    assert answer.headers["Content-Type"].startswith("text/html")


def test_the_container_budget(setup: Setup, images: Images) -> None:
    setup.peer.settings(containers_per_day=1)
    url = images.add("a.jpg", jpeg())
    assert setup.graph.post(f"/{setup.ann.id}/media", image_url=url).ok
    over = setup.graph.post(f"/{setup.ann.id}/media", image_url=url)
    assert over.status_code == 400
    assert over.json()["error"]["code"] == 4
    assert images.hits == ["a.jpg"]  # refused before fetching


def test_a_held_request_is_let_go_by_clear_faults(setup: Setup) -> None:
    setup.peer.fail_next("GET", "/me", "hold")
    outcome: list[BaseException | int] = []

    def call() -> None:
        try:
            outcome.append(setup.graph.get("/me").status_code)
        except requests.RequestException as exc:
            outcome.append(exc)

    worker = threading.Thread(target=call)
    worker.start()
    seen = setup.peer.requests()
    while not any(r["path"].endswith("/me") for r in seen):
        seen = setup.peer.requests()
    setup.peer.clear_faults()
    worker.join(30)
    assert isinstance(outcome[0], requests.ConnectionError)
    assert setup.graph.get("/me").status_code == 200
