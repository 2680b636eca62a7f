"""A small synchronous Nostr relay client over `websockets.sync.client`.

Why not nostr-sdk: its Python API moves between minor versions and it is asyncio-only, while the
delivery engine is synchronous. NIP-01 over a websocket is small enough to speak directly.

The SSRF guard: a relay's host is resolved and checked by `core.http.resolve_checked` (the same
rules as every HTTP request the hub makes), then a TCP socket is opened to the checked address
and handed to websockets (`sock=`), which keeps the URL's host for the Host header and for TLS
(SNI and certificate check). There is no second lookup, so DNS rebinding cannot dodge the check.
Environment proxies are not used (`proxy=None`), as in `core.http.guarded_session`.

Every operation opens its own connections (in parallel, one thread per relay) and closes them:
nostr-relay throttles a connection after one rejected event, so connections are not reused
across operations.
"""

from __future__ import annotations

import json
import logging
import secrets
import socket
import ssl
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from types import TracebackType
from typing import Any, Literal, Self
from urllib.parse import urlsplit, urlunsplit

from websockets.exceptions import (
    ConnectionClosed,
    InvalidHandshake,
    InvalidStatus,
    InvalidURI,
)
from websockets.sync.client import ClientConnection, connect

from hubbub.core.http import BlockedDestination, default_timeout, resolve_checked, user_agent
from hubbub.core.http import retry_at_from_headers as _retry_at_from_headers
from hubbub.core.tls_words import tls_sentence
from hubbub.networks.nostr.events import Event, matches, verify

log = logging.getLogger(__name__)

MAX_MESSAGE_BYTES = 4 * 1024 * 1024  # big contact lists and long notes fit
# A relay that says "rate-limited:" names no time: wait this long.
DEFAULT_RATE_LIMIT_WAIT = timedelta(seconds=60)
ALLOWED_SCHEMES = ("ws", "wss")

FailureKind = Literal[
    "blocked", "invalid_url", "dns", "refused", "connect_timeout", "tls", "handshake",
    "http_status", "rate_limited", "timeout", "dropped", "malformed", "refused_request",
]
PublishStatus = Literal[
    "accepted", "duplicate", "refused", "rate_limited", "error", "unreachable", "unknown"
]


@dataclass(frozen=True)
class RelayFailure:
    """Why a relay could not be used. `retry_at` when the relay said when to come back."""

    url: str
    kind: FailureKind
    reason: str
    retry_at: datetime | None = None
    http_status: int | None = None

    @property
    def before_sending(self) -> bool:
        """True when nothing can have reached the relay (the connection never opened)."""
        return self.kind in (
            "blocked", "invalid_url", "dns", "refused", "connect_timeout", "tls", "handshake",
            "http_status", "rate_limited",
        )


class RelayError(Exception):
    def __init__(self, failure: RelayFailure) -> None:
        super().__init__(failure.reason)
        self.failure = failure


@dataclass(frozen=True)
class PublishOutcome:
    url: str
    status: PublishStatus
    message: str = ""
    retry_at: datetime | None = None
    blocked: bool = False  # unreachable because the SSRF guard refused the address

    @property
    def stored(self) -> bool:
        return self.status in ("accepted", "duplicate")


@dataclass(frozen=True)
class QueryResult:
    """Events from every relay that answered (verified, one per id, newest first)."""

    events: list[Event]
    answered: tuple[str, ...]
    failures: dict[str, RelayFailure] = field(default_factory=dict)


# --- addresses --------------------------------------------------------------------------------


def normalize_relay_url(text: str) -> str:
    """ws(s)://host[:port][/path] as stored: lowercase scheme and host, no default port, no
    trailing slash, no query. Raises ValueError with a message fit to show a person."""
    candidate = (text or "").strip()
    if not candidate:
        raise ValueError("Enter a relay address, for example wss://relay.example.com")
    if "://" not in candidate:
        candidate = "wss://" + candidate
    try:
        parts = urlsplit(candidate)
        port = parts.port
    except ValueError as exc:
        raise ValueError(f"{text!r} is not a valid relay address ({exc})") from None
    scheme = parts.scheme.lower()
    if scheme not in ALLOWED_SCHEMES:
        raise ValueError(f"{text!r} is not a relay address: it must start with wss:// or ws://")
    if parts.username is not None or parts.password is not None:
        raise ValueError(f"{text!r} must not contain a user name or password")
    host = (parts.hostname or "").rstrip(".")
    if not host:
        raise ValueError(f"{text!r} has no server name")
    try:
        host = host.encode("idna").decode("ascii").lower()
    except UnicodeError:
        raise ValueError(f"{text!r} is not a valid server name") from None
    if ":" in host:
        host = f"[{host}]"
    default_port = 443 if scheme == "wss" else 80
    netloc = host if port in (None, default_port) else f"{host}:{port}"
    path = parts.path.rstrip("/")
    return urlunsplit((scheme, netloc, path, "", ""))


def http_url(relay_url: str) -> str:
    """The relay's NIP-11 address: the same URL over http(s)."""
    parts = urlsplit(relay_url)
    scheme = "https" if parts.scheme == "wss" else "http"
    return urlunsplit((scheme, parts.netloc, parts.path or "/", "", ""))


# --- one connection ---------------------------------------------------------------------------


def _fail(url: str, kind: FailureKind, reason: str, **extra: Any) -> RelayError:
    return RelayError(RelayFailure(url=url, kind=kind, reason=reason, **extra))


def _connect_socket(url: str, host: str, port: int, timeout: float) -> socket.socket:
    try:
        addresses = resolve_checked(host, port)
    except BlockedDestination as exc:
        raise _fail(url, "blocked", str(exc)) from None
    except (socket.gaierror, UnicodeError):
        raise _fail(url, "dns", "the host name could not be resolved") from None
    last_error: OSError | None = None
    for _family, ip in addresses:
        try:
            return socket.create_connection((ip, port), timeout=timeout)
        except TimeoutError:
            raise _fail(url, "connect_timeout", "the connection timed out") from None
        except OSError as exc:
            last_error = exc
    reason = "the connection was refused" if isinstance(
        last_error, ConnectionRefusedError) else f"the connection failed ({last_error})"
    raise _fail(url, "refused", reason)


def open_connection(url: str, timeout: float | None = None) -> RelayConnection:
    """Open a websocket to a relay through the SSRF guard. Raises RelayError."""
    wait = default_timeout() if timeout is None else timeout
    try:
        parts = urlsplit(url)
        port = parts.port or (443 if parts.scheme == "wss" else 80)
    except ValueError as exc:
        raise _fail(url, "invalid_url", f"the address is not valid ({exc})") from None
    if parts.scheme not in ALLOWED_SCHEMES or not parts.hostname:
        raise _fail(url, "invalid_url", "a relay address starts with wss:// or ws://")
    sock = _connect_socket(url, parts.hostname.rstrip("."), port, wait)
    try:
        ws = connect(
            url,
            sock=sock,
            proxy=None,
            open_timeout=wait,
            close_timeout=min(wait, 2.0),
            user_agent_header=user_agent(),
            max_size=MAX_MESSAGE_BYTES,
            legacy=True,  # a connection object, not websockets 17's reconnecting iterator
        )
    except InvalidStatus as exc:
        sock.close()
        raise _status_failure(url, exc) from None
    except InvalidURI as exc:
        sock.close()
        raise _fail(url, "invalid_url", f"the address is not valid ({exc})") from None
    except ssl.SSLError as exc:
        sock.close()
        raise _fail(url, "tls", tls_sentence(exc)) from None
    except InvalidHandshake as exc:
        sock.close()
        raise _fail(url, "handshake", f"it did not answer as a websocket server ({exc})") from None
    except TimeoutError:
        sock.close()
        raise _fail(url, "connect_timeout", "the websocket handshake timed out") from None
    except OSError as exc:
        sock.close()
        raise _fail(url, "refused", f"the connection failed ({exc})") from None
    except ValueError as exc:
        # websockets does not follow a redirect on a socket it was given (ours, checked by the
        # guard): a relay that redirects is not used.
        sock.close()
        cause = exc.__cause__
        status = cause.response.status_code if isinstance(cause, InvalidStatus) else None
        raise _fail(url, "http_status", f"it redirected elsewhere (HTTP {status}), which is "
                    "not followed", http_status=status) from None
    return RelayConnection(url, ws, wait)


def _status_failure(url: str, exc: InvalidStatus) -> RelayError:
    status = exc.response.status_code
    now = datetime.now(UTC)
    retry_at = _retry_at_from_headers(exc.response.headers, now=now)
    if status == 429:
        if retry_at is None or retry_at <= now:
            retry_at = now + DEFAULT_RATE_LIMIT_WAIT
        return _fail(url, "rate_limited", f"it rate-limited us (HTTP 429) until "
                     f"{retry_at:%H:%M:%S} UTC", retry_at=retry_at, http_status=status)
    if status >= 500:
        return _fail(url, "http_status", f"it had a problem (HTTP {status})", retry_at=retry_at,
                     http_status=status)
    return _fail(url, "http_status",
                 f"it answered HTTP {status} instead of opening a websocket", http_status=status)


class RelayConnection:
    """One open websocket to one relay. Messages are NIP-01 JSON arrays."""

    def __init__(self, url: str, ws: ClientConnection, timeout: float) -> None:
        self.url = url
        self.ws = ws
        self.timeout = timeout
        self.notices: list[str] = []
        self.auth_challenge = ""

    def send(self, message: Sequence[Any]) -> None:
        try:
            self.ws.send(json.dumps(message, ensure_ascii=False, separators=(",", ":")))
        except ConnectionClosed as exc:
            raise _fail(self.url, "dropped", f"the connection was lost ({exc})") from None

    def receive(self, deadline: float) -> list[Any]:
        """The next message as a list, before the monotonic `deadline`. Raises RelayError."""
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise _fail(self.url, "timeout", "no answer before the timeout")
        try:
            raw = self.ws.recv(timeout=remaining)
        except TimeoutError:
            raise _fail(self.url, "timeout", "no answer before the timeout") from None
        except ConnectionClosed as exc:
            raise _fail(self.url, "dropped", f"the connection was lost ({exc})") from None
        try:
            message = json.loads(raw)
        except (ValueError, TypeError):
            raise _fail(self.url, "malformed", "it sent something that is not JSON") from None
        if not isinstance(message, list) or not message or not isinstance(message[0], str):
            raise _fail(self.url, "malformed", "it sent a message that is not a NIP-01 array")
        if message[0] == "NOTICE" and len(message) > 1:
            self.notices.append(str(message[1])[:300])
        elif message[0] == "AUTH" and len(message) > 1:
            self.auth_challenge = str(message[1])
        return message

    def close(self) -> None:
        try:
            self.ws.close()
        except Exception:  # closing is best effort
            log.debug("closing %s failed", self.url, exc_info=True)


def _prefix(message: str) -> str:
    return message.split(":", 1)[0].strip().lower() if ":" in message else ""


def publish_on(conn: RelayConnection, event: Event) -> PublishOutcome:
    """Send ["EVENT", event] and read the relay's OK. Never raises."""
    deadline = time.monotonic() + conn.timeout
    try:
        conn.send(["EVENT", event])
    except RelayError as exc:
        return PublishOutcome(conn.url, "unknown", exc.failure.reason)
    while True:
        try:
            message = conn.receive(deadline)
        except RelayError as exc:
            said = f" (it said: {conn.notices[-1]})" if conn.notices else ""
            return PublishOutcome(conn.url, "unknown", exc.failure.reason + said)
        # nostr-relay 1.14 answers a rejected event with an empty id (and after a throttle).
        if message[0] == "OK" and len(message) >= 3 and message[1] in (event["id"], ""):
            text = str(message[3]) if len(message) > 3 and message[3] is not None else ""
            return _ok_outcome(conn.url, message[2] is True, text)


def _ok_outcome(url: str, accepted: bool, message: str) -> PublishOutcome:
    prefix = _prefix(message)
    if prefix == "duplicate":
        return PublishOutcome(url, "duplicate", message)
    if accepted:
        return PublishOutcome(url, "accepted", message)
    if prefix == "rate-limited":
        return PublishOutcome(url, "rate_limited", message,
                              retry_at=datetime.now(UTC) + DEFAULT_RATE_LIMIT_WAIT)
    if prefix == "error":
        return PublishOutcome(url, "error", message)
    return PublishOutcome(url, "refused", message or "refused without a reason")


def query_on(conn: RelayConnection, filters: Sequence[Mapping[str, Any]]) -> list[Event]:
    """["REQ", sub, *filters] -> the stored events up to EOSE (verified). Raises RelayError."""
    sub = secrets.token_hex(8)
    deadline = time.monotonic() + conn.timeout
    conn.send(["REQ", sub, *filters])
    found: list[Event] = []
    while True:
        message = conn.receive(deadline)
        kind = message[0]
        if kind == "EVENT" and len(message) >= 3 and message[1] == sub:
            if not verify(message[2]):
                log.warning("%s sent an event with a bad id or signature: dropped", conn.url)
            elif any(matches(message[2], f) for f in filters):
                found.append(message[2])
            else:
                log.warning("%s sent an event its filter does not ask for: dropped", conn.url)
        elif kind == "EOSE" and len(message) >= 2 and message[1] == sub:
            conn.send(["CLOSE", sub])
            return found
        elif kind == "CLOSED" and len(message) >= 2 and message[1] == sub:
            raise closed_failure(conn.url, str(message[2]) if len(message) > 2 else "")
        elif kind == "NOTICE" and len(message) > 1 and str(message[1]).lower().startswith(
            "rate-limited"
        ):
            # nostr-relay refuses a REQ over its rate with a NOTICE, not a CLOSED
            raise closed_failure(conn.url, f"rate-limited: {message[1]}")


def closed_failure(url: str, message: str) -> RelayError:
    prefix = _prefix(message)
    if prefix == "rate-limited":
        return _fail(url, "rate_limited", f"it rate-limited the request ({message})",
                     retry_at=datetime.now(UTC) + DEFAULT_RATE_LIMIT_WAIT)
    return _fail(url, "refused_request", f"it refused the request ({message or 'no reason'})")


# --- several relays at once -------------------------------------------------------------------


def parallel[T, R](work: Callable[[T], R], items: Sequence[T]) -> list[R]:
    if len(items) <= 1:
        return [work(item) for item in items]
    with ThreadPoolExecutor(max_workers=min(len(items), 16)) as pool:
        return list(pool.map(work, items))


class RelayPool:
    """Connections to several relays, opened in parallel, used by one operation, then closed.

        with RelayPool(urls) as pool:
            result = pool.query([{"kinds": [1], "authors": [pk]}])
    """

    def __init__(self, urls: Iterable[str], timeout: float | None = None) -> None:
        self.urls = list(dict.fromkeys(urls))
        self.timeout = default_timeout() if timeout is None else timeout
        self.live: dict[str, RelayConnection] = {}
        self.failures: dict[str, RelayFailure] = {}

    def __enter__(self) -> Self:
        def attempt(url: str) -> RelayConnection | RelayFailure:
            try:
                return open_connection(url, self.timeout)
            except RelayError as exc:
                return exc.failure

        for url, result in zip(self.urls, parallel(attempt, self.urls), strict=True):
            if isinstance(result, RelayConnection):
                self.live[url] = result
            else:
                self.failures[url] = result
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        parallel(lambda conn: conn.close(), list(self.live.values()))
        self.live.clear()

    def publish(self, event: Event) -> list[PublishOutcome]:
        """The event to every relay; one outcome per relay (unreachable ones included)."""
        outcomes = [
            PublishOutcome(
                url,
                "rate_limited" if failure.kind == "rate_limited" else "unreachable",
                failure.reason,
                failure.retry_at,
                blocked=failure.kind == "blocked",
            )
            for url, failure in self.failures.items()
        ]
        outcomes.extend(parallel(lambda conn: publish_on(conn, event), list(self.live.values())))
        return outcomes

    def query(self, filters: Sequence[Mapping[str, Any]]) -> QueryResult:
        def attempt(conn: RelayConnection) -> list[Event] | RelayFailure:
            try:
                return query_on(conn, filters)
            except RelayError as exc:
                return exc.failure

        conns = list(self.live.values())
        answered: list[str] = []
        failures = dict(self.failures)
        merged: dict[str, Event] = {}
        for conn, result in zip(conns, parallel(attempt, conns), strict=True):
            if isinstance(result, RelayFailure):
                failures[conn.url] = result
                # The stream is in an unknown state (a late EOSE, half an answer): drop it.
                self.live.pop(conn.url, None)
                conn.close()
                continue
            answered.append(conn.url)
            for event in result:
                merged.setdefault(event["id"], event)
        events = sorted(merged.values(), key=lambda e: (-e["created_at"], e["id"]))
        return QueryResult(events=events, answered=tuple(answered), failures=failures)
