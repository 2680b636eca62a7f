"""The one outbound HTTP module: timeouts, the SSRF guard, rate-limit parsing, base URLs.

Every request the hub makes to a network goes through a session from `guarded_session()`.
Its transport adapter
- applies `settings.HUBBUB_HTTP_TIMEOUT` (connect and read) to requests that name no timeout;
- refuses schemes other than http and https;
- resolves the host itself, refuses private, loopback, link-local, multicast, reserved and
  unspecified addresses (unless `settings.HUBBUB_ALLOW_PRIVATE_NETWORKS` lists their network),
  and then connects to exactly the address it checked. TLS still verifies the certificate
  against the host name, and the Host header is unchanged, so the check cannot be dodged by
  DNS rebinding (a name that resolves to a public address for the check and a private one for
  the connection): there is no second lookup.
- sends `User-Agent: hubbub/<version>`.

Environment proxies are ignored (`trust_env = False`): through a proxy the guard would check
the proxy's address instead of the destination's.
"""

from __future__ import annotations

import email.utils
import ipaddress
import re
import socket
import sys
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import cache
from importlib.metadata import PackageNotFoundError, version
from typing import Any
from urllib.parse import urlsplit

import requests
from django.conf import settings
from requests.adapters import HTTPAdapter
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool
from urllib3.exceptions import (
    ConnectTimeoutError,
    MaxRetryError,
    NameResolutionError,
    NewConnectionError,
    ProtocolError,
)
from urllib3.util import connection as urllib3_connection

from hubbub.core.tls_words import tls_sentence

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network
Timeout = float | tuple[float, float]

ALLOWED_SCHEMES = frozenset({"http", "https"})


class BlockedDestination(ValueError):
    """The SSRF guard refused a destination (a private address, or a scheme other than http(s))."""


# --- identity ---------------------------------------------------------------------------------


@cache
def user_agent() -> str:
    try:
        return f"hubbub/{version('hubbub')}"
    except PackageNotFoundError:  # running from a bare source tree
        return "hubbub/0+unknown"


# --- the SSRF guard ---------------------------------------------------------------------------


def allowed_networks() -> tuple[IPNetwork, ...]:
    """The private networks an operator allowed (a LAN instance, the test peers on loopback)."""
    return _parse_networks(tuple(settings.HUBBUB_ALLOW_PRIVATE_NETWORKS))


@cache
def _parse_networks(cidrs: tuple[str, ...]) -> tuple[IPNetwork, ...]:
    networks: list[IPNetwork] = []
    for cidr in cidrs:
        try:
            networks.append(ipaddress.ip_network(cidr.strip(), strict=False))
        except ValueError:
            raise ValueError(
                f"HUBBUB_ALLOW_PRIVATE_NETWORKS: {cidr!r} is not a network in CIDR form "
                "(e.g. 192.168.1.0/24)"
            ) from None
    return tuple(networks)


def _why_not_public(ip: IPAddress) -> str | None:
    """Why this address is not a public unicast one, or None when it is."""
    if ip.is_loopback:
        return "a loopback address"
    if ip.is_unspecified:
        return "the unspecified address"
    if ip.is_link_local:
        return "a link-local address"
    if ip.is_multicast:
        return "a multicast address"
    if ip.is_reserved:
        return "a reserved address"
    if ip.is_private:
        return "a private address"
    if not ip.is_global:  # e.g. 100.64.0.0/10 (carrier-grade NAT), documentation ranges
        return "not a public address"
    return None


def check_address(ip: IPAddress | str, allowed: Iterable[IPNetwork] | None = None) -> None:
    """Raise BlockedDestination unless `ip` is public or inside an allowed network."""
    address = ipaddress.ip_address(ip) if isinstance(ip, str) else ip
    # ::ffff:10.0.0.1 reaches 10.0.0.1: judge the IPv4 address it carries.
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    reason = _why_not_public(address)
    if reason is None:
        return
    networks = allowed_networks() if allowed is None else tuple(allowed)
    if any(address.version == net.version and address in net for net in networks):
        return
    raise BlockedDestination(
        f"Refusing to connect to {address}: it is {reason}. "
        "List its network in HUBBUB_ALLOW_PRIVATE_NETWORKS to allow it."
    )


def resolve_checked(
    host: str, port: int, allowed: Iterable[IPNetwork] | None = None
) -> list[tuple[int, str]]:
    """Resolve `host` and check every address it has; return (family, ip) pairs to connect to.

    All addresses must pass: a name that mixes public and private addresses is refused.
    Raises socket.gaierror when the name does not resolve."""
    host = host.strip("[]")
    family = urllib3_connection.allowed_gai_family()
    infos = socket.getaddrinfo(host, port, family, socket.SOCK_STREAM)
    result: list[tuple[int, str]] = []
    for fam, _type, _proto, _canon, sockaddr in infos:
        ip = str(sockaddr[0]).split("%", 1)[0]  # drop an IPv6 zone id
        check_address(ip, allowed)
        if (fam, ip) not in result:
            result.append((fam, ip))
    return result


def _guarded_new_conn(conn: HTTPConnection) -> socket.socket:
    """urllib3's `_new_conn`, but resolve and check first, then connect to the checked address."""
    try:
        addresses = resolve_checked(conn._dns_host.rstrip("."), conn.port)
    except socket.gaierror as exc:
        raise NameResolutionError(conn.host, conn, exc) from exc
    last_error: OSError | None = None
    for _family, ip in addresses:
        try:
            sock = urllib3_connection.create_connection(
                (ip, conn.port),
                conn.timeout,
                source_address=conn.source_address,
                socket_options=conn.socket_options,
            )
        except TimeoutError as exc:
            raise ConnectTimeoutError(
                conn, f"Connection to {conn.host} timed out. (connect timeout={conn.timeout})"
            ) from exc
        except OSError as exc:
            last_error = exc
            continue
        sys.audit("http.client.connect", conn, conn.host, conn.port)
        return sock
    raise NewConnectionError(
        conn, f"Failed to establish a new connection: {last_error}"
    ) from last_error


class GuardedHTTPConnection(HTTPConnection):
    def _new_conn(self) -> socket.socket:
        return _guarded_new_conn(self)


class GuardedHTTPSConnection(HTTPSConnection):
    def _new_conn(self) -> socket.socket:
        return _guarded_new_conn(self)


class GuardedHTTPConnectionPool(HTTPConnectionPool):
    ConnectionCls = GuardedHTTPConnection


class GuardedHTTPSConnectionPool(HTTPSConnectionPool):
    ConnectionCls = GuardedHTTPSConnection


class GuardedAdapter(HTTPAdapter):
    """A requests adapter with a default timeout and the SSRF guard. Never retries by itself:
    a retried POST could publish twice."""

    def __init__(self, timeout: Timeout) -> None:
        self.default_timeout = timeout
        super().__init__(max_retries=0)

    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        super().init_poolmanager(*args, **kwargs)
        self.poolmanager.pool_classes_by_scheme = {
            "http": GuardedHTTPConnectionPool,
            "https": GuardedHTTPSConnectionPool,
        }

    def proxy_manager_for(self, proxy: str, **proxy_kwargs: Any) -> Any:
        raise BlockedDestination("Outbound requests through a proxy are not supported")

    def send(  # type: ignore[override]
        self,
        request: requests.PreparedRequest,
        stream: bool = False,
        timeout: Timeout | None = None,
        verify: bool | str = True,
        cert: Any = None,
        proxies: Mapping[str, str] | None = None,
    ) -> requests.Response:
        scheme = urlsplit(request.url or "").scheme.lower()
        if scheme not in ALLOWED_SCHEMES:
            raise BlockedDestination(f"Only http and https URLs can be fetched, not {scheme!r}")
        return super().send(
            request,
            stream=stream,
            timeout=self.default_timeout if timeout is None else timeout,
            verify=verify,
            cert=cert,
            proxies=proxies,
        )


def default_timeout() -> float:
    return float(settings.HUBBUB_HTTP_TIMEOUT)


def guarded_session(timeout: Timeout | None = None) -> requests.Session:
    """A requests.Session for talking to the outside world. `timeout` (seconds, or a
    (connect, read) pair) applies to requests that pass none; default HUBBUB_HTTP_TIMEOUT."""
    session = requests.Session()
    session.trust_env = False  # no environment proxies (see the module doc) and no .netrc
    session.max_redirects = 5
    session.headers["User-Agent"] = user_agent()
    adapter = GuardedAdapter(default_timeout() if timeout is None else timeout)
    # The adapter also takes every other scheme (prefix ""), so that send() refuses them with
    # BlockedDestination instead of requests' "no connection adapter".
    session.adapters.clear()
    session.mount("https://", adapter)
    session.mount("http://", adapter)
    session.mount("", adapter)
    return session


@dataclass
class ResponseLog:
    """Remembers the last response a session received (a requests response hook), so callers
    whose client library swallows responses (Mastodon.py on 429) can still read the headers."""

    last: requests.Response | None = None
    count: int = 0
    _hooked: list[object] = field(default_factory=list, repr=False)

    def __call__(self, response: requests.Response, *args: Any, **kwargs: Any) -> None:
        self.last = response
        self.count += 1


def record_responses(session: requests.Session) -> ResponseLog:
    log = ResponseLog()
    session.hooks["response"].append(log)
    return log


# --- what a transport failure means -----------------------------------------------------------


@dataclass(frozen=True)
class TransportFailure:
    """A request that got no HTTP response. `maybe_sent` is True when the request may have
    reached the server (a read timeout, a connection dropped mid-exchange): a write may have
    taken effect. `reason` is a short human phrase."""

    maybe_sent: bool
    reason: str
    kind: str  # blocked, dns, refused, connect_timeout, tls, read_timeout, dropped, invalid_url


def classify_transport_error(exc: BaseException) -> TransportFailure | None:
    """Explain an exception raised by a guarded session's request; None if it is not one."""
    for err in _chain(exc):
        if isinstance(err, BlockedDestination):
            return TransportFailure(False, str(err), "blocked")
    for err in _chain(exc):
        if isinstance(err, requests.exceptions.ConnectTimeout):
            return TransportFailure(False, "the connection timed out", "connect_timeout")
        if isinstance(err, requests.exceptions.ReadTimeout):
            return TransportFailure(True, "no answer before the timeout", "read_timeout")
        if isinstance(err, requests.exceptions.SSLError):
            return TransportFailure(False, tls_sentence(err), "tls")
        if isinstance(
            err, requests.exceptions.InvalidURL | requests.exceptions.InvalidSchema
            | requests.exceptions.MissingSchema
        ):
            return TransportFailure(False, f"the address is not valid ({err})", "invalid_url")
        if isinstance(
            err, requests.exceptions.ChunkedEncodingError | requests.exceptions.ContentDecodingError
        ):
            return TransportFailure(True, "the answer was cut off", "dropped")
        if isinstance(err, requests.exceptions.ConnectionError):
            return _classify_connection_error(err)
    return None


def _classify_connection_error(err: requests.exceptions.ConnectionError) -> TransportFailure:
    inner: BaseException | None = err.args[0] if err.args else None
    if isinstance(inner, MaxRetryError):
        inner = inner.reason
    if isinstance(inner, NameResolutionError):
        return TransportFailure(False, "the host name could not be resolved", "dns")
    # NewConnectionError subclasses ConnectTimeoutError in urllib3 2: test it first.
    if isinstance(inner, NewConnectionError):
        return TransportFailure(False, "the connection was refused", "refused")
    if isinstance(inner, ConnectTimeoutError):
        return TransportFailure(False, "the connection timed out", "connect_timeout")
    if isinstance(inner, ProtocolError):
        return TransportFailure(True, "the connection was dropped before an answer", "dropped")
    return TransportFailure(True, f"the connection failed ({err})", "dropped")


def _chain(exc: BaseException) -> list[BaseException]:
    seen: list[BaseException] = []
    current: BaseException | None = exc
    while current is not None and current not in seen:
        seen.append(current)
        current = current.__cause__ or current.__context__
    return seen


# --- rate limits ------------------------------------------------------------------------------

_NUMBER = re.compile(r"^\d+(\.\d+)?$")
# Epoch seconds are above this; smaller numbers are read as "seconds from now".
_EPOCH_THRESHOLD = 1_000_000_000


def _now(now: datetime | None) -> datetime:
    return now if now is not None else datetime.now(UTC)


def _http_date(value: str) -> datetime | None:
    try:
        parsed = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def parse_rate_limit_reset(value: str | None, *, now: datetime | None = None) -> datetime | None:
    """When a rate-limit window resets, from an X-RateLimit-Reset / RateLimit-Reset value.

    Accepts ISO-8601 (real Mastodon: 2026-11-27T10:00:00.000000Z), epoch seconds (the mock,
    Bluesky, X), a small number as seconds from now (the IETF RateLimit draft), and HTTP-dates.
    Returns an aware UTC datetime, or None for a value it cannot read."""
    if value is None:
        return None
    text = value.strip()
    if not text:
        return None
    if _NUMBER.match(text):
        number = float(text)
        if number >= _EPOCH_THRESHOLD:
            return datetime.fromtimestamp(number, UTC)
        return _now(now) + timedelta(seconds=number)
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        return _http_date(text)
    return (parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)).astimezone(UTC)


def parse_retry_after(value: str | int | None, *, now: datetime | None = None) -> datetime | None:
    """When to retry, from a Retry-After value: delay seconds or an HTTP-date."""
    if value is None:
        return None
    text = str(value).strip()
    if _NUMBER.match(text):
        return _now(now) + timedelta(seconds=float(text))
    parsed = _http_date(text)
    return parsed.astimezone(UTC) if parsed else None


def retry_at_from_headers(
    headers: Mapping[str, str], *, now: datetime | None = None
) -> datetime | None:
    """The earliest time to try again, from a response's headers: Retry-After first, then the
    rate-limit reset. An absolute reset is corrected for the server's clock (its Date header)."""
    lowered = {k.lower(): v for k, v in headers.items()}
    current = _now(now)
    retry_after = parse_retry_after(lowered.get("retry-after"), now=current)
    if retry_after is not None:
        return retry_after
    raw_reset = lowered.get("x-ratelimit-reset") or lowered.get("ratelimit-reset")
    reset = parse_rate_limit_reset(raw_reset, now=current)
    if reset is None:
        return None
    server_now = _http_date(lowered.get("date", ""))
    is_relative = raw_reset is not None and _NUMBER.match(raw_reset.strip()) is not None and (
        float(raw_reset.strip()) < _EPOCH_THRESHOLD
    )
    if server_now is not None and not is_relative:
        return current + (reset - server_now)
    return reset


# --- base URLs --------------------------------------------------------------------------------

_HOST_LABEL = re.compile(r"^(?!-)[a-z0-9-]{1,63}(?<!-)$")
_HANDLE = re.compile(r"^@?[^@\s/]+@([^@\s/]+)$")


def normalize_base_url(url: str) -> str:
    """A server's base URL as we store it: scheme://host[:port], lowercase, no path.

    Accepts what people type: `mastodon.social`, `https://Mastodon.Social/about`, or a handle
    such as `@alice@mastodon.social`. https is assumed when no scheme is given. Raises
    ValueError with a message fit to show the person."""
    text = (url or "").strip()
    if not text:
        raise ValueError("Enter the address of your server, for example mastodon.social")
    if "://" not in text:
        handle = _HANDLE.match(text)
        if handle:
            text = handle.group(1)
        text = "https://" + text
    try:
        parts = urlsplit(text)
        port = parts.port
    except ValueError as exc:
        raise ValueError(f"{url!r} is not a valid server address ({exc})") from None
    scheme = parts.scheme.lower()
    if scheme not in ALLOWED_SCHEMES:
        raise ValueError(f"{url!r} is not a web address: use https://")
    if parts.username is not None or parts.password is not None:
        raise ValueError(f"{url!r} must not contain a user name or password")
    host = _normalize_host(parts.hostname or "", url)
    default_port = 443 if scheme == "https" else 80
    netloc = host if port in (None, default_port) else f"{host}:{port}"
    return f"{scheme}://{netloc}"


def _normalize_host(host: str, original: str) -> str:
    if not host:
        raise ValueError(f"{original!r} has no server name")
    try:
        ip = ipaddress.ip_address(host)
    except ValueError:
        pass
    else:
        return f"[{ip.compressed}]" if ip.version == 6 else ip.compressed
    host = host.rstrip(".")
    try:
        ascii_host = host.encode("idna").decode("ascii").lower()
    except UnicodeError:
        raise ValueError(f"{original!r} is not a valid server name") from None
    labels = ascii_host.split(".")
    if not all(_HOST_LABEL.match(label) for label in labels):
        raise ValueError(f"{original!r} is not a valid server name")
    return ascii_host
