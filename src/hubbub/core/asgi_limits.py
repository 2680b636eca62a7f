"""The hub's edge, between the ASGI server and Django.

Django's ASGI handler reads a request's whole body into a temporary file before any middleware
runs, so a limit in middleware comes after the bytes were written. This wrapper counts and times
the body as it streams in: a body announced larger than its route takes is refused at once, a
chunked one as soon as it passes the limit, and one that stops arriving for too long is cut off;
Django is told the client left, and the person gets a sentence saying why.

It also decides whether X-Forwarded-Proto is believed: only from a listed reverse proxy.
"""

from __future__ import annotations

import asyncio
import ipaddress
import json
from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import Any

Message = Mapping[str, Any]
Scope = dict[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

MB = 1024 * 1024
_DISCONNECT: Message = {"type": "http.disconnect"}


def size_words(limit: int) -> str:
    """A byte count as people read it: "1 MB", "108 MB", "64 KB"."""
    if limit >= MB:
        return f"{limit / MB:.0f} MB" if limit % MB == 0 else f"{limit / MB:.1f} MB"
    return f"{max(1, -(-limit // 1024))} KB"


def too_large(limit: int) -> str:
    return (f"That is too large: this page takes at most {size_words(limit)} at a time. "
            "Send less (a smaller file, or fewer at once).")


def too_slow(seconds: float) -> str:
    return (f"The request stopped arriving (nothing for {seconds:g} seconds), so the hub "
            "stopped waiting. Please try again.")


def too_slow_overall(rate: float) -> str:
    return (f"The request arrived too slowly (under {size_words(int(rate))} a second), so the hub "
            "stopped waiting. Please try again on a better connection.")


class _Body:
    """The app's receive(): counts the body and bounds the wait for each part of it, and the
    pace overall: after the first `idle_seconds` (a grace period), a body must have come at
    `min_rate` bytes a second or more on average, so a client sending a byte just before each
    pause would time out cannot hold a connection for days. Once the body is complete it steps
    aside, so waiting for a disconnect is not timed."""

    def __init__(self, receive: Receive, limit: int, idle_seconds: float,
                 min_rate: float = 0.0, grace: float | None = None) -> None:
        self._receive = receive
        self.limit = limit
        self.idle_seconds = idle_seconds
        self.min_rate = min_rate
        self.grace = idle_seconds if grace is None else grace
        self.received = 0
        self.complete = False
        self.refusal: tuple[int, str] | None = None
        self._started: float | None = None

    async def __call__(self) -> Message:
        if self.complete:
            return await self._receive()
        if self.refusal is not None:
            return dict(_DISCONNECT)
        loop = asyncio.get_running_loop()
        if self._started is None:
            self._started = loop.time()
        try:
            async with asyncio.timeout(self.idle_seconds):
                message = await self._receive()
        except TimeoutError:
            self.refusal = (408, too_slow(self.idle_seconds))
            return dict(_DISCONNECT)
        if message["type"] != "http.request":
            return message
        self.received += len(message.get("body", b""))
        more = bool(message.get("more_body", False))
        late = loop.time() - self._started - self.grace
        if more and self.min_rate > 0 and late > 0 and self.received < self.min_rate * late:
            self.refusal = (408, too_slow_overall(self.min_rate))
            return dict(_DISCONNECT)
        if self.received > self.limit:
            # Django hears that the client left and drops what it read (in memory: the small
            # limits stay under FILE_UPLOAD_MAX_MEMORY_SIZE, so nothing reaches the disk).
            self.refusal = (413, too_large(self.limit))
            return dict(_DISCONNECT)
        if not more:
            self.complete = True
        return message


class _Started:
    """The app's send(): notes whether a response was begun."""

    def __init__(self, send: Send) -> None:
        self._send = send
        self.started = False

    async def __call__(self, message: Message) -> None:
        if message["type"] == "http.response.start":
            self.started = True
        await self._send(message)


def _header(scope: Scope, name: bytes) -> bytes | None:
    for key, value in scope.get("headers", ()):
        if key == name:
            return bytes(value)
    return None


def _wants_json(scope: Scope) -> bool:
    accept = _header(scope, b"accept") or b""
    return _header(scope, b"x-requested-with") is not None or b"application/json" in accept


async def refuse(scope: Scope, send: Send, status: int, text: str) -> None:
    """Answer with a sentence (JSON for scripts). The app never sees the rest of the body. After
    a 413 the server reads and drops it for a bounded time (core/uvicorn_protocol.py), so a
    browser still uploading reads this answer rather than a reset connection; after a 408 the
    client has stopped sending, and the connection is closed."""
    if _wants_json(scope):
        body, kind = json.dumps({"error": text}).encode(), b"application/json"
    else:
        body, kind = text.encode(), b"text/plain; charset=utf-8"
    headers = [(b"content-type", kind), (b"content-length", str(len(body)).encode()),
               (b"x-content-type-options", b"nosniff"), (b"cache-control", b"no-store")]
    if status != 413:
        headers.append((b"connection", b"close"))
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def parse_networks(cidrs: Sequence[str]) -> tuple[Network, ...]:
    return tuple(ipaddress.ip_network(cidr, strict=False) for cidr in cidrs)


def in_networks(address: str, networks: Sequence[Network]) -> bool:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return any(ip in net for net in networks)


class EdgeLimits:
    """ASGI wrapper: per-route body limits, a per-chunk idle timeout, trusted proxies.

    `limit_for(scope, path)` gives the largest body a request takes (`path` is without the
    script prefix);
    `idle_seconds` is the longest wait for the next part of a body, and `min_rate` the slowest
    average pace (bytes a second) a body may keep after that long; `trusted_proxies` lists the
    networks whose X-Forwarded-Proto is believed (from anyone else the header is removed, so
    Django's SECURE_PROXY_SSL_HEADER cannot be fooled)."""

    def __init__(self, app: ASGIApp, *, limit_for: Callable[[Scope, str], Awaitable[int]],
                 idle_seconds: Callable[[], float],
                 trusted_proxies: Callable[[], Sequence[Network]],
                 min_rate: Callable[[], float] = lambda: 0.0) -> None:
        self.app = app
        self.limit_for = limit_for
        self.idle_seconds = idle_seconds
        self.trusted_proxies = trusted_proxies
        self.min_rate = min_rate

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        self._forwarded_proto(scope)
        path = str(scope.get("path", "/"))
        root = str(scope.get("root_path", ""))
        if root and path.startswith(root):
            path = path[len(root):] or "/"
        limit = await self.limit_for(scope, path)
        declared = _header(scope, b"content-length")
        if declared is not None and declared.strip().isdigit() and int(declared) > limit:
            await refuse(scope, send, 413, too_large(limit))
            return
        body = _Body(receive, limit, self.idle_seconds(), self.min_rate())
        started = _Started(send)
        await self.app(scope, body, started)
        if body.refusal is not None and not started.started:
            await refuse(scope, send, *body.refusal)

    def _forwarded_proto(self, scope: Scope) -> None:
        client = scope.get("client")
        host = str(client[0]) if client else ""
        if host and in_networks(host, self.trusted_proxies()):
            return
        headers = scope.get("headers", [])
        if any(key == b"x-forwarded-proto" for key, _ in headers):
            scope["headers"] = [(k, v) for k, v in headers if k != b"x-forwarded-proto"]
