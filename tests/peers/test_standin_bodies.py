"""A request whose body ends early is a client that went away (a worker killed mid-send), not
a request: the stand-ins neither act on it nor answer it, nor record it as one that broke a
documented rule (the Threads stand-in once failed the crash test with "no access token" for
a publish whose body, token included, was cut by the kill)."""

from __future__ import annotations

import socket
from urllib.parse import urlsplit

import pytest

from tests.peers.threads.peer import ThreadsPeer


def _send_and_leave(base_url: str, head: bytes, body: bytes) -> bytes:
    parts = urlsplit(base_url)
    with socket.create_connection((parts.hostname, parts.port)) as sock:
        sock.sendall(head + body)
        sock.shutdown(socket.SHUT_WR)  # gone: nothing more will come
        answer = b""
        while chunk := sock.recv(4096):
            answer += chunk
    return answer


@pytest.mark.parametrize("framing", ["length", "chunked"])
def test_a_body_cut_short_is_neither_acted_on_nor_answered(threads_peer: ThreadsPeer,
                                                            framing: str) -> None:
    user = threads_peer.create_user("ann")
    app = threads_peer.create_app(["http://127.0.0.1/cb"])
    token = threads_peer.token_for(user, app)
    body = f"media_type=TEXT&text=hello&access_token={token}".encode()
    path = f"/v1.0/{user.id}/threads"
    if framing == "length":
        head = (f"POST {path} HTTP/1.1\r\nHost: x\r\nContent-Type: "
                "application/x-www-form-urlencoded\r\n"
                f"Content-Length: {len(body)}\r\n\r\n").encode()
        sent = body[:25]  # the token never arrives
    else:
        head = (f"POST {path} HTTP/1.1\r\nHost: x\r\nContent-Type: "
                "application/x-www-form-urlencoded\r\nTransfer-Encoding: chunked\r\n\r\n").encode()
        sent = f"{len(body):x}\r\n".encode() + body[:25]
    assert _send_and_leave(threads_peer.base_url, head, sent) == b""
    assert threads_peer.protocol_errors() == []
    assert threads_peer.containers(user) == []
