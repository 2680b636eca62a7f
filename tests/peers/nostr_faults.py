"""A websocket proxy in front of the real Nostr relay, to inject one fault at a time.

Everything passes through to nostr-relay untouched (websocket messages both ways, and plain
HTTP GETs such as the NIP-11 document) unless a fault is armed:

- `reject_next_upgrade(status, headers)`: the next websocket handshake is answered with an HTTP
  error (a relay behind a proxy that is down: 503; or rate-limiting connections: 429);
- `on_next(message, action)`: for the next client message of that type ("EVENT" or "REQ"):
  - "garble": forward it, then send the client a non-JSON frame instead of the relay's answer;
  - "stall": never forward it; keep the client waiting `seconds`, then close (never processed);
  - "hold": forward it, swallow every answer (the client times out; the relay did the work);
  - "drop": forward it, and reset the client's connection when the answer arrives;
  - "refuse": never forward it; answer ["OK", id, false, `reply`] as a relay that refuses it
    ("blocked: ...", "rate-limited: ...").
- `serve_document(doc)`: answer NIP-11 requests with `doc` instead of the relay's own.
- `cut_all()`: reset every client connection open now (the clients reconnect).
"""

from __future__ import annotations

import contextlib
import json
import socket
import struct
import threading
import time
import urllib.request
from dataclasses import dataclass
from typing import Any

from websockets.exceptions import ConnectionClosed
from websockets.http11 import Request, Response
from websockets.sync.client import ClientConnection, connect
from websockets.sync.server import ServerConnection, serve


@dataclass
class _Armed:
    message: str
    action: str
    seconds: float = 0.0
    reply: str = ""


class NostrFaultProxy:
    def __init__(self, upstream_port: int) -> None:
        self.upstream_port = upstream_port
        self._lock = threading.Lock()
        self._armed: list[_Armed] = []
        self._upgrade_faults: list[tuple[int, dict[str, str]]] = []
        self._document: dict[str, Any] | None = None
        self._clients: set[ServerConnection] = set()
        self.accepted = 0  # client connections so far (a reconnect shows here)
        self._server = serve(self._handle, "127.0.0.1", 0, process_request=self._process_request,
                             compression=None)
        self.port: int = self._server.socket.getsockname()[1]
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()

    @property
    def url(self) -> str:
        return f"ws://127.0.0.1:{self.port}"

    # --- arming ----------------------------------------------------------------------------
    def reject_next_upgrade(self, status: int, headers: dict[str, str] | None = None) -> None:
        with self._lock:
            self._upgrade_faults.append((status, dict(headers or {})))

    def on_next(self, message: str, action: str, *, seconds: float = 0.0, reply: str = "") -> None:
        if action not in ("garble", "stall", "hold", "drop", "refuse"):
            raise ValueError(action)
        with self._lock:
            self._armed.append(_Armed(message, action, seconds, reply))

    def cut_all(self) -> None:
        """Reset every client connection open now (a relay restarting): the clients reconnect."""
        with self._lock:
            clients = list(self._clients)
        for client in clients:
            with contextlib.suppress(OSError):
                client.socket.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,
                                         struct.pack("ii", 1, 0))
                client.socket.shutdown(socket.SHUT_RDWR)

    def serve_document(self, document: dict[str, Any] | None) -> None:
        self._document = document

    def clear(self) -> None:
        with self._lock:
            self._armed.clear()
            self._upgrade_faults.clear()
        self._document = None

    def close(self) -> None:
        self._server.shutdown()
        self._thread.join(timeout=5)

    # --- HTTP side -------------------------------------------------------------------------
    def _process_request(self, conn: ServerConnection, request: Request) -> Response | None:
        if "upgrade" not in request.headers.get("Connection", "").lower():
            return self._plain_get(conn, request)
        with self._lock:
            fault = self._upgrade_faults.pop(0) if self._upgrade_faults else None
        if fault is None:
            return None
        status, headers = fault
        response = conn.respond(status, f"HTTP {status} from the fault proxy\n")
        for name, value in headers.items():
            response.headers[name] = value
        return response

    def _plain_get(self, conn: ServerConnection, request: Request) -> Response:
        if self._document is not None:
            body = json.dumps(self._document)
            content_type = "application/nostr+json"
        else:
            upstream = urllib.request.Request(
                f"http://127.0.0.1:{self.upstream_port}{request.path}",
                headers={"Accept": request.headers.get("Accept", "*/*")},
            )
            with urllib.request.urlopen(upstream, timeout=5) as answer:
                body = answer.read().decode()
                content_type = answer.headers.get("Content-Type", "text/plain")
        response = conn.respond(200, body)
        del response.headers["Content-Type"]
        response.headers["Content-Type"] = content_type
        return response

    # --- websocket side --------------------------------------------------------------------
    def _take(self, message_type: str) -> _Armed | None:
        with self._lock:
            for armed in self._armed:
                if armed.message == message_type:
                    self._armed.remove(armed)
                    return armed
        return None

    def _handle(self, client: ServerConnection) -> None:
        try:
            upstream = connect(f"ws://127.0.0.1:{self.upstream_port}", proxy=None,
                               compression=None, legacy=True)
        except OSError:
            return
        state: dict[str, str] = {"mode": ""}
        with self._lock:
            self._clients.add(client)
            self.accepted += 1
        pump = threading.Thread(target=self._answers, args=(upstream, client, state),
                                daemon=True)
        pump.start()
        try:
            for raw in client:
                try:
                    message_type = str(json.loads(raw)[0])
                except (ValueError, IndexError, KeyError, TypeError):
                    message_type = ""
                armed = self._take(message_type)
                if armed is None:
                    upstream.send(raw)
                    continue
                if armed.action == "refuse":
                    event_id = json.loads(raw)[1].get("id", "")
                    client.send(json.dumps(["OK", event_id, False, armed.reply]))
                elif armed.action == "stall":
                    time.sleep(armed.seconds)
                    break
                else:
                    state["mode"] = armed.action
                    upstream.send(raw)
        except ConnectionClosed:
            pass
        finally:
            with self._lock:
                self._clients.discard(client)
            upstream.close()
            pump.join(timeout=5)

    @staticmethod
    def _answers(upstream: ClientConnection, client: ServerConnection,
                 state: dict[str, str]) -> None:
        try:
            for raw in upstream:
                mode = state["mode"]
                if mode == "hold":
                    continue
                if mode == "garble":
                    state["mode"] = ""
                    client.send("}{ this is not JSON")
                    continue
                if mode == "drop":
                    sock = client.socket
                    with contextlib.suppress(OSError):
                        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,
                                        struct.pack("ii", 1, 0))
                        sock.shutdown(socket.SHUT_RDWR)
                    return
                client.send(raw)
        except ConnectionClosed:
            pass

