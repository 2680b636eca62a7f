"""A small TCP proxy in front of a peer, to lose answers the peer did send.

The mock's own `timeout` and `latency` faults sleep *before* the request reaches the app, and
the app reads the body only then: a client that gave up has disconnected, so the server drops
the request (starlette ClientDisconnect). To test "the server did the work but we never heard
back" we need the request delivered and the answer lost, which is what this proxy does:

- `hold`: forward the request, swallow the answer, keep the client waiting (it times out);
- `drop`: forward the request, and when the answer starts, close the client connection.

A fault is armed for the next request whose request line starts with `match` (e.g.
b"POST /api/v1/statuses"), `count` times. Everything else passes through untouched.
"""

from __future__ import annotations

import contextlib
import socket
import struct
import threading
from dataclasses import dataclass


@dataclass
class _Armed:
    match: bytes
    mode: str
    count: int


class FaultProxy:
    def __init__(self, upstream_port: int) -> None:
        self.upstream_port = upstream_port
        self._listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._listener.bind(("127.0.0.1", 0))
        self._listener.listen(16)
        self.port: int = self._listener.getsockname()[1]
        self._armed: list[_Armed] = []
        self._lock = threading.Lock()
        self._closing = threading.Event()
        self._sockets: set[socket.socket] = set()
        self._thread = threading.Thread(target=self._accept_loop, daemon=True)
        self._thread.start()

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def arm(self, match: bytes, mode: str, count: int = 1) -> None:
        if mode not in ("hold", "drop"):
            raise ValueError(mode)
        with self._lock:
            self._armed.append(_Armed(match, mode, count))

    def disarm(self) -> None:
        with self._lock:
            self._armed.clear()

    def close(self) -> None:
        self._closing.set()
        with contextlib.suppress(OSError):
            self._listener.close()
        with self._lock:
            sockets = list(self._sockets)
        for sock in sockets:
            with contextlib.suppress(OSError):
                sock.close()

    # --- internals ---------------------------------------------------------------------------
    def _take(self, chunk: bytes) -> str | None:
        with self._lock:
            for armed in self._armed:
                if chunk.startswith(armed.match):
                    armed.count -= 1
                    if armed.count <= 0:
                        self._armed.remove(armed)
                    return armed.mode
        return None

    def _track(self, sock: socket.socket) -> None:
        with self._lock:
            self._sockets.add(sock)

    def _accept_loop(self) -> None:
        while not self._closing.is_set():
            try:
                client, _ = self._listener.accept()
            except OSError:
                return
            threading.Thread(target=self._serve, args=(client,), daemon=True).start()

    def _serve(self, client: socket.socket) -> None:
        try:
            upstream = socket.create_connection(("127.0.0.1", self.upstream_port))
        except OSError:
            client.close()
            return
        self._track(client)
        self._track(upstream)
        # The mode of the request being answered; set by the client->upstream pump.
        state: dict[str, str | None] = {"mode": None}
        threading.Thread(
            target=self._pump_requests, args=(client, upstream, state), daemon=True
        ).start()
        self._pump_answers(upstream, client, state)

    def _pump_requests(
        self, client: socket.socket, upstream: socket.socket, state: dict[str, str | None]
    ) -> None:
        with contextlib.suppress(OSError):
            while chunk := client.recv(65536):
                mode = self._take(chunk)
                if mode is not None:
                    state["mode"] = mode
                upstream.sendall(chunk)
        with contextlib.suppress(OSError):
            upstream.shutdown(socket.SHUT_WR)

    def _pump_answers(
        self, upstream: socket.socket, client: socket.socket, state: dict[str, str | None]
    ) -> None:
        with contextlib.suppress(OSError):
            while chunk := upstream.recv(65536):
                mode = state["mode"]
                if mode == "hold":
                    continue  # swallow: the client waits until its read timeout
                if mode == "drop":
                    # Reset, not a clean close: like a connection cut mid-answer.
                    client.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                    break
                client.sendall(chunk)
        for sock in (client, upstream):
            with contextlib.suppress(OSError):
                sock.close()
