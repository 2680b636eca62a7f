"""Mastodon's streaming API over Server-Sent Events, as an iterator of Items.

One HTTP stream per endpoint the feeds need (home and mentions share /api/v1/streaming/user;
each hashtag and list has its own), each read by its own thread into one queue, so
`next()` sees them all. Every request goes through the guarded session (SSRF guard,
User-Agent); the read timeout is longer than Mastodon's heartbeat, so a silent server counts as
gone. `close()` from any thread ends the iterator at once.
"""

from __future__ import annotations

import contextlib
import json
import logging
import queue
import socket
import threading
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any

import requests

from hubbub.core.http import guarded_session, user_agent
from hubbub.networks.base import DELETED, Item
from hubbub.networks.errors import ConnectorError, Rejected, Transient
from hubbub.networks.mastodon import failures, mapping

log = logging.getLogger(__name__)
CONNECT_TIMEOUT = 10.0
# Mastodon sends a ":thump" comment every ~15 s (the mock too): three missed is a dead stream.
READ_TIMEOUT = 50.0
BACKLOG = 1000
STREAMABLE_PREFIXES = ("hashtag:", "list:")
STATUS_EVENTS = frozenset({"update", "status.update", "status_update"})


def can_stream(feed: str) -> bool:
    # A list named by its title is polled: the stream takes list ids only.
    kind, _, value = feed.partition(":")
    value = value.strip()
    return feed in ("home", "mentions") or (
        feed.startswith(STREAMABLE_PREFIXES) and bool(value)
        and (kind != "list" or (value.isascii() and value.isdigit())))


@dataclass(frozen=True)
class Endpoint:
    path: str
    params: Mapping[str, str]
    feeds: frozenset[str]  # the feed keys its events go to


def endpoints_for(feeds: Iterable[str]) -> list[Endpoint]:
    wanted = set(feeds)
    endpoints: list[Endpoint] = []
    user_feeds = frozenset(wanted & {"home", "mentions"})
    if user_feeds:
        endpoints.append(Endpoint("/api/v1/streaming/user", {}, user_feeds))
    for feed in sorted(wanted - user_feeds):
        kind, _, value = feed.partition(":")
        value = value.strip()
        if kind == "hashtag" and value:
            endpoints.append(Endpoint("/api/v1/streaming/hashtag",
                                      {"tag": value.lstrip("#")}, frozenset({feed})))
        elif kind == "list" and value:
            endpoints.append(Endpoint("/api/v1/streaming/list", {"list": value},
                                      frozenset({feed})))
        else:
            raise NotImplementedError(f"Mastodon cannot stream {feed!r}")
    return endpoints


def deletion(status_id: str) -> Item:
    """The marker for a `delete` event (its payload is the bare status id). The server sends
    deletions only for statuses that were deleted, so no author is given to check."""
    return Item(remote_id=status_id, kind=DELETED, author_handle="", author_name="",
                created_at=datetime.now(UTC))


def items_from_event(event: str, data: str, endpoint: Endpoint, base_url: str) -> list[Item]:
    """The Items one streaming event carries for the endpoint's feeds (often none); a
    `delete` gives one DELETED marker."""
    if event == "delete":
        status_id = data.strip().strip('"')
        # Mastodon's ids are digits (Pleroma's and Akkoma's letters too); nothing else is one.
        plain = status_id.replace("-", "").replace("_", "")
        usable = plain.isascii() and plain.isalnum() and len(status_id) <= 100
        return [deletion(status_id)] if usable else []
    if event not in STATUS_EVENTS and event != "notification":
        return []  # filters_changed, announcement, conversation ...
    try:
        payload = json.loads(data)
    except ValueError:
        log.info("unreadable %s event from %s", event, base_url)
        return []
    if not isinstance(payload, Mapping):
        return []
    try:
        if event == "notification":
            if "mentions" not in endpoint.feeds \
                    or payload.get("type") not in mapping.MENTION_TYPES:
                return []
            item = mapping.item_from_notification(payload, base_url)
            return [] if item is None else [replace(item, extra={**item.extra,
                                                                 "feed": "mentions"})]
        feed = "home" if endpoint.path.endswith("/user") else next(iter(endpoint.feeds))
        if feed not in endpoint.feeds:
            return []  # the user stream, when only mentions are wanted
        return [mapping.item_from_status(payload, base_url, extra={"feed": feed})]
    except Exception as exc:  # mapping is pure: one unreadable status, not the stream's end
        log.warning("skipped an unreadable %s event from %s (id %.100r): %s: %.200s", event,
                    base_url, payload.get("id"), type(exc).__name__, exc)
        return []


def sse_events(chunks: Iterable[bytes]) -> Iterator[tuple[str, str]]:
    """(event, data) pairs from an SSE byte stream; comments (heartbeats) are skipped."""
    buffer = b""
    event = ""
    data: list[str] = []
    for chunk in chunks:
        buffer += chunk
        while True:
            line, sep, rest = buffer.partition(b"\n")
            if not sep:
                break
            buffer = rest
            text = line.rstrip(b"\r").decode("utf-8", "replace")
            if not text:
                if data:
                    yield event or "message", "\n".join(data)
                event, data = "", []
            elif text.startswith(":"):
                continue
            else:
                name, _, value = text.partition(":")
                value = value.removeprefix(" ")
                if name == "event":
                    event = value
                elif name == "data":
                    data.append(value)


def arriving(response: requests.Response) -> Iterator[bytes]:
    """The body's bytes as they arrive. A chunked body is read chunk by chunk; any other
    (a Content-Length, or a body that ends when the connection does) with read1, which returns
    what the socket has rather than waiting to fill a buffer: iter_content would hold such a
    stream's events until the server closed the connection."""
    raw = response.raw
    if raw.chunked:
        yield from response.iter_content(chunk_size=None)
        return
    while True:
        data = raw.read1(65536)
        if not data:
            return
        yield data


_END = object()


class MastodonStream:
    """Items from Mastodon's streaming endpoints; see the module docstring."""

    def __init__(self, base_url: str, access_token: str, feeds: Sequence[str], *,
                 read_timeout: float = READ_TIMEOUT) -> None:
        self.base_url = base_url.rstrip("/")
        self.endpoints = endpoints_for(feeds)
        self._token = access_token
        self._read_timeout = read_timeout
        self._queue: queue.Queue[Any] = queue.Queue(maxsize=BACKLOG)
        self._closed = threading.Event()
        self._ready = threading.Semaphore(0)
        self._responses: list[requests.Response] = []
        self._lock = threading.Lock()
        self._threads = [
            threading.Thread(target=self._read, args=(endpoint,), daemon=True,
                             name=f"mastodon-stream{endpoint.path.rsplit('/', 1)[-1]}")
            for endpoint in self.endpoints
        ]
        for thread in self._threads:
            thread.start()

    # --- the iterator ------------------------------------------------------------------------
    def __iter__(self) -> MastodonStream:
        return self

    def __next__(self) -> Item:
        got = self._queue.get()
        if got is _END or self._closed.is_set():
            self._put_end()  # wake any other reader too
            raise StopIteration
        if isinstance(got, BaseException):
            self.close()
            raise got
        item: Item = got
        return item

    def wait_ready(self, timeout: float) -> bool:
        """True once every endpoint answered 200 (events published after that arrive)."""
        import time

        deadline = time.monotonic() + timeout
        for _ in self.endpoints:
            if not self._ready.acquire(timeout=max(0.0, deadline - time.monotonic())):
                return False
        for _ in self.endpoints:
            self._ready.release()  # stays ready for later callers
        return not self._closed.is_set()

    def close(self) -> None:
        if self._closed.is_set():
            return
        self._closed.set()
        with self._lock:
            responses = list(self._responses)
        for response in responses:
            _shutdown(response)
        self._put_end()

    def __enter__(self) -> MastodonStream:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # --- readers -----------------------------------------------------------------------------
    def _put(self, value: Any) -> None:
        while not self._closed.is_set():
            try:
                self._queue.put(value, timeout=0.5)
                return
            except queue.Full:
                continue

    def _put_end(self) -> None:
        with contextlib.suppress(queue.Full):
            self._queue.put_nowait(_END)

    def _read(self, endpoint: Endpoint) -> None:
        session = guarded_session((CONNECT_TIMEOUT, self._read_timeout))
        try:
            response = session.get(
                self.base_url + endpoint.path, params=dict(endpoint.params), stream=True,
                headers={"Authorization": f"Bearer {self._token}",
                         "Accept": "text/event-stream", "User-Agent": user_agent()},
            )
            with self._lock:
                self._responses.append(response)
            if self._closed.is_set():
                _shutdown(response)
                return
            if response.status_code != 200:
                raise _http_error(response, self.base_url)
            self._ready.release()
            for event, data in sse_events(arriving(response)):
                if self._closed.is_set():
                    return
                for item in items_from_event(event, data, endpoint, self.base_url):
                    self._put(item)
            if not self._closed.is_set():
                raise Transient(f"{_host(self.base_url)} ended the stream")
        except ConnectorError as exc:
            if not self._closed.is_set():
                self._put(exc)
        except Exception as exc:  # the socket shut by close(), or the network failing
            if not self._closed.is_set():
                self._put(_transport_error(exc, self.base_url))
        finally:
            session.close()


def _host(base_url: str) -> str:
    return base_url.split("://", 1)[-1]


def _http_error(response: requests.Response, base_url: str) -> ConnectorError:
    try:
        body = response.json()
        message = str(body.get("error") or "") if isinstance(body, Mapping) else ""
    except ValueError:
        message = ""
    finally:
        response.close()
    if response.status_code == 404:
        # Streaming switched off, or a list that is gone: asking again will not help soon.
        return Rejected(f"{_host(base_url)} does not stream this (HTTP 404)")
    return failures.map_status(response.status_code, message, response.headers,
                              base_url=base_url)


def _transport_error(exc: BaseException, base_url: str) -> ConnectorError:
    error = failures.map_error(exc, None, base_url=base_url)
    if isinstance(error, Rejected):
        return error
    return Transient(f"The stream from {_host(base_url)} broke: {exc}")


def _shutdown(response: requests.Response) -> None:
    """Wake the thread blocked reading this response (closing alone does not, on Linux)."""
    sock = _socket_of(response)
    if sock is not None:
        with contextlib.suppress(OSError):
            sock.shutdown(socket.SHUT_RDWR)
    with contextlib.suppress(Exception):
        response.close()


def _socket_of(response: requests.Response) -> socket.socket | None:
    connection = getattr(response.raw, "_connection", None)
    sock = getattr(connection, "sock", None)
    if isinstance(sock, socket.socket):
        return sock
    # A body that ends when the connection does: http.client hands the socket over to the
    # response (the connection forgets it), so it is found under the response's file.
    body = getattr(getattr(response.raw, "_fp", None), "fp", None)
    sock = getattr(getattr(body, "raw", None), "_sock", None)
    return sock if isinstance(sock, socket.socket) else None

