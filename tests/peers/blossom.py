"""The Blossom media server peer: tests/peers/blossom_server.py (a stand-in written from the
BUD-01/02/06/11 specs; why there is no installable one is said there) in its own process on a
free loopback port, its blobs in a temp folder wiped on stop.

    uv run python -m tests.peers.blossom     # start, print the URL, wait

`BlossomPeer` reads and steers it through its `/_standin/` control surface: the request log,
reset, and settings (which keys may upload, the largest blob, a descriptor with a wrong hash).
"""

from __future__ import annotations

import json
import socket
import sys
import time
import urllib.error
import urllib.request
from functools import partial
from pathlib import Path
from typing import Any

from tests.peers.procgroup import GroupProcess, PeerStartError, free_ports

SERVER = Path(__file__).with_name("blossom_server.py")
MAX_BYTES = 5 * 1024 * 1024


class BlossomPeer:
    def __init__(self, proc: GroupProcess, port: int) -> None:
        self.proc = proc
        self.port = port
        self.url = f"http://127.0.0.1:{port}"

    def _control(self, path: str, doc: object | None = None) -> Any:
        data = None if doc is None else json.dumps(doc).encode()
        request = urllib.request.Request(f"{self.url}/_standin/{path}", data=data,
                                         method="GET" if data is None else "POST")
        with urllib.request.urlopen(request, timeout=10) as answer:
            return json.loads(answer.read())

    def reset(self) -> None:
        self._control("reset", {})

    def settings(self, **values: object) -> None:
        """allowed_pubkeys (list or None), max_bytes (int), wrong_hash (bool)."""
        self._control("settings", values)

    def log(self) -> list[dict[str, Any]]:
        entries: list[dict[str, Any]] = self._control("log")
        return entries

    def uploads(self) -> list[dict[str, Any]]:
        """The PUT /upload requests, with their verdicts."""
        return [e for e in self.log() if e["method"] == "PUT"]

    def get(self, path: str) -> tuple[int, dict[str, str], bytes]:
        """GET a path on the server (a blob's address): status, headers, body."""
        try:
            with urllib.request.urlopen(f"{self.url}{path}", timeout=10) as answer:
                return answer.status, dict(answer.headers), answer.read()
        except urllib.error.HTTPError as exc:
            return exc.code, dict(exc.headers), exc.read()

    def close(self) -> None:
        self.proc.stop(grace=5.0)


def _answers(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1) as sock:
            sock.sendall(b"GET /_standin/log HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                         b"Connection: close\r\n\r\n")
            return sock.recv(12).startswith(b"HTTP/1.1 200")
    except OSError:
        return False


def start_blossom_peer(startup_timeout: float = 30.0, attempts: int = 3) -> BlossomPeer:
    last_error: Exception | None = None
    for _ in range(attempts):
        (port,) = free_ports(1)
        proc = GroupProcess("blossom")
        argv = [sys.executable, str(SERVER), "--port", str(port), "--data",
                str(proc.workdir / "blobs"), "--max-bytes", str(MAX_BYTES)]
        # (PYTHONPATH: the server imports its checks from tests/peers/blossom_auth.py.)
        proc.start(argv, {"PYTHONUNBUFFERED": "1", "PYTHONPATH": str(SERVER.parents[2])})
        try:
            proc.wait_until(partial(_answers, port), startup_timeout, "HTTP answer")
        except PeerStartError as exc:
            last_error = exc
            proc.stop(grace=3.0)
            continue
        return BlossomPeer(proc, port)
    raise PeerStartError(f"the Blossom stand-in did not start in {attempts} attempts: "
                         f"{last_error}")


if __name__ == "__main__":
    started = time.monotonic()
    peer = start_blossom_peer()
    print(json.dumps({"url": peer.url, "started_in_s": round(time.monotonic() - started, 2)}))
    print("Ctrl-C stops it.", flush=True)
    try:
        while peer.proc.alive():
            time.sleep(0.5)
    except KeyboardInterrupt:
        pass
    finally:
        peer.close()
