"""Security headers: on static files as on pages; HSTS and secure cookies behind TLS, with the
proxy's word on https believed only from HUBBUB_TRUSTED_PROXIES; a form-action without http:."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from typing import Any

import pytest
from django.test import Client

from tests.security.edge import NEVER, Served, serve


def _headers(served: Served, path: str, *, source: str = "127.0.0.1",
             extra: str = "") -> dict[str, list[str]]:
    """The response headers of a GET sent from `source` (any loopback address)."""
    sock = socket.socket()
    sock.settimeout(NEVER)
    sock.bind((source, 0))
    sock.connect(("127.0.0.1", served.port))
    sock.sendall(f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n{extra}\r\n"
                 .encode())
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(65536)
        assert chunk, data
        data += chunk
    sock.close()
    found: dict[str, list[str]] = {}
    for line in data.partition(b"\r\n\r\n")[0].decode("latin-1").split("\r\n")[1:]:
        name, _, value = line.partition(":")
        found.setdefault(name.strip().lower(), []).append(value.strip())
    return found


@pytest.fixture(scope="module")
def behind_tls(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    """A hub behind a TLS-terminating proxy on 127.0.0.1, with no private servers allowed."""
    with serve(tmp_path_factory.mktemp("tls"), HUBBUB_HTTPS="1",
               HUBBUB_TRUSTED_PROXIES="127.0.0.1/32", HUBBUB_ALLOW_PRIVATE_NETWORKS="") as s:
        yield s


def test_static_files_carry_the_security_headers(client: Client) -> None:
    response = client.get("/static/hubbub/app.js")
    assert response.status_code == 200
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["X-Frame-Options"] == "DENY"
    assert "frame-ancestors 'none'" in response["Content-Security-Policy"]
    assert "script-src 'self'" in response["Content-Security-Policy"]


def test_https_through_a_trusted_proxy_gets_hsts_and_secure_cookies(behind_tls: Served) -> None:
    headers = _headers(behind_tls, "/accounts/setup/", extra="X-Forwarded-Proto: https\r\n")
    assert headers["strict-transport-security"] == ["max-age=31536000"]
    cookies = headers["set-cookie"]
    assert cookies
    assert all("Secure" in cookie for cookie in cookies), cookies
    static = _headers(behind_tls, "/static/hubbub/app.js", extra="X-Forwarded-Proto: https\r\n")
    assert static["strict-transport-security"] == ["max-age=31536000"]


def test_the_https_header_from_anyone_else_is_ignored(behind_tls: Served) -> None:
    # 127.0.0.2 reaches the hub directly, past the proxy: its word on https means nothing.
    headers = _headers(behind_tls, "/accounts/setup/", source="127.0.0.2",
                       extra="X-Forwarded-Proto: https\r\n")
    assert "strict-transport-security" not in headers
    plain = _headers(behind_tls, "/accounts/setup/")  # the proxy, saying nothing of https
    assert "strict-transport-security" not in plain
    # Cookies stay https-only all the same: the hub is meant to be reached over TLS.
    assert all("Secure" in cookie for cookie in plain["set-cookie"])


def test_forms_lead_nowhere_over_plain_http(behind_tls: Served) -> None:
    policy = _headers(behind_tls, "/accounts/setup/")["content-security-policy"][0]
    form_action = next(p.strip() for p in policy.split(";") if "form-action" in p)
    assert form_action == "form-action 'self' https:"


def test_plain_http_forms_only_where_private_servers_are_allowed(client: Client, settings: Any,
                                                                db: None) -> None:
    # The test settings allow the loopback peers, which have no TLS: their OAuth pages are
    # reached by a form's redirect.
    assert settings.HUBBUB_ALLOW_PRIVATE_NETWORKS
    policy = client.get("/accounts/login/", follow=True)["Content-Security-Policy"]
    assert "form-action 'self' https: http:" in policy
    assert "http:" not in next(p for p in policy.split(";") if "img-src" in p)
