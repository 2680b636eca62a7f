"""Request bodies are limited while they stream in, per route, before Django spools them: a real
`hubbub serve` and raw sockets, as an attacker would send them."""

from __future__ import annotations

import select
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from tests.security.edge import (
    Served,
    body_of,
    connect,
    largest_temp_file,
    read_answer,
    serve,
    status_of,
)

MB = 1024 * 1024


@pytest.fixture(scope="module")
def hub(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    with serve(tmp_path_factory.mktemp("edge")) as served:
        yield served


def _head(path: str, extra: str) -> bytes:
    return (f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n"
            f"Content-Type: application/x-www-form-urlencoded\r\n{extra}\r\n").encode()


def test_a_chunked_body_is_cut_off_just_past_the_limit_without_a_temp_file(hub: Served) -> None:
    sock = connect(hub)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 64 * 1024)
    sock.sendall(_head("/accounts/login/", "Transfer-Encoding: chunked\r\n"))
    piece = b"a" * (64 * 1024)
    chunk = f"{len(piece):x}\r\n".encode() + piece + b"\r\n"
    sent = 0
    largest = 0
    answered_meanwhile = False
    # 50 MB, stopping when the server answers or drops the connection.
    while sent < 50 * MB:
        if select.select([sock], [], [], 0)[0]:
            break
        try:
            sock.sendall(chunk)
        except (BrokenPipeError, ConnectionResetError):
            break
        sent += len(piece)
        if sent % MB == 0:
            largest = max(largest, largest_temp_file(hub))
        if sent == 4 * MB and not answered_meanwhile:
            # Other people are served while this goes on.
            assert requests.get(f"{hub.url}/accounts/login/", timeout=60).status_code == 200
            answered_meanwhile = True
    response = read_answer(sock)
    sock.close()
    assert status_of(response) == 413
    assert "too large" in body_of(response)
    assert "1 MB" in body_of(response)
    # The server stopped reading soon after 1 MB: what got out is that plus socket buffers.
    assert sent < 16 * MB, f"{sent // MB} MB were accepted"
    assert largest < MB, f"a {largest} byte temp file was written"
    assert requests.get(f"{hub.url}/accounts/login/", timeout=60).status_code == 200


def test_a_body_announced_too_large_is_refused_before_any_of_it_is_read(hub: Served) -> None:
    sock = connect(hub)
    sock.sendall(_head("/accounts/login/", f"Content-Length: {200 * MB}\r\n"))
    response = read_answer(sock)  # not a byte of the body was sent
    sock.close()
    assert status_of(response) == 413
    assert "at most 1 MB" in body_of(response)


def test_a_client_that_sends_its_whole_body_first_still_reads_the_refusal(hub: Served) -> None:
    """A browser sends all of a form before it looks for an answer. The hub answers 413 early and
    then reads and drops the rest, so the browser sees the sentence, not a reset connection; the
    connection then serves the next request."""
    sock = connect(hub)
    body = b"a" * (8 * MB)
    sock.sendall(_head("/accounts/login/", f"Content-Length: {len(body)}\r\n") + body)
    response = read_answer(sock)
    assert status_of(response) == 413
    assert "at most 1 MB" in body_of(response)
    sock.sendall(b"GET /accounts/login/ HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
    assert status_of(read_answer(sock)) in (200, 302)  # the page, or to set-up first
    sock.close()


def test_draining_a_refused_body_is_bounded(tmp_path: Path) -> None:
    """After a refusal the rest of a body is read and dropped for at most the body timeout: a
    client that keeps trickling is then cut off."""
    with serve(tmp_path, HUBBUB_BODY_TIMEOUT_SECONDS="1") as quick:
        sock = connect(quick)
        sock.sendall(_head("/accounts/login/", f"Content-Length: {200 * MB}\r\n"))
        assert status_of(read_answer(sock)) == 413
        closed = False
        while not closed:  # ends when the hub closes; NEVER is the socket's safety net
            try:
                sock.sendall(b"a" * 1024)
            except (BrokenPipeError, ConnectionResetError):
                closed = True
                break
            if select.select([sock], [], [], 0.2)[0]:
                try:
                    closed = sock.recv(1) == b""
                except ConnectionResetError:
                    closed = True
        sock.close()
        assert closed


def test_a_script_gets_the_refusal_as_json(hub: Served) -> None:
    sock = connect(hub)
    sock.sendall(_head("/compose/count/",
                       f"Content-Length: {2 * MB}\r\nX-Requested-With: fetch\r\n"))
    response = read_answer(sock)
    sock.close()
    assert status_of(response) == 413
    assert b"application/json" in response.partition(b"\r\n\r\n")[0]
    assert '"error": "That is too large' in body_of(response)


def test_pages_that_take_files_take_more_from_someone_signed_in(hub: Served) -> None:
    body = b"a" * (2 * MB)
    kind = {"Content-Type": "application/octet-stream"}
    signed_in = hub.signed_in()
    for path in ("/", "/compose/panel/", "/compose/autosave/", "/import/"):
        # The composer (page and deck panel) and the import take uploads: 2 MB goes through
        # to Django (whose CSRF check refuses this one).
        answer = signed_in.post(f"{hub.url}{path}", data=body, headers=kind, timeout=60,
                                allow_redirects=False)
        assert answer.status_code == 403, path
        # A visitor would only be sent to log in: no upload from them is read past 1 MB.
        visitor = requests.post(f"{hub.url}{path}", data=body, headers=kind, timeout=60,
                                allow_redirects=False)
        assert visitor.status_code == 413, path
    refused = signed_in.post(f"{hub.url}/accounts/login/", data=body, headers=kind, timeout=60)
    assert refused.status_code == 413


def test_an_upload_over_the_upload_limit_is_refused_naming_it(tmp_path: Path) -> None:
    with serve(tmp_path, HUBBUB_MAX_UPLOAD_BYTES=str(3 * MB)) as small:
        session = small.signed_in().cookies["sessionid"]
        sock = connect(small)
        sock.sendall(_head("/import/", f"Content-Length: {3 * MB + 1}\r\n"
                                       f"Cookie: sessionid={session}\r\n"))
        response = read_answer(sock)
        sock.close()
    assert status_of(response) == 413
    assert "at most 3 MB" in body_of(response)
