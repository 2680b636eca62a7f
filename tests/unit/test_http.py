"""core/http.py: the SSRF guard, timeouts, rate-limit parsing and base URL normalizing."""

from __future__ import annotations

import ipaddress
import socket
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
import requests

from hubbub.core import http
from hubbub.core.http import (
    BlockedDestination,
    check_address,
    classify_transport_error,
    guarded_session,
    normalize_base_url,
    parse_rate_limit_reset,
    parse_retry_after,
    retry_at_from_headers,
)


class _Handler(BaseHTTPRequestHandler):
    seen: list[dict[str, str]] = []

    def do_GET(self) -> None:
        _Handler.seen.append(dict(self.headers.items()))
        if self.path == "/slow":
            time.sleep(1.0)
        body = b'{"ok": true}'
        try:
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up (the timeout test)

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture(scope="module")
def local_server() -> Iterator[int]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server.server_address[1]
    server.shutdown()
    server.server_close()


# --- the address check ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("address", "reason"),
    [
        ("10.0.0.1", "private"),
        ("172.16.5.4", "private"),
        ("192.168.1.1", "private"),
        ("127.0.0.1", "loopback"),
        ("169.254.169.254", "link-local"),
        ("0.0.0.0", "unspecified"),
        ("224.0.0.1", "multicast"),
        ("240.0.0.1", "reserved"),
        ("100.64.0.1", "not a public address"),
        ("::1", "loopback"),
        ("::", "unspecified"),
        ("fe80::1", "link-local"),
        ("fc00::1", "private"),
        ("ff02::1", "multicast"),
        ("::ffff:10.0.0.1", "private"),  # IPv4-mapped: judged as the IPv4 address
    ],
)
def test_non_public_addresses_are_refused(address: str, reason: str) -> None:
    with pytest.raises(BlockedDestination, match=reason):
        check_address(address, allowed=())


@pytest.mark.parametrize("address", ["93.184.216.34", "1.1.1.1", "2606:4700:4700::1111"])
def test_public_addresses_pass(address: str) -> None:
    check_address(address, allowed=())


def test_listed_networks_are_allowed() -> None:
    allowed = [ipaddress.ip_network("10.0.0.0/8"), ipaddress.ip_network("::1/128")]
    check_address("10.1.2.3", allowed=allowed)
    check_address("::1", allowed=allowed)
    with pytest.raises(BlockedDestination):
        check_address("192.168.0.1", allowed=allowed)


def test_allowed_networks_come_from_settings(settings: Any) -> None:
    settings.HUBBUB_ALLOW_PRIVATE_NETWORKS = ["192.168.7.0/24"]
    check_address("192.168.7.9")
    with pytest.raises(BlockedDestination):
        check_address("127.0.0.1")
    settings.HUBBUB_ALLOW_PRIVATE_NETWORKS = ["not-a-network"]
    with pytest.raises(ValueError, match="CIDR"):
        check_address("10.0.0.1")


# --- the guarded session ----------------------------------------------------------------------


def test_loopback_refused_unless_allowed(settings: Any, local_server: int) -> None:
    url = f"http://127.0.0.1:{local_server}/"
    assert guarded_session().get(url).json() == {"ok": True}  # tests allow 127.0.0.0/8
    settings.HUBBUB_ALLOW_PRIVATE_NETWORKS = []
    with pytest.raises(BlockedDestination, match="loopback"):
        guarded_session().get(url)


def _fake_dns(monkeypatch: pytest.MonkeyPatch, table: dict[str, list[str]]) -> list[str]:
    asked: list[str] = []
    real = socket.getaddrinfo

    def fake(host: str, port: Any, *args: Any, **kwargs: Any) -> Any:
        if host in table:
            asked.append(host)
            return [
                (socket.AF_INET6 if ":" in ip else socket.AF_INET, socket.SOCK_STREAM, 6, "",
                 (ip, port))
                for ip in table[host]
            ]
        return real(host, port, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", fake)
    return asked


def test_a_name_resolving_to_a_private_address_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    asked = _fake_dns(monkeypatch, {"intranet.example": ["10.0.0.5"]})
    with pytest.raises(BlockedDestination, match=r"10\.0\.0\.5"):
        guarded_session().get("http://intranet.example/admin")
    assert asked == ["intranet.example"]


def test_a_name_mixing_public_and_private_addresses_is_refused(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    _fake_dns(monkeypatch, {"mixed.example": ["93.184.216.34", "169.254.169.254"]})
    with pytest.raises(BlockedDestination, match="link-local"):
        guarded_session().get("https://mixed.example/")


def test_connects_to_the_checked_address_keeping_the_host_name(
    monkeypatch: pytest.MonkeyPatch, local_server: int
) -> None:
    # One lookup, then the connection goes to that very address (no second lookup to rebind).
    asked = _fake_dns(monkeypatch, {"pinned.example": ["127.0.0.1"]})
    _Handler.seen.clear()
    response = guarded_session().get(f"http://pinned.example:{local_server}/")
    assert response.ok
    assert asked == ["pinned.example"]
    assert _Handler.seen[-1]["Host"] == f"pinned.example:{local_server}"


@pytest.mark.parametrize(
    "url", ["ftp://example.com/file", "file:///etc/passwd", "gopher://example.com/"]
)
def test_only_http_and_https(url: str) -> None:
    with pytest.raises(BlockedDestination, match="Only http and https"):
        guarded_session().get(url)


def test_user_agent_names_hubbub(local_server: int) -> None:
    _Handler.seen.clear()
    guarded_session().get(f"http://127.0.0.1:{local_server}/")
    assert _Handler.seen[-1]["User-Agent"].startswith("hubbub/")


def test_default_timeout_comes_from_settings(settings: Any, local_server: int) -> None:
    settings.HUBBUB_HTTP_TIMEOUT = 0.3
    session = guarded_session()
    assert session.get_adapter("https://x.example/").default_timeout == 0.3  # type: ignore[attr-defined]
    with pytest.raises(requests.exceptions.ReadTimeout) as caught:
        session.get(f"http://127.0.0.1:{local_server}/slow")
    failure = classify_transport_error(caught.value)
    assert failure is not None
    assert failure.maybe_sent
    assert failure.kind == "read_timeout"
    assert guarded_session(7.5).get_adapter("http://x/").default_timeout == 7.5  # type: ignore[attr-defined]


def test_transport_failures_before_sending() -> None:
    port = _closed_port()
    with pytest.raises(requests.ConnectionError) as refused:
        guarded_session().get(f"http://127.0.0.1:{port}/")
    failure = classify_transport_error(refused.value)
    assert failure is not None
    assert (failure.kind, failure.maybe_sent) == ("refused", False)

    with pytest.raises(requests.ConnectionError) as unknown:
        guarded_session().get("https://no-such-host.invalid/")  # the test run resolves no names
    failure = classify_transport_error(unknown.value)
    assert failure is not None
    assert (failure.kind, failure.maybe_sent) == ("dns", False)


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


def test_response_log_keeps_the_last_response(local_server: int) -> None:
    session = guarded_session()
    log = http.record_responses(session)
    session.get(f"http://127.0.0.1:{local_server}/")
    assert log.last is not None
    assert log.last.status_code == 200
    assert log.count == 1


# --- rate limits ------------------------------------------------------------------------------

NOW = datetime(2026, 11, 27, 10, 0, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        # real Mastodon
        ("2026-11-27T10:05:00.000000Z", datetime(2026, 11, 27, 10, 5, tzinfo=UTC)),
        ("2026-11-27T10:05:00.123456Z", datetime(2026, 11, 27, 10, 5, 0, 123456, tzinfo=UTC)),
        ("2026-11-27T11:05:00+01:00", datetime(2026, 11, 27, 10, 5, tzinfo=UTC)),
        # the mock, Bluesky: epoch seconds
        (str(int(datetime(2026, 11, 27, 10, 5, tzinfo=UTC).timestamp())),
         datetime(2026, 11, 27, 10, 5, tzinfo=UTC)),
        # seconds from now (IETF RateLimit draft)
        ("300", NOW + timedelta(seconds=300)),
        ("Fri, 27 Nov 2026 10:05:00 GMT", datetime(2026, 11, 27, 10, 5, tzinfo=UTC)),
        ("", None),
        ("soon", None),
        (None, None),
    ],
)
def test_parse_rate_limit_reset(value: str | None, expected: datetime | None) -> None:
    assert parse_rate_limit_reset(value, now=NOW) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("120", NOW + timedelta(seconds=120)),
        (120, NOW + timedelta(seconds=120)),
        ("0", NOW),
        ("Fri, 27 Nov 2026 10:02:00 GMT", datetime(2026, 11, 27, 10, 2, tzinfo=UTC)),
        ("later", None),
        (None, None),
    ],
)
def test_parse_retry_after(value: str | int | None, expected: datetime | None) -> None:
    assert parse_retry_after(value, now=NOW) == expected


def test_recorded_mastodon_429_headers_with_clock_skew() -> None:
    # Headers as a real Mastodon (rack-attack) sends them on a 429; our clock is 30 s ahead.
    headers = {
        "Date": "Fri, 27 Nov 2026 10:00:00 GMT",
        "X-RateLimit-Limit": "300",
        "X-RateLimit-Remaining": "0",
        "X-RateLimit-Reset": "2026-11-27T10:05:00.000000Z",
        "Content-Type": "application/json; charset=utf-8",
    }
    ours = NOW + timedelta(seconds=30)
    assert retry_at_from_headers(headers, now=ours) == ours + timedelta(minutes=5)


def test_retry_after_wins_over_reset() -> None:
    headers = {"retry-after": "60", "x-ratelimit-reset": "2026-11-27T11:00:00Z"}
    assert retry_at_from_headers(headers, now=NOW) == NOW + timedelta(seconds=60)
    assert retry_at_from_headers({}, now=NOW) is None


# --- base URLs --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("mastodon.social", "https://mastodon.social"),
        ("  Mastodon.Social  ", "https://mastodon.social"),
        ("HTTPS://Mastodon.Social/about/more?x=1#top", "https://mastodon.social"),
        ("https://mastodon.social/", "https://mastodon.social"),
        ("https://example.com:443", "https://example.com"),
        ("http://example.com:80/", "http://example.com"),
        ("http://127.0.0.1:3000/", "http://127.0.0.1:3000"),
        ("example.com:8443", "https://example.com:8443"),
        ("[::1]:8080", "https://[::1]:8080"),
        ("@alice@Example.Social", "https://example.social"),
        ("alice@example.social", "https://example.social"),
        ("https://bücher.example", "https://xn--bcher-kva.example"),
        ("mastodon.social.", "https://mastodon.social"),
    ],
)
def test_normalize_base_url(typed: str, expected: str) -> None:
    assert normalize_base_url(typed) == expected


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("", "Enter the address"),
        ("   ", "Enter the address"),
        ("ftp://example.com", "not a web address"),
        ("javascript:alert(1)", "not a valid server address"),
        ("https://", "no server name"),
        ("https://exa mple.com", "not a valid server name"),
        ("https://user:secret@example.com", "user name or password"),
        ("https://example.com:99999", "not a valid server address"),
        ("https://-bad-.example", "not a valid server name"),
        ("https://under_score.example", "not a valid server name"),
    ],
)
def test_normalize_base_url_rejects_garbage(typed: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        normalize_base_url(typed)
