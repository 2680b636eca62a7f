"""A real `hubbub serve` (web only) for the edge tests, and raw-socket helpers to talk to it the
way a hostile or careless client does."""

from __future__ import annotations

import shutil
import socket
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import requests

from tests.integration.hubproc import Hub, wait_serving

# Long enough for any loaded machine; only a safety net so a server that never answers fails
# the test instead of hanging it. The bounds under test are set far smaller through the env.
NEVER = 120.0


@dataclass
class Served:
    proc: subprocess.Popen[bytes]
    port: int
    url: str
    tmp: Path  # the hub's TMPDIR: where Django's spooled request bodies would go
    hub: Hub

    def signed_in(self, name: str = "owner") -> requests.Session:
        """A browser session of a user made through the command line."""
        password = "a long enough password 7"
        self.hub.run("createuser", name, "--password-stdin", stdin=password + "\n")
        session = requests.Session()
        session.get(f"{self.url}/accounts/login/", timeout=NEVER)
        answer = session.post(f"{self.url}/accounts/login/", timeout=NEVER,
                              allow_redirects=False,
                              data={"username": name, "password": password,
                                    "csrfmiddlewaretoken": session.cookies["csrftoken"]})
        assert answer.status_code == 302, answer.text[:500]
        return session


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@contextmanager
def serve(tmp_path: Path, **env: str) -> Iterator[Served]:
    port = _free_port()
    tmp = tmp_path / "tmp"
    tmp.mkdir()
    hub = Hub(tmp_path / "data", extra_env={"TMPDIR": str(tmp), **env})
    log = tmp_path / "serve.log"
    proc = hub.popen("serve", "--web-only", "--host", "127.0.0.1", "--port", str(port), log=log)
    url = f"http://127.0.0.1:{port}"
    wait_serving(f"{url}/accounts/login/", proc, log, timeout=NEVER)
    try:
        yield Served(proc, port, url, tmp, hub)
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
        shutil.rmtree(tmp_path / "data", ignore_errors=True)


def connect(served: Served) -> socket.socket:
    sock = socket.create_connection(("127.0.0.1", served.port), timeout=NEVER)
    return sock


def read_until_closed(sock: socket.socket) -> bytes:
    """Everything the server sends until it closes the connection (b'' from recv)."""
    chunks = []
    while True:
        try:
            chunk = sock.recv(65536)
        except ConnectionResetError:
            break
        except TimeoutError:
            raise AssertionError("the server never closed the connection") from None
        if not chunk:
            break
        chunks.append(chunk)
    return b"".join(chunks)


def read_answer(sock: socket.socket) -> bytes:
    """One whole answer (head and a Content-Length body), leaving the connection open."""
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(65536)
        if not chunk:
            raise AssertionError(f"the server closed the connection mid-answer: {data[:200]!r}")
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    length = next(int(line.split(b":", 1)[1]) for line in head.split(b"\r\n")
                  if line.lower().startswith(b"content-length:"))
    while len(body) < length:
        chunk = sock.recv(65536)
        if not chunk:
            raise AssertionError("the server closed the connection mid-answer")
        body += chunk
    return head + b"\r\n\r\n" + body


def status_of(response: bytes) -> int:
    assert response.startswith(b"HTTP/1.1 "), response[:200]
    return int(response.split(b" ", 2)[1])


def body_of(response: bytes) -> str:
    return response.partition(b"\r\n\r\n")[2].decode("utf-8", "replace")


def largest_temp_file(served: Served) -> int:
    """The size of the largest file the hub holds open under its TMPDIR (Django spools request
    bodies there; Python makes them nameless, so they are found through /proc)."""
    largest = 0
    fd_dir = Path(f"/proc/{served.proc.pid}/fd")
    for fd in fd_dir.iterdir():
        try:
            target = fd.readlink()
            if str(target).startswith(str(served.tmp)):
                largest = max(largest, fd.stat().st_size)
        except OSError:
            continue  # closed meanwhile
    return largest
