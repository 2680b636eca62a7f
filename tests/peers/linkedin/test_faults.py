"""Header enforcement, tokens that stop working, daily limits and faults on demand."""

from __future__ import annotations

import socket
import threading

import pytest
import requests

from tests.peers.linkedin.conftest import Client
from tests.peers.linkedin.peer import encoded


def test_a_missing_version_header_is_400_version_missing(client: Client) -> None:
    answer = client.call("GET", "/rest/organizationAcls?q=roleAssignee", version=None)
    assert answer.status_code == 400
    assert answer.json()["code"] == "VERSION_MISSING"
    assert [e["status"] for e in client.peer.protocol_errors(clear=True)] == [400]


@pytest.mark.parametrize("version", ["202001", "20250401", "soon"])
def test_an_inactive_version_is_426(client: Client, version: str) -> None:
    answer = client.post("hello", headers={"LinkedIn-Version": version})
    assert answer.status_code == 426
    assert answer.json() == {"status": 426, "code": "NONEXISTENT_VERSION",
                             "message": f"Requested version {version} is not active"}
    assert len(client.peer.protocol_errors(clear=True)) == 1
    assert client.peer.posts() == []


def test_the_versions_the_stand_in_takes_can_be_set(client: Client) -> None:
    client.peer.settings(versions=["202401"])
    assert client.post("hello").status_code == 426
    assert client.post("hello", headers={"LinkedIn-Version": "202401.03"}).status_code == 201
    client.peer.protocol_errors(clear=True)


def test_the_restli_protocol_header_is_required(client: Client) -> None:
    answer = client.call("GET", "/rest/organizationAcls?q=roleAssignee", restli=None)
    assert answer.status_code == 400
    assert "X-Restli-Protocol-Version" in client.peer.protocol_errors(clear=True)[0]["rule"]


def test_an_unknown_resource_is_recorded(client: Client) -> None:
    assert client.call("GET", "/rest/ugcPosts").status_code == 404
    assert len(client.peer.protocol_errors(clear=True)) == 1


def test_expired_and_revoked_tokens_get_401_with_linkedins_body(client: Client) -> None:
    client.peer.expire_tokens()
    expired = client.post("hello")
    assert expired.status_code == 401
    assert expired.json()["serviceErrorCode"] == 65602
    assert client.call("GET", "/rest/posts", headers={"Authorization": "Bearer x"}).json()[
        "code"] == "INVALID_ACCESS_TOKEN"


def test_the_member_daily_limit_is_429(client: Client) -> None:
    client.peer.set_daily_limit("POST", "/rest/posts", member=2, application=100)
    assert client.post("one").status_code == 201
    assert client.post("two").status_code == 201
    third = client.post("three")
    assert third.status_code == 429
    assert third.json()["message"] == ("Resource level throttle MEMBER DAY limit for calls to "
                                       "this resource is reached.")
    assert len(client.peer.posts()) == 2


def test_the_application_daily_limit_is_429(client: Client) -> None:
    client.peer.set_daily_limit("POST", "/rest/posts", member=None, application=1)
    assert client.post("one").status_code == 201
    assert "APPLICATION DAY" in client.post("two").json()["message"]


@pytest.mark.parametrize("kind", ["500", "502", "503", "504"])
def test_server_errors_on_demand_do_nothing(client: Client, kind: str) -> None:
    client.peer.fail_next("POST", "/rest/posts", kind)
    answer = client.post("hello")
    assert answer.status_code == int(kind)
    assert client.peer.posts() == []
    assert client.post("hello").status_code == 201


def test_a_fault_on_a_template_and_a_429_on_demand(client: Client) -> None:
    urn = client.post("hello").headers["x-restli-id"]
    client.peer.fail_next("GET", "/rest/posts/{urn}", "429", limit="MEMBER")
    assert client.get_post(urn).status_code == 429
    client.peer.fail_next("GET", "/rest/posts/{urn}", "401", reason="revoked")
    assert client.get_post(urn).json()["code"] == "REVOKED_ACCESS_TOKEN"
    assert client.get_post(urn).status_code == 200


def test_drop_after_publishes_but_no_answer_arrives(client: Client) -> None:
    client.peer.fail_next("POST", "/rest/posts", "drop_after")
    with pytest.raises(requests.ConnectionError):
        client.post("lost answer")
    assert [p["sent_commentary"] for p in client.peer.posts()] == ["lost answer"]
    again = client.post("lost answer")
    assert again.status_code == 422
    assert client.peer.posts()[0]["urn"] in again.json()["message"]


def test_drop_before_does_nothing(client: Client) -> None:
    client.peer.fail_next("POST", "/rest/posts", "drop")
    with pytest.raises(requests.ConnectionError):
        client.post("never")
    assert client.peer.posts() == []


def test_hold_keeps_the_connection_until_cleared(client: Client) -> None:
    client.peer.fail_next("DELETE", "/rest/posts/{urn}", "hold", seconds=300)
    urn = client.post("held").headers["x-restli-id"]
    outcome: list[object] = []

    def delete() -> None:
        try:
            outcome.append(client.call("DELETE", f"/rest/posts/{encoded(urn)}"))
        except requests.ConnectionError as exc:
            outcome.append(exc)

    worker = threading.Thread(target=delete)
    worker.start()
    while not any(r["method"] == "DELETE" for r in client.peer.requests()):
        worker.join(0.01)  # the stand-in has not seen the request yet
    assert worker.is_alive()
    assert outcome == []
    client.peer.clear_faults()
    worker.join()
    assert isinstance(outcome[0], requests.ConnectionError)
    assert client.get_post(urn).status_code == 200  # held before handling: not deleted


def test_hostile_framing_is_answered_400_and_the_server_carries_on(client: Client) -> None:
    host, port = client.peer.base_url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=10) as raw:
        raw.sendall(b"POST /rest/posts HTTP/1.1\r\nHost: x\r\nContent-Length: lots\r\n\r\n")
        head = raw.recv(4096)
    assert head.startswith(b"HTTP/1.1 400")
    assert client.post("still alive").status_code == 201


HOSTILE_BODIES: list[bytes] = [
    b"", b"null", b"[]", b"42", b'"text"', b"{nope", b"\xff\xfe\x00", b'{"author": []}',
    b'{"author": "urn:li:person:x", "distribution": [], "visibility": 1, '
    b'"lifecycleState": {}}',
    b'{"initializeUploadRequest": []}', b'{"actor": 1, "message": "x"}',
    b'{"actor": "urn:li:person:x", "message": {"text": ["x"]}}',
    b'{"content": {"media": "x"}, "author": "urn:li:person:x"}',
]


@pytest.mark.parametrize("path", [
    "/rest/posts", "/rest/images?action=initializeUpload",
    "/rest/socialActions/{post}/comments",
])
def test_hostile_bodies_get_a_4xx_that_says_why_and_nothing_is_kept(client: Client,
                                                                   path: str) -> None:
    post = client.post("keep me").headers["x-restli-id"]
    target = path.replace("{post}", encoded(post))
    for raw in HOSTILE_BODIES:
        answer = client.call("POST", target, data=raw,
                             headers={"Content-Type": "application/json"})
        assert 400 <= answer.status_code < 500, (raw, answer.status_code, answer.text)
        assert answer.json()["message"]
    errors = client.peer.protocol_errors(clear=True)
    assert len(errors) == len(HOSTILE_BODIES)
    assert not [e for e in errors if e["rule"].startswith("the stand-in failed")]
    assert len(client.peer.posts()) == 1
    assert client.peer.images() == []
    assert client.peer.comments() == []


def test_hostile_queries_and_paths_get_a_4xx(client: Client) -> None:
    for path in ["/rest/posts?q=author&author=%ZZ", "/rest/posts?q=author&author=urn%3Ali%3Ax",
                 "/rest/posts?q=author&author=x&count=-1", "/rest/posts?ids=List(",
                 "/rest/posts?q=author&author=" + encoded(client.member.urn) + "&count=abc",
                 "/rest/posts/%FF%FE", "/rest/organizations/abc",
                 "/rest/organizations?ids=List(1%2C2", "/rest/organizationAcls?q=x",
                 "/rest/organizationAcls?q=roleAssignee&role=KING",
                 "/rest/images/urn%3Ali%3Aimage%3A%00"]:
        answer = client.call("GET", path)
        assert 400 <= answer.status_code < 500, (path, answer.status_code, answer.text)
    errors = client.peer.protocol_errors(clear=True)
    assert not [e for e in errors if e["rule"].startswith("the stand-in failed")]
