"""Helpers for the Bluesky integration tests (real dev-env network, `bluesky_peer`)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from hubbub.networks.base import Account
from hubbub.networks.bluesky.connector import BlueskyConnector
from hubbub.networks.bluesky.mapping import jwt_claims
from hubbub.networks.errors import ConnectorError
from tests.peers.bluesky import BlueskyAccount, BlueskyPeer

CONNECTOR = BlueskyConnector()
# @atproto/dev-env's PDS signs session tokens (HS256) with this secret (const JWT_SECRET).
DEV_ENV_JWT_SECRET = b"jwt-secret"


@dataclass
class Person:
    """An account on the test network: the peer's view (to seed and check) and ours."""

    seeded: BlueskyAccount
    account: Account

    @property
    def did(self) -> str:
        return self.seeded.did

    @property
    def handle(self) -> str:
        return self.seeded.handle


def person(peer: BlueskyPeer, prefix: str = "user", base_url: str | None = None) -> Person:
    """A new account, connected through the connector with its app password."""
    seeded = peer.create_account(prefix)
    connected = CONNECTOR.connect_with_token(
        base_url or peer.pds_url, {"handle": seeded.handle, "app_password": seeded.app_password}
    )
    account = Account(
        base_url=base_url or connected.base_url,
        credentials=connected.credentials,
        remote_id=connected.identity.remote_id,
        handle=connected.identity.handle,
    )
    return Person(seeded, account)


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def expired_copy(account: Account, seconds_ago: int = 60) -> Account:
    """The same session with an access token the PDS itself considers expired: the real token's
    claims, `exp` moved into the past, signed with dev-env's JWT secret (the PDS's own key), so
    the PDS answers 400 ExpiredToken exactly as it does after 2 hours. The refresh token is
    untouched."""
    token = str(account.credentials["accessJwt"])
    header = token.split(".")[0]
    claims = jwt_claims(token)
    now = int(time.time())
    claims.update(iat=now - 7200 - seconds_ago, exp=now - seconds_ago)
    signing_input = f"{header}.{_b64(json.dumps(claims).encode())}"
    signature = hmac.new(DEV_ENV_JWT_SECRET, signing_input.encode(), hashlib.sha256).digest()
    credentials = {**account.credentials, "accessJwt": f"{signing_input}.{_b64(signature)}"}
    return replace(account, credentials=credentials)


def wait_for[T](check: Any, timeout: float = 10.0, interval: float = 0.05) -> T:
    """Poll (AppView reads are eventually consistent: a brand-new account's feed can answer
    "Profile not found" for a moment, so errors are retried too until the time is up)."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            result = check()
        except ConnectorError:
            if time.monotonic() > deadline:
                raise
            result = None
        if result:
            return result  # type: ignore[no-any-return]
        if time.monotonic() > deadline:
            raise TimeoutError(f"condition not met within {timeout} s")
        time.sleep(interval)


def post_record(peer: BlueskyPeer, uri: str) -> dict[str, Any] | None:
    _, _, rest = uri.partition("at://")
    repo, collection, rkey = rest.split("/")
    return peer.get_record(repo, collection, rkey)


def timeline_post(peer: BlueskyPeer, reader: BlueskyAccount, uri: str) -> dict[str, Any] | None:
    """The post as `reader`'s home timeline on the AppView shows it, or None yet."""
    for entry in peer.timeline(reader):
        if entry["post"]["uri"] == uri and "reason" not in entry:
            found: dict[str, Any] = entry["post"]
            return found
    return None


@contextmanager
def web_server(pages: dict[str, tuple[int, str, bytes]]) -> Iterator[str]:
    """A tiny web site on 127.0.0.1: path -> (status, content type, body). Yields its base URL."""

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            status, content_type, body = pages.get(self.path, (404, "text/plain", b"no"))
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
