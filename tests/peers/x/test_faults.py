"""Faults, rate limits, access levels, credits and OpenAPI validation on the stand-in."""

from __future__ import annotations

import socket
import time

import pytest
import requests

from tests.peers.x.conftest import Client
from tests.peers.x.peer import XPeer


def test_every_answer_carries_the_rate_limit_headers(client: Client) -> None:
    first = client.post("one")
    second = client.post("two")
    assert first.headers["x-rate-limit-limit"] == "100"  # POST /2/tweets: 100 per 15 min
    assert int(second.headers["x-rate-limit-remaining"]) == 98
    reset = int(first.headers["x-rate-limit-reset"])
    assert time.time() < reset <= time.time() + 900


def test_a_spent_window_answers_429_until_reset(x_peer: XPeer, client: Client) -> None:
    path = f"/2/users/{client.user.id}/mentions"
    x_peer.set_rate_limit("GET", "/2/users/{id}/mentions", 2)
    assert [client.call("GET", path).status_code for _ in range(2)] == [200, 200]
    refused = client.call("GET", path)
    assert refused.status_code == 429
    assert refused.headers["x-rate-limit-remaining"] == "0"
    assert int(refused.headers["x-rate-limit-reset"]) > time.time()
    assert refused.json()["title"] == "Too Many Requests"
    # Other endpoints have their own windows; switching limits off lets everything through.
    assert client.call("GET", "/2/users/me").status_code == 200
    x_peer.settings(rate_limits_enabled=False)
    assert client.call("GET", path).status_code == 200


@pytest.mark.parametrize(("kind", "status"), [("500", 500), ("503", 503), ("402", 402),
                                              ("usage_cap", 429), ("401", 401)])
def test_injected_answers_hit_the_next_request_only(x_peer: XPeer, client: Client, kind: str,
                                                    status: int) -> None:
    x_peer.fail_next("POST", "/2/tweets", kind)
    failed = client.post("first try")
    assert failed.status_code == status
    assert failed.headers["Content-Type"].startswith("application/problem+json")
    assert x_peer.posts(client.user) == []
    assert client.post("first try").status_code == 201


def test_a_429_fault_carries_the_reset_it_was_given(x_peer: XPeer, client: Client) -> None:
    reset = int(time.time()) + 120
    x_peer.fail_next("GET", "/2/users/{id}/mentions", "429", reset=reset)
    answer = client.call("GET", f"/2/users/{client.user.id}/mentions")
    assert answer.status_code == 429
    assert answer.headers["x-rate-limit-reset"] == str(reset)


def test_a_connection_dropped_after_the_post_was_made(x_peer: XPeer, client: Client) -> None:
    x_peer.fail_next("POST", "/2/tweets", "drop_after")
    with pytest.raises(requests.ConnectionError):
        client.post("did it go out?")
    assert [p["text"] for p in x_peer.posts(client.user)] == ["did it go out?"]
    assert client.post("did it go out?").status_code == 403  # duplicate: it did


def test_a_connection_dropped_before_anything_happened(x_peer: XPeer, client: Client) -> None:
    x_peer.fail_next("POST", "/2/tweets", "drop")
    with pytest.raises(requests.ConnectionError):
        client.post("lost")
    assert x_peer.posts(client.user) == []


def test_a_held_connection_times_the_client_out(x_peer: XPeer, client: Client) -> None:
    x_peer.fail_next("POST", "/2/tweets", "hold_after", seconds=30)
    with pytest.raises(requests.Timeout):
        requests.post(x_peer.base_url + "/2/tweets", json={"text": "slow"}, timeout=0.5,
                      headers={"Authorization": f"Bearer {client.token}"})
    x_peer.clear_faults()  # lets the held connection go
    deadline = time.monotonic() + 30  # the server handled it before holding: wait for that
    while not x_peer.posts(client.user) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert [p["text"] for p in x_peer.posts(client.user)] == ["slow"]


def test_the_free_level_cannot_read_timelines(x_peer: XPeer, client: Client) -> None:
    x_peer.settings(access_level="free")
    refused = client.call("GET", f"/2/users/{client.user.id}/tweets")
    assert refused.status_code == 403
    body = refused.json()
    assert body["type"] == "https://api.twitter.com/2/problems/client-forbidden"
    assert body["reason"] == "client-not-enrolled"
    assert client.post("writing still works").status_code == 201


def test_credits_run_out_with_a_402(x_peer: XPeer, client: Client) -> None:
    x_peer.settings(credits=2)
    assert client.post("a").status_code == 201
    assert client.call("GET", "/2/users/me").status_code == 200
    depleted = client.post("b")
    assert depleted.status_code == 402
    assert depleted.json()["title"] == "CreditsDepleted"


def test_a_missing_scope_is_forbidden(x_peer: XPeer) -> None:
    user = x_peer.create_user()
    app = x_peer.create_app("http://127.0.0.1:8000/cb")
    reader = Client(x_peer, user, x_peer.token_for(user, app, "tweet.read users.read")
                    .access_token)
    assert reader.post("no tweet.write").status_code == 403
    assert reader.call("GET", "/2/users/me").status_code == 200


def test_a_malformed_request_is_answered_400_and_recorded(x_peer: XPeer, client: Client) -> None:
    wrong = client.call("GET", f"/2/users/{client.user.id}/tweets",
                        params={"max_results": "500", "tweet.feilds": "created_at"})
    assert wrong.status_code == 400
    assert wrong.json()["type"] == "https://api.twitter.com/2/problems/invalid-request"
    bad_body = client.call("POST", "/2/tweets", json={"text": "x", "reply_to": "1"})
    assert bad_body.status_code == 400
    recorded = x_peer.validation_errors(clear=True)
    assert [r["operation"] for r in recorded] == ["/2/users/{id}/tweets", "/2/tweets"]
    assert any("500 is greater than the maximum of 100" in e for e in recorded[0]["errors"])
    assert any("'tweet.feilds' is not a parameter" in e for e in recorded[0]["errors"])
    assert any("'reply_to' was unexpected" in e for e in recorded[1]["errors"])
    assert x_peer.validation_errors() == []


def test_requests_without_credentials_are_recorded_too(x_peer: XPeer) -> None:
    answer = requests.get(x_peer.base_url + "/2/users/me", timeout=10)
    assert answer.status_code == 401
    recorded = x_peer.validation_errors(clear=True)
    assert "no credentials" in recorded[0]["errors"][0]


def test_hostile_bodies_get_a_clear_400_and_the_server_carries_on(
        x_peer: XPeer, client: Client) -> None:
    bodies = [
        ("application/json", b"{not json"),
        ("application/json", b"[1, 2, 3]"),
        ("application/json", b'{"text": 5}'),
        ("application/json", b'{"reply": "5", "text": "x"}'),
        ("text/plain", b"hello"),
    ]
    for content_type, raw in bodies:
        answer = client.call("POST", "/2/tweets", data=raw,
                             headers={"Content-Type": content_type})
        assert answer.status_code == 400, (raw, answer.text)
    broken = client.call("POST", "/2/media/upload", data=b"--x\r\n\r\n--x--",
                         headers={"Content-Type": "multipart/form-data; boundary=x"})
    assert broken.status_code == 400
    with socket.create_connection(("127.0.0.1", x_peer.process.port), timeout=10) as conn:
        conn.sendall(b"POST /2/tweets HTTP/1.1\r\nHost: x\r\nContent-Length: lots\r\n\r\n")
        assert conn.recv(100).startswith(b"HTTP/1.1 400")
    assert len(x_peer.validation_errors(clear=True)) == len(bodies) + 1
    assert client.post("still here").status_code == 201
