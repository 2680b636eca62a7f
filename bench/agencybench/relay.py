"""An HTTP relay in front of a peer that notes every call: when it arrived, when its answer
went back, method, path, the answer's status, which token called, and for a publish call the
bench's tag in its text. Nothing is held; each relay thread keeps its own upstream connection
(keep-alive), so the relay adds little beside the peer. Loopback only."""

from __future__ import annotations

import http.client
import re
import threading
import time
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import unquote_plus

# date and server: send_response writes its own; two Date values make Mastodon.py fail.
HOP_HEADERS = {"connection", "keep-alive", "transfer-encoding", "host", "content-length",
               "date", "server"}
TAG = re.compile(r"agency-[a-z0-9]+-\d+-\d+\.\d+-")


@dataclass(frozen=True)
class Call:
    arrived: float  # time.time()
    answered: float
    method: str
    path: str
    status: int
    token: str
    tag: str  # the bench's tag in a POST /api/v1/statuses text, else ""


class Relay:
    def __init__(self, upstream_port: int) -> None:
        self.upstream_port = upstream_port
        self.lock = threading.Lock()
        self.calls: list[Call] = []
        self.local = threading.local()
        # While set, a call without a token gets one of its own: the mock limits calls without
        # a token by address, and the set-up connects thousands of accounts from one address
        # (the instance probe of each connect). Off for the measured phases.
        self.spread_anonymous = False
        self._anonymous = 0
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.server.daemon_threads = True
        self.server.request_queue_size = 256
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def since(self, mark: int) -> list[Call]:
        with self.lock:
            return self.calls[mark:]

    def mark(self) -> int:
        with self.lock:
            return len(self.calls)

    def _upstream(self) -> http.client.HTTPConnection:
        conn = getattr(self.local, "conn", None)
        if conn is None:
            conn = http.client.HTTPConnection("127.0.0.1", self.upstream_port, timeout=120)
            self.local.conn = conn
        return conn

    def _forward(self, method: str, path: str, body: bytes | None,
                 headers: dict[str, str]) -> tuple[int, list[tuple[str, str]], bytes]:
        for attempt in (0, 1):
            conn = self._upstream()
            try:
                conn.request(method, path, body=body, headers=headers)
                answer = conn.getresponse()
                return answer.status, answer.getheaders(), answer.read()
            except (http.client.HTTPException, OSError):
                conn.close()
                self.local.conn = None
                if attempt:
                    raise
        raise AssertionError("unreachable")

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        relay = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: Any) -> None:
                pass

            def _relay(self) -> None:
                arrived = time.time()
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else None
                path = self.path.split("?")[0]
                tag = ""
                if self.command == "POST" and path == "/api/v1/statuses" and body:
                    found = TAG.search(unquote_plus(body.decode("latin-1")))
                    tag = found.group(0) if found else ""
                token = (self.headers.get("Authorization") or "")[-12:]
                headers = {k: v for k, v in self.headers.items() if k.lower() not in HOP_HEADERS}
                if relay.spread_anonymous and not token:
                    with relay.lock:
                        relay._anonymous += 1
                        headers["Authorization"] = f"Bearer setup-{relay._anonymous}"
                status, answer_headers, data = relay._forward(self.command, self.path, body,
                                                              headers)
                self.send_response(status)
                for name, value in answer_headers:
                    if name.lower() not in HOP_HEADERS:
                        self.send_header(name, value)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)
                with relay.lock:
                    relay.calls.append(Call(arrived, time.time(), self.command, path, status,
                                            token, tag))

            do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = _relay

        return Handler
