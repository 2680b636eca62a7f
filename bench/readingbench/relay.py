"""A loopback HTTP relay in front of the Mastodon mock for bench/reading.py that notes every
call (time, method, path, answer status, the caller's token). Other calls reuse a keep-alive
upstream connection per relay thread.

Streams (/api/v1/streaming/...) are passed through as they come (an upstream connection each)
or, with `serve_streams`, answered by the relay itself: mastodon-mock 0.6.1 holds a pooled
database connection for each open stream (SQLAlchemy's default pool: 5 + 10 overflow), so
past 15 open streams every other call waits for the pool and times out. The relay's own
streams carry what the bench `push`es (the status the mock answered to the post, as an
`update` event, to the followers' streams) and a heartbeat comment every 15 s, as Mastodon's.
"""

from __future__ import annotations

import contextlib
import http.client
import queue
import socket
import threading
import time
from collections import Counter
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

SKIP = {"connection", "keep-alive", "transfer-encoding", "host", "content-length", "date",
        "server"}


@dataclass(frozen=True)
class Call:
    at: float  # time.time() when it arrived
    method: str
    path: str
    status: int
    token: str  # last 12 characters of the bearer token ("" without one)


class StreamingRelay:
    def __init__(self, upstream_port: int) -> None:
        self.port_up = upstream_port
        self.lock = threading.Lock()
        self.calls: list[Call] = []
        self.open_streams = 0
        # token tail -> streams open now, and the most open at once since the relay started
        self.open_by_token: Counter[str] = Counter()
        self.peak_by_token: Counter[str] = Counter()
        self.serve_streams = False
        self.streams: dict[str, list[queue.Queue[bytes]]] = {}  # token tail -> open streams
        self.spread_anonymous = False  # set-up: a token each for calls without one
        self._anonymous = 0
        self.local = threading.local()
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.server.daemon_threads = True
        self.server.request_queue_size = 1024
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def snapshot(self) -> list[Call]:
        with self.lock:
            return list(self.calls)

    def push(self, tokens: list[str], event: str, data: str) -> int:
        """An event to every open stream of these tokens (tails); how many got it."""
        message = f"event: {event}\ndata: {data}\n\n".encode()
        sent = 0
        with self.lock:
            for token in tokens:
                for stream in self.streams.get(token, []):
                    stream.put(message)
                    sent += 1
        return sent

    def _opened(self, token: str, step: int) -> None:
        with self.lock:
            self.open_streams += step
            self.open_by_token[token] += step
            self.peak_by_token[token] = max(self.peak_by_token[token],
                                            self.open_by_token[token])

    def open_of(self, token: str) -> int:
        """Streams of this token (tail) open now."""
        with self.lock:
            return self.open_by_token[token]

    def _note(self, call: Call) -> None:
        with self.lock:
            self.calls.append(call)

    def _keepalive(self) -> http.client.HTTPConnection:
        conn = getattr(self.local, "conn", None)
        if conn is None:
            conn = http.client.HTTPConnection("127.0.0.1", self.port_up, timeout=120)
            self.local.conn = conn
        return conn

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        relay = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: Any) -> None:
                pass

            def handle_one(self) -> None:
                arrived = time.time()
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else None
                path = self.path.split("?")[0]
                auth = self.headers.get("Authorization") or ""
                headers = {k: v for k, v in self.headers.items() if k.lower() not in SKIP}
                if relay.spread_anonymous and not auth:
                    with relay.lock:
                        relay._anonymous += 1
                        headers["Authorization"] = f"Bearer setup-{relay._anonymous}"
                if path.startswith("/api/v1/streaming"):
                    if relay.serve_streams:
                        self._serve_stream(arrived, path, auth[-12:])
                    else:
                        self._stream(arrived, path, headers, auth[-12:])
                    return
                for attempt in (0, 1):
                    conn = relay._keepalive()
                    try:
                        conn.request(self.command, self.path, body=body, headers=headers)
                        answer = conn.getresponse()
                        data = answer.read()
                        break
                    except (http.client.HTTPException, OSError):
                        conn.close()
                        relay.local.conn = None
                        if attempt:
                            raise
                self.send_response(answer.status)
                for name, value in answer.getheaders():
                    if name.lower() not in SKIP:
                        self.send_header(name, value)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)
                relay._note(Call(arrived, self.command, path, answer.status, auth[-12:]))

            def _stream(self, arrived: float, path: str, headers: dict[str, str],
                        token: str) -> None:
                conn = http.client.HTTPConnection("127.0.0.1", relay.port_up, timeout=600)
                try:
                    conn.request("GET", self.path, headers=headers)
                    answer = conn.getresponse()
                    relay._note(Call(arrived, "GET", path, answer.status, token))
                    self.send_response(answer.status)
                    for name, value in answer.getheaders():
                        if name.lower() not in SKIP:
                            self.send_header(name, value)
                    self.send_header("Connection", "close")
                    self.end_headers()
                    self.close_connection = True
                    relay._opened(token, +1)
                    # The hub closing its end is noticed at once (not at the next write), so
                    # the count of open streams is true at any moment.
                    threading.Thread(target=self._watch_client, args=(conn,),
                                     daemon=True).start()
                    try:
                        while True:
                            data = answer.read1(65536)
                            if not data:
                                break
                            self.wfile.write(data)
                            self.wfile.flush()
                    finally:
                        relay._opened(token, -1)
                except (OSError, http.client.HTTPException):
                    pass  # one side closed the stream
                finally:
                    conn.close()

            def _watch_client(self, upstream: http.client.HTTPConnection) -> None:
                try:
                    while self.connection.recv(4096):
                        pass
                except OSError:
                    pass
                sock = upstream.sock
                if sock is not None:
                    with contextlib.suppress(OSError):
                        sock.shutdown(socket.SHUT_RDWR)

            def _serve_stream(self, arrived: float, path: str, token: str) -> None:
                relay._note(Call(arrived, "GET", path, 200, token))
                self.send_response(200)
                self.send_header("Content-Type", "text/event-stream")
                self.send_header("Cache-Control", "no-cache")
                self.send_header("Connection", "close")
                self.end_headers()
                self.close_connection = True
                mine: queue.Queue[bytes] = queue.Queue()
                with relay.lock:
                    relay.streams.setdefault(token, []).append(mine)
                relay._opened(token, +1)
                try:
                    self.wfile.write(b":)\n\n")
                    self.wfile.flush()
                    while True:
                        try:
                            message = mine.get(timeout=15.0)
                        except queue.Empty:
                            message = b":thump\n\n"
                        self.wfile.write(message)
                        self.wfile.flush()
                except OSError:
                    pass  # the hub closed the stream
                finally:
                    with relay.lock:
                        relay.streams[token].remove(mine)
                    relay._opened(token, -1)

            do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = handle_one

        return Handler
