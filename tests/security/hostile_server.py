"""A small HTTP server on 127.0.0.1 that answers as a hostile (or merely odd) network would:
recorded-shape JSON with poison in it, and event streams framed the ways servers frame them.

Each path is answered by a function of the request handler that a test sets; `release()` lets
every held stream end, so nothing outlives the test."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import urlsplit

Answer = Callable[[BaseHTTPRequestHandler], None]


JSON = "application/json; charset=utf-8"


def _send(handler: BaseHTTPRequestHandler, data: bytes, content_type: str) -> None:
    handler.send_response(200)
    handler.send_header("Content-Type", content_type)
    handler.send_header("Content-Length", str(len(data)))
    handler.end_headers()
    handler.wfile.write(data)


class HostileServer:
    def __init__(self) -> None:
        self.routes: dict[str, Answer] = {}
        self.requests: list[str] = []
        self.bodies: list[tuple[str, bytes]] = []  # (path, body) of each POST
        self._release = threading.Event()
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self) -> None:
                path = urlsplit(self.path).path
                server.requests.append(self.path)
                answer = server.routes.get(path)
                if answer is None:
                    self.send_error(404)
                    return
                answer(self)

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                server.bodies.append((self.path, self.rfile.read(length)))
                self.do_GET()

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()

    @property
    def base_url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    def json(self, path: str, body: str) -> None:
        """Answer `path` with this JSON text (written by hand, so it may hold what json.dumps
        never writes, such as a lone surrogate escape)."""
        self.raw(path, body.encode("utf-8"), JSON)

    def raw(self, path: str, data: bytes, content_type: str) -> None:
        """Answer `path` (whatever its query) with these bytes."""

        self.routes[path] = lambda handler: _send(handler, data, content_type)

    def json_for(self, path: str, body: Callable[[str], str]) -> None:
        """Answer `path` with the JSON text `body(request path with its query)` returns."""

        self.routes[path] = lambda handler: _send(
            handler, body(handler.path).encode("utf-8", "surrogatepass"), JSON)

    def event_stream(self, path: str, events: list[tuple[str, Any]], *, framing: str) -> None:
        """Answer `path` with these SSE events, flushed at once, then hold the connection open
        until release(). framing: "content-length" (a length far beyond what is sent) or
        "close" (no length and no chunking: the body ends when the connection does)."""
        text = "".join(
            f"event: {name}\ndata: {data if isinstance(data, str) else json.dumps(data)}\n\n"
            for name, data in events)
        payload = (":)\n\n" + text).encode("utf-8")

        def answer(handler: BaseHTTPRequestHandler) -> None:
            handler.send_response(200)
            handler.send_header("Content-Type", "text/event-stream")
            if framing == "content-length":
                handler.send_header("Content-Length", str(10_000_000))
            else:
                handler.send_header("Connection", "close")
                handler.close_connection = True
            handler.end_headers()
            handler.wfile.write(payload)
            handler.wfile.flush()
            self._release.wait()

        self.routes[path] = answer

    def release(self) -> None:
        self._release.set()

    def close(self) -> None:
        self.release()
        self._server.shutdown()
        self._server.server_close()


@contextmanager
def hostile_server() -> Iterator[HostileServer]:
    server = HostileServer()
    try:
        yield server
    finally:
        server.close()
