"""HTTP plumbing shared by the network stand-ins (tests/peers/x, tests/peers/linkedin,
tests/peers/facebook): an answer (`Reply`; a stand-in may subclass it for its network's own
Content-Type), a request handler that reads bodies safely (Content-Length or chunked, with a
cap), sends head and body in one segment, and can cut a connection the way a network failure
would; and the `main()` that runs a stand-in as a process (tests/peers/process.py starts it
and reads the port it printed).

Faults a test arms through the control surface (`Fault`, `TakesFaults.take_fault`) and what
they do to the connection (`StandInHandler.fault_before`, `reply_or_cut`) are the same for
every stand-in too. What a stand-in answers is its own business: subclasses implement
`serve()`.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import socket
import struct
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass
class Reply:
    status: int
    body: Any = None  # dict/list -> JSON; bytes/str -> as is; None -> empty
    content_type: str = "application/json; charset=utf-8"
    headers: dict[str, str] = field(default_factory=dict)

    def payload(self) -> bytes:
        if self.body is None:
            return b""
        if isinstance(self.body, bytes):
            return self.body
        if isinstance(self.body, str):
            return self.body.encode()
        return json.dumps(self.body, separators=(",", ":")).encode()


@dataclass
class Fault:
    method: str
    path: str  # a concrete path or a template the stand-in names (e.g. /rest/posts/{urn})
    kind: str
    count: int
    options: dict[str, Any]


class TakesFaults:
    """A stand-in's store: the faults armed, in order, under its lock."""

    lock: Any
    faults: list[Fault]

    def take_fault(self, method: str, path: str, template: str | None) -> Fault | None:
        """The first armed fault for METHOD on `path` or its `template`, counted down (and
        disarmed at zero)."""
        with self.lock:
            for fault in self.faults:
                if fault.method == method and fault.path in {path, template}:
                    fault.count -= 1
                    if fault.count <= 0:
                        self.faults.remove(fault)
                    return fault
        return None


class BodyError(ValueError):
    """The request's framing is broken (a Content-Length that is not a number, a body over
    the cap, a broken chunk): answer 400 and close."""


class ClientGone(BodyError):
    """The body ended before its framing said it would: the client went away mid-request (a
    worker killed while sending). Not a request at all: nothing is parsed or answered."""


class StandInHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # head and body go out at once, not 40 ms apart
    max_body = 600 * 1024 * 1024

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def do_GET(self) -> None:
        self.serve()

    def do_POST(self) -> None:
        self.serve()

    def do_DELETE(self) -> None:
        self.serve()

    def do_PUT(self) -> None:
        self.serve()

    def serve(self) -> None:  # pragma: no cover - each stand-in implements it
        raise NotImplementedError

    def finish(self) -> None:
        with contextlib.suppress(OSError, ValueError):
            super().finish()

    def read_body(self) -> bytes:
        """The request body; BodyError when its framing is broken or it is over `max_body`."""
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            chunks: list[bytes] = []
            total = 0
            while True:
                read = self.rfile.readline(1024)
                if not read:
                    raise ClientGone("the chunked body ended without its last chunk")
                line = read.split(b";")[0].strip() or b"0"
                try:
                    size = int(line, 16)
                except ValueError as exc:
                    raise BodyError(f"chunk size {line!r} is not hexadecimal") from exc
                if size == 0:
                    self.rfile.readline(1024)
                    return b"".join(chunks)
                total += size
                if total > self.max_body:
                    raise BodyError(f"a body of over {self.max_body} bytes")
                chunk = self.rfile.read(size)
                if len(chunk) < size:
                    raise ClientGone(f"a chunk ended after {len(chunk)} of {size} bytes")
                chunks.append(chunk)
                self.rfile.readline(1024)
        raw = self.headers.get("Content-Length") or "0"
        if not raw.isdigit():
            raise BodyError(f"Content-Length {raw!r} is not a number")
        length = int(raw)
        if length > self.max_body:
            raise BodyError(f"a body of {length} bytes is over {self.max_body}")
        body = self.rfile.read(length) if length else b""
        if len(body) < length:
            raise ClientGone(f"the body ended after {len(body)} of {length} bytes")
        return body

    def body_or_refuse(self, refusal: Callable[[str], Reply]) -> bytes | None:
        """The request body; None when its framing is broken, after answering `refusal(why)`
        (the stand-in's own 400) on a connection marked to close."""
        try:
            return self.read_body()
        except ClientGone:
            self.close_connection = True  # nobody is there to answer
            return None
        except BodyError as exc:
            self.close_connection = True
            self.send_reply(refusal(str(exc)))
            return None

    def send_reply(self, reply: Reply) -> None:
        payload = reply.payload()
        self.send_response(reply.status)
        if payload or reply.status not in {204, 302}:
            self.send_header("Content-Type", reply.content_type)
        for name, value in reply.headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(payload)

    def fault_before(self, fault: Fault | None, release: threading.Event,
                     hold: frozenset[str] = frozenset({"hold"})) -> bool:
        """Play a fault's part before the request is handled: "delay" waits (seconds=1),
        "drop" resets the connection, a `hold` kind hangs it up to seconds=30 (or until
        `release`) and then closes it. True when the connection is gone."""
        if fault is None:
            return False
        if fault.kind == "delay":
            release.wait(float(fault.options.get("seconds", 1.0)))
        if fault.kind == "drop" or fault.kind in hold:
            if fault.kind != "drop":
                release.wait(float(fault.options.get("seconds", 30.0)))
            self.cut(reset=fault.kind == "drop")
            return True
        return False

    def reply_or_cut(self, reply: Reply, fault: Fault | None,
                     release: threading.Event) -> None:
        """Send `reply`, unless the fault is "drop_after" (reset instead: the request was
        carried out but no answer comes) or "hold_after" (hang up to seconds=30, then close)."""
        if fault is not None and fault.kind in {"drop_after", "hold_after"}:
            if fault.kind == "hold_after":
                release.wait(float(fault.options.get("seconds", 30.0)))
            self.cut(reset=fault.kind == "drop_after")
            return
        self.send_reply(reply)

    def cut(self, *, reset: bool) -> None:
        """Close without an answer; `reset` sends RST, as a connection cut mid-request."""
        self.close_connection = True
        with contextlib.suppress(OSError):
            if reset:
                self.connection.setsockopt(
                    socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            self.connection.close()


def bind(handler: type[StandInHandler], attrs: dict[str, Any],
         port: int = 0) -> ThreadingHTTPServer:
    """A threaded loopback server whose handler class carries `attrs` (e.g. the stand-in)."""
    bound = type("Bound" + handler.__name__, (handler,), dict(attrs))
    server = ThreadingHTTPServer(("127.0.0.1", port), bound)
    server.daemon_threads = True
    return server


def main(description: str, make_server: Callable[[int], ThreadingHTTPServer],
         argv: list[str] | None = None) -> None:
    """Run a stand-in until killed; prints {"listening": port} once it accepts."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args(argv)
    server = make_server(args.port)
    print(json.dumps({"listening": server.server_address[1]}), flush=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        thread.join()
    except KeyboardInterrupt:
        pass
    finally:
        server.shutdown()
