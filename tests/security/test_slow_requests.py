"""Slow requests: a head or a body that stops arriving does not hold a connection. The bounds
are set small through the environment; each test waits for the server to close the connection
(recv returning b''), never on a clock of its own."""

from __future__ import annotations

import select
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from tests.security.edge import Served, body_of, connect, read_until_closed, serve, status_of


@pytest.fixture(scope="module")
def hub(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    with serve(tmp_path_factory.mktemp("slow"), HUBBUB_HEADER_TIMEOUT_SECONDS="1",
               HUBBUB_BODY_TIMEOUT_SECONDS="1") as served:
        yield served


def test_an_incomplete_head_is_answered_408_and_closed(hub: Served) -> None:
    sock = connect(hub)
    sock.sendall(b"POST /accounts/login/ HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ")
    response = read_until_closed(sock)
    sock.close()
    assert status_of(response) == 408
    assert "headers took too long" in body_of(response)


def test_a_connection_that_sends_nothing_is_closed(hub: Served) -> None:
    sock = connect(hub)
    assert read_until_closed(sock) == b""
    sock.close()


def _complete(response: bytes) -> bool:
    head, found, body = response.partition(b"\r\n\r\n")
    if not found:
        return False
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            return len(body) >= int(value)
    raise AssertionError(f"no content-length: {head!r}")


def test_a_later_head_on_a_kept_alive_connection_has_a_deadline_too(hub: Served) -> None:
    sock = connect(hub)
    sock.sendall(b"GET /accounts/login/ HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
    first = b""
    while not _complete(first):
        chunk = sock.recv(65536)
        assert chunk, f"closed before the first answer: {first[:300]!r}"
        first += chunk
    assert status_of(first) in {200, 302}
    sock.sendall(b"GET /accounts/login/ HTTP/1.1\r\nHo")  # and then nothing
    assert status_of(read_until_closed(sock)) == 408
    sock.close()


def test_a_body_that_stops_arriving_is_answered_408_and_closed(hub: Served) -> None:
    sock = connect(hub)
    sock.sendall(b"POST /accounts/login/ HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                 b"Content-Type: application/x-www-form-urlencoded\r\nContent-Length: 100\r\n"
                 b"\r\nusername=a")
    response = read_until_closed(sock)
    sock.close()
    assert status_of(response) == 408
    assert "stopped arriving" in body_of(response)


def test_a_chunked_body_that_stops_arriving_is_cut_off(hub: Served) -> None:
    sock = connect(hub)
    sock.sendall(b"POST /accounts/login/ HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                 b"Transfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n")
    assert status_of(read_until_closed(sock)) == 408
    sock.close()


def test_a_body_trickling_just_inside_each_pause_is_cut_off(tmp_path: Path) -> None:
    """One byte every 0.3 s never waits the 1 s pause out, but its pace is far under the rate
    asked for: after the grace period the hub answers 408 and closes."""
    with serve(tmp_path, HUBBUB_BODY_TIMEOUT_SECONDS="1", HUBBUB_MIN_BODY_RATE="1000") as quick:
        sock = connect(quick)
        sock.sendall(b"POST /accounts/login/ HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                     b"Content-Type: application/x-www-form-urlencoded\r\n"
                     b"Content-Length: 100000\r\n\r\n")
        sent = 0
        answer = b""
        while not answer and sent < 100_000:  # ends at the hub's answer; NEVER is the net
            try:
                sock.sendall(b"a")
            except (BrokenPipeError, ConnectionResetError):
                break
            sent += 1
            if select.select([sock], [], [], 0.3)[0]:
                answer = read_until_closed(sock)
        sock.close()
    assert status_of(answer) == 408
    assert "too slowly" in body_of(answer)


def test_slow_clients_do_not_keep_others_waiting(hub: Served) -> None:
    stalled = [connect(hub) for _ in range(20)]
    for sock in stalled:
        sock.sendall(b"POST /accounts/login/ HTTP/1.1\r\nHost: 127.0.0.1\r\n")
    assert requests.get(f"{hub.url}/accounts/login/", timeout=60).status_code == 200
    for sock in stalled:
        assert status_of(read_until_closed(sock)) == 408
        sock.close()
    # A whole request sent at an ordinary pace is unaffected.
    assert requests.get(f"{hub.url}/accounts/login/", timeout=60).status_code == 200
