"""Errors and limits on the stand-in: Meta's error object for each fault kind, usage headers
that grow with calls and the rate-limit errors once a budget is spent, blocks, dropped and
held connections, and hostile bodies answered with (#100) while the server carries on."""

from __future__ import annotations

import json
import socket

import pytest
import requests

from tests.peers.facebook.conftest import Setup


def _post(setup: Setup, message: str = "hello") -> requests.Response:
    return setup.graph.call("POST", f"/{setup.page.id}/feed", setup.page_token,
                            data={"message": message})


@pytest.mark.parametrize(("kind", "status", "code", "subcode"), [
    ("190", 400, 190, 463), ("4", 400, 4, None), ("17", 400, 17, None),
    ("32", 400, 32, None), ("613", 400, 613, None), ("368", 400, 368, 1390008),
    ("200", 400, 200, None), ("10", 403, 10, None), ("100", 400, 100, None),
    ("506", 400, 506, None), ("1", 500, 1, None), ("2", 500, 2, None),
])
def test_fault_kinds_answer_metas_error_object(setup: Setup, kind: str, status: int,
                                               code: int, subcode: int | None) -> None:
    setup.peer.fail_next("POST", "/{page-id}/feed", kind)
    answer = _post(setup)
    error = answer.json()["error"]
    assert answer.status_code == status
    assert error["code"] == code
    assert error.get("error_subcode") == subcode
    assert error["type"]
    assert error["fbtrace_id"]
    assert setup.peer.posts() == []
    if kind in {"4", "17", "613"}:
        assert json.loads(answer.headers["X-Business-Use-Case-Usage"])[setup.page.id][0][
            "call_count"] >= 100
    if kind != "190":
        assert _post(setup).status_code == 200  # one fault, then normal again


@pytest.mark.parametrize("subcode", [460, 458, 467])
def test_token_fault_subcodes(setup: Setup, subcode: int) -> None:
    setup.peer.fail_next("GET", "/me", "190", subcode=subcode)
    error = setup.graph.call("GET", "/me", setup.user_token).json()["error"]
    assert (error["code"], error["error_subcode"]) == (190, subcode)
    # the token stays broken afterwards, as a real one would
    assert setup.graph.call("GET", "/me", setup.user_token).json()["error"][
        "error_subcode"] == subcode


def test_app_usage_grows_then_code_4(setup: Setup) -> None:
    setup.peer.settings(app_calls_per_hour=10)
    seen = []
    for _ in range(10):
        answer = setup.graph.call("GET", "/me", setup.user_token)
        assert answer.status_code == 200
        seen.append(json.loads(answer.headers["X-App-Usage"])["call_count"])
    assert seen == list(range(10, 101, 10))
    over = setup.graph.call("GET", "/me", setup.user_token)
    assert over.json()["error"]["code"] == 4
    assert over.json()["error"]["is_transient"] is True
    usage = json.loads(over.headers["X-App-Usage"])
    assert usage["call_count"] >= 100
    assert set(usage) == {"call_count", "total_cputime", "total_time"}


def test_page_usage_header_then_code_32(setup: Setup) -> None:
    setup.peer.settings(page_calls_per_day=4)
    for n in range(4):
        answer = _post(setup, f"post {n}")
        assert answer.status_code == 200
        usage = json.loads(answer.headers["X-Business-Use-Case-Usage"])[setup.page.id][0]
        assert usage["type"] == "pages"
        assert usage["call_count"] == 25 * (n + 1)
    over = _post(setup, "one too many")
    assert over.json()["error"]["code"] == 32
    usage = json.loads(over.headers["X-Business-Use-Case-Usage"])[setup.page.id][0]
    assert usage["estimated_time_to_regain_access"] > 0
    assert len(setup.peer.posts()) == 4


def test_usage_headers_only_once_enough_calls(setup: Setup) -> None:
    setup.peer.settings(usage_header_from=50, app_calls_per_hour=4)
    first = setup.graph.call("GET", "/me", setup.user_token)
    assert "X-App-Usage" not in first.headers
    second = setup.graph.call("GET", "/me", setup.user_token)
    assert json.loads(second.headers["X-App-Usage"])["call_count"] == 50


def test_blocked_page_answers_368(setup: Setup) -> None:
    setup.peer.block_page(setup.page)
    error = _post(setup).json()["error"]
    assert error["code"] == 368
    assert error["error_user_title"]
    setup.peer.block_page(setup.page, False)
    assert _post(setup).status_code == 200


def test_drop_after_posts_but_no_answer(setup: Setup) -> None:
    setup.peer.fail_next("POST", "/{page-id}/feed", "drop_after")
    with pytest.raises(requests.ConnectionError):
        _post(setup, "lost answer")
    assert [p["message"] for p in setup.peer.posts()] == ["lost answer"]
    setup.peer.fail_next("POST", f"/v26.0/{setup.page.id}/feed", "drop")
    with pytest.raises(requests.ConnectionError):
        _post(setup, "never made")
    assert len(setup.peer.posts()) == 1


def test_hold_until_cleared(setup: Setup) -> None:
    setup.peer.fail_next("GET", "/me", "hold", seconds=60)
    with pytest.raises(requests.Timeout):
        requests.get(setup.peer.graph_url + "/me", params={"access_token": setup.user_token},
                     timeout=0.5)
    setup.peer.clear_faults()
    assert setup.graph.call("GET", "/me", setup.user_token).status_code == 200


def test_bare_http_500(setup: Setup) -> None:
    setup.peer.fail_next("POST", "/{page-id}/feed", "503")
    answer = _post(setup)
    assert answer.status_code == 503
    assert answer.headers["Content-Type"].startswith("text/html")
    assert setup.peer.posts() == []


@pytest.mark.parametrize(("content_type", "body"), [
    ("application/json", b"{not json"),
    ("application/json", b"[1, 2]"),
    ("multipart/form-data; boundary=zz", b"--zz\r\nbroken"),
    ("application/x-www-form-urlencoded", b"message=%FF%FE"),
    ("text/plain", b"message=hi"),
])
def test_hostile_bodies_get_100_and_the_server_carries_on(setup: Setup, content_type: str,
                                                          body: bytes) -> None:
    answer = requests.post(f"{setup.peer.graph_url}/{setup.page.id}/feed",
                           params={"access_token": setup.page_token}, data=body,
                           headers={"Content-Type": content_type}, timeout=30)
    assert answer.status_code == 400
    assert answer.json()["error"]["code"] == 100
    assert setup.peer.posts() == []
    assert setup.peer.protocol_errors(clear=True)
    assert _post(setup).status_code == 200


def test_bad_content_length_and_raw_garbage(setup: Setup) -> None:
    host, port = setup.peer.base_url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=10) as raw:
        raw.sendall(b"POST /v26.0/me HTTP/1.1\r\nHost: x\r\nContent-Length: many\r\n\r\n")
        assert raw.recv(1000).startswith(b"HTTP/1.1 400")
    assert setup.graph.call("GET", "/me", setup.user_token).status_code == 200


def test_missing_and_unknown_tokens(setup: Setup) -> None:
    none = setup.graph.call("GET", "/me").json()["error"]
    assert none["code"] == 104
    bad = setup.graph.call("GET", "/me", "EAAnotatoken").json()["error"]
    assert bad["code"] == 190
    assert "error_subcode" not in bad
    assert [e["rule"] for e in setup.peer.protocol_errors(clear=True)] == ["no access token"]


def test_appsecret_proof(setup: Setup) -> None:
    import hashlib
    import hmac
    proof = hmac.new(setup.app.app_secret.encode(), setup.user_token.encode(),
                     hashlib.sha256).hexdigest()
    ok = setup.graph.call("GET", "/me", setup.user_token, params={"appsecret_proof": proof})
    assert ok.status_code == 200
    bad = setup.graph.call("GET", "/me", setup.user_token, params={"appsecret_proof": "00"})
    assert bad.json()["error"]["message"] == "Invalid appsecret_proof provided in the API " \
        "argument"
    setup.peer.protocol_errors(clear=True)


def test_unlisted_parameter_is_recorded(setup: Setup) -> None:
    answer = setup.graph.call("POST", f"/{setup.page.id}/feed", setup.page_token,
                              data={"message": "hi", "caption": "not on /feed"})
    assert answer.status_code == 200  # Graph ignores it...
    rules = [e["rule"] for e in setup.peer.protocol_errors(clear=True)]
    assert rules == ["POST /{page-id}/feed does not take caption"]  # ...the stand-in tells


def test_query_not_utf8(setup: Setup) -> None:
    answer = requests.get(f"{setup.peer.graph_url}/me?access_token={setup.user_token}"
                          "&fields=%FF", timeout=30)
    assert answer.json()["error"]["code"] == 100
    assert setup.peer.protocol_errors(clear=True)[0]["rule"] == "a query string not in UTF-8"
