"""An HTTP relay in front of a peer that sees which publish calls are in flight together.

Every request is passed to the peer and its answer passed back. Requests matching `hold`
(METHOD, path) wait at the gate until `meet` of them are there at once, then all go on: two
targets published one after the other never meet, so a test sees the second arrive only if the
hub sent both side by side. A guard (far above what a run needs) lets a lone request go on
after `guard` seconds and records that it did, so a sequential sender fails the test instead
of hanging it. Loopback only.
"""

from __future__ import annotations

import http.client
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

HOP_HEADERS = {"connection", "keep-alive", "transfer-encoding", "host", "content-length"}


class Gate:
    def __init__(self, upstream_port: int, *, hold: tuple[str, str], meet: int,
                 guard: float = 60.0) -> None:
        self.upstream_port = upstream_port
        self.hold = hold
        self.meet = meet
        self.guard = guard
        self.cond = threading.Condition()
        self.waiting = 0
        self.in_flight = 0
        self.peak = 0
        self.arrivals: list[float] = []  # monotonic time each held request came in
        self.calls: list[tuple[float, float]] = []  # (arrived, answered) of each held request
        self.guard_released = 0
        self.bodies: list[tuple[float, bytes]] = []  # (arrived, body) of each held request
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def _wait_to_meet(self) -> float:
        with self.cond:
            arrived = time.monotonic()
            self.arrivals.append(arrived)
            self.waiting += 1
            self.in_flight += 1
            self.peak = max(self.peak, self.in_flight)
            self.cond.notify_all()
            met = self.cond.wait_for(lambda: self.waiting >= self.meet or self.waiting == 0,
                                     timeout=self.guard)
            if not met:
                self.guard_released += 1
            self.waiting = 0  # the group goes on together; the next one meets anew
            self.cond.notify_all()
        return arrived

    def _left(self, arrived: float) -> None:
        with self.cond:
            self.in_flight -= 1
            self.calls.append((arrived, time.monotonic()))

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        gate = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: Any) -> None:
                pass

            def _relay(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else None
                held = (self.command, self.path.split("?")[0]) == gate.hold
                arrived = gate._wait_to_meet() if held else 0.0
                if held:
                    with gate.cond:
                        gate.bodies.append((arrived, body or b""))
                try:
                    upstream = http.client.HTTPConnection("127.0.0.1", gate.upstream_port,
                                                          timeout=60)
                    headers = {k: v for k, v in self.headers.items()
                               if k.lower() not in HOP_HEADERS}
                    upstream.request(self.command, self.path, body=body, headers=headers)
                    answer = upstream.getresponse()
                    data = answer.read()
                    self.send_response(answer.status)
                    for name, value in answer.getheaders():
                        if name.lower() not in HOP_HEADERS:
                            self.send_header(name, value)
                    self.send_header("Content-Length", str(len(data)))
                    self.end_headers()
                    self.wfile.write(data)
                    upstream.close()
                finally:
                    if held:
                        gate._left(arrived)

            do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = _relay

        return Handler
