"""A loopback HTTP proxy that passes requests to a real server and can lose the answer.

The Mastodon mock's own `timeout` fault hangs *before* handling the request, so it cannot show
the hard case: the server did the work, and the client never heard back. This proxy forwards the
request, lets the server finish it, then drops or withholds the response.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
from collections.abc import Iterator
from dataclasses import dataclass


@dataclass
class Rule:
    method: str
    path: str
    effect: str  # "hang": forward, then never answer; "reset": forward, then close the socket
    count: int = 1
    hits: int = 0


class FaultProxy:
    def __init__(self, upstream_host: str, upstream_port: int) -> None:
        self.upstream = (upstream_host, upstream_port)
        self.rules: list[Rule] = []
        self.forwarded: list[tuple[str, str]] = []
        self._lock = threading.Lock()
        self._loop = asyncio.new_event_loop()
        self._server: asyncio.Server | None = None
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)
        self.port = 0

    # -- control, from the test's thread ---------------------------------------------------------
    def add(self, method: str, path: str, effect: str, count: int = 1) -> Rule:
        rule = Rule(method.upper(), path, effect, count)
        with self._lock:
            self.rules.append(rule)
        return rule

    def clear(self) -> None:
        with self._lock:
            self.rules.clear()

    def _take(self, method: str, path: str) -> str | None:
        with self._lock:
            for rule in self.rules:
                if rule.method == method and path.split("?")[0] == rule.path and rule.count:
                    rule.count -= 1
                    rule.hits += 1
                    return rule.effect
        return None

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> FaultProxy:
        self._thread.start()
        future = asyncio.run_coroutine_threadsafe(self._start(), self._loop)
        future.result(10)
        return self

    async def _start(self) -> None:
        self._server = await asyncio.start_server(self._handle, "127.0.0.1", 0)
        self.port = self._server.sockets[0].getsockname()[1]

    def stop(self) -> None:
        async def _close() -> None:
            if self._server is not None:
                self._server.close()

        asyncio.run_coroutine_threadsafe(_close(), self._loop).result(10)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(10)

    # -- the proxy itself -------------------------------------------------------------------------
    async def _read_request(self, reader: asyncio.StreamReader) -> tuple[bytes, str, str] | None:
        head = await reader.readuntil(b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")
        method, path, _version = lines[0].split(" ", 2)
        length = 0
        kept = [lines[0]]
        for line in lines[1:]:
            if not line:
                continue
            name, _, value = line.partition(":")
            if name.strip().lower() == "content-length":
                length = int(value.strip())
            if name.strip().lower() in {"connection", "keep-alive"}:
                continue
            kept.append(line)
        kept.append("Connection: close")
        body = await reader.readexactly(length) if length else b""
        return ("\r\n".join(kept) + "\r\n\r\n").encode("latin-1") + body, method, path

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                try:
                    parsed = await self._read_request(reader)
                except (asyncio.IncompleteReadError, ConnectionError):
                    return
                if parsed is None:
                    return
                raw, method, path = parsed
                effect = self._take(method, path)
                up_reader, up_writer = await asyncio.open_connection(*self.upstream)
                up_writer.write(raw)
                await up_writer.drain()
                response = await up_reader.read()  # upstream closes: Connection: close
                up_writer.close()
                with self._lock:
                    self.forwarded.append((method, path))
                if effect == "hang":
                    await asyncio.sleep(3600)
                    return
                if effect == "reset":
                    return
                writer.write(_force_close(response))
                await writer.drain()
                return
        finally:
            with contextlib.suppress(Exception):
                writer.close()


def _force_close(response: bytes) -> bytes:
    head, sep, body = response.partition(b"\r\n\r\n")
    lines = [
        line for line in head.split(b"\r\n")
        if not line.lower().startswith((b"connection:", b"keep-alive:"))
    ]
    lines.append(b"Connection: close")
    return b"\r\n".join(lines) + sep + body


@contextlib.contextmanager
def fault_proxy(upstream_host: str, upstream_port: int) -> Iterator[FaultProxy]:
    proxy = FaultProxy(upstream_host, upstream_port).start()
    try:
        yield proxy
    finally:
        proxy.stop()
