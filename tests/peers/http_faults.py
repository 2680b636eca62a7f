"""An HTTP reverse proxy in front of a real peer that can fail the next matching request.

The Bluesky network from dev-env has no fault API and no rate limits, so the contract suite puts
this proxy between the connector and the PDS. Everything passes through untouched except
requests matching an armed fault (method + path), which get one of:

- `Respond(status, headers, body)`: an answer made up here; the server never sees the request
  (a 503 from a load balancer, a 429 from the rate limiter);
- `Malformed()`: forwarded, but the answer's body is cut off mid-JSON (the server did act);
- `Stall(seconds)`: not forwarded; the connection hangs, then closes (the client times out and
  the server never processed it);
- `Hold()`: forwarded, the answer swallowed; the client waits until its read timeout;
- `Drop()`: forwarded, and the connection is reset instead of answered;
- `Rewrite(change)`: forwarded, and the answer's status and body replaced by what
  `change(status, body)` returns (the server did act, and says something else: a Mastodon
  upload answered "202, still processing").
"""

from __future__ import annotations

import contextlib
import http.client
import socket
import struct
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import urlsplit

HOP_BY_HOP = {"connection", "keep-alive", "transfer-encoding", "te", "trailer", "upgrade",
              "proxy-connection", "content-length", "host"}


@dataclass(frozen=True)
class Respond:
    status: int
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""


@dataclass(frozen=True)
class Malformed:
    pass


@dataclass(frozen=True)
class Stall:
    seconds: float


@dataclass(frozen=True)
class Hold:
    seconds: float = 15.0


@dataclass(frozen=True)
class Drop:
    pass


@dataclass(frozen=True)
class Rewrite:
    change: Callable[[int, bytes], tuple[int, bytes]]


Fault = Respond | Malformed | Stall | Hold | Drop | Rewrite


@dataclass
class _Armed:
    method: str
    path: str
    fault: Fault
    count: int


class HttpFaultProxy:
    def __init__(self, upstream: str) -> None:
        parts = urlsplit(upstream)
        self.upstream_host = parts.hostname or "localhost"
        self.upstream_port = parts.port or 80
        self._armed: list[_Armed] = []
        self._lock = threading.Lock()
        self.closing = threading.Event()
        self.seen: list[tuple[str, str]] = []  # (method, path) of every request, for tests
        proxy = self

        class Handler(_Handler):
            owner = proxy

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self.port: int = self._server.server_address[1]
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()

    @property
    def base_url(self) -> str:
        return f"http://localhost:{self.port}"

    def arm(self, method: str, path: str, fault: Fault, count: int = 1) -> None:
        with self._lock:
            self._armed.append(_Armed(method.upper(), path, fault, count))

    def disarm(self) -> None:
        with self._lock:
            self._armed.clear()

    def take(self, method: str, path: str) -> Fault | None:
        with self._lock:
            self.seen.append((method, path))
            for armed in self._armed:
                if armed.method == method and path.split("?", 1)[0] == armed.path:
                    armed.count -= 1
                    if armed.count <= 0:
                        self._armed.remove(armed)
                    return armed.fault
        return None

    def close(self) -> None:
        self.closing.set()
        self._server.shutdown()
        self._server.server_close()


class _Handler(BaseHTTPRequestHandler):
    owner: HttpFaultProxy
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def do_GET(self) -> None:
        self._proxy()

    def do_POST(self) -> None:
        self._proxy()

    def do_DELETE(self) -> None:  # X deletes posts and undoes likes with DELETE
        self._proxy()

    def finish(self) -> None:
        with contextlib.suppress(OSError, ValueError):
            super().finish()

    def _proxy(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        fault = self.owner.take(self.command, self.path)
        if isinstance(fault, Respond):
            self._answer(fault.status, fault.headers, fault.body)
            return
        if isinstance(fault, Stall):
            self._wait(fault.seconds)
            self._cut(reset=False)
            return
        status, headers, answer = self._forward(body)
        if isinstance(fault, Malformed):
            self._answer(200, {"Content-Type": "application/json; charset=utf-8"},
                         b'{"uri": "at://did:plc:')
        elif isinstance(fault, Hold):
            self._wait(fault.seconds)
            self._cut(reset=False)
        elif isinstance(fault, Drop):
            self._cut(reset=True)
        elif isinstance(fault, Rewrite):
            status, answer = fault.change(status, answer)
            self._answer(status, headers, answer)
        else:
            self._answer(status, headers, answer)

    def _forward(self, body: bytes) -> tuple[int, dict[str, str], bytes]:
        upstream = http.client.HTTPConnection(
            self.owner.upstream_host, self.owner.upstream_port, timeout=60
        )
        try:
            headers = {k: v for k, v in self.headers.items() if k.lower() not in HOP_BY_HOP}
            headers["Host"] = f"{self.owner.upstream_host}:{self.owner.upstream_port}"
            upstream.request(self.command, self.path, body=body or None, headers=headers)
            response = upstream.getresponse()
            answer = response.read()
            kept = {k: v for k, v in response.getheaders() if k.lower() not in HOP_BY_HOP}
            return response.status, kept, answer
        finally:
            upstream.close()

    def _answer(self, status: int, headers: dict[str, str], body: bytes) -> None:
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def _wait(self, seconds: float) -> None:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline and not self.owner.closing.is_set():
            time.sleep(0.05)

    def _cut(self, *, reset: bool) -> None:
        self.close_connection = True
        with contextlib.suppress(OSError):
            if reset:  # RST, like a connection cut mid-answer
                self.connection.setsockopt(
                    socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0)
                )
            self.connection.close()
