"""The mentions feed on a server speaking Mastodon's API that refuses notification types it
does not know (enable-mastodon-apps answers `quote` with 400 rest_invalid_param): the feed asks
again for mentions alone, and keeps asking only for those on that server for a while."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

import pytest
import requests

from hubbub.networks.base import Account
from hubbub.networks.errors import RateLimited, Rejected
from hubbub.networks.mastodon import mention_types as mention_types_module
from hubbub.networks.mastodon.connector import MastodonConnector
from tests.peers.mastodon import MastodonPeer, SeededAccount

KNOWN_TYPES = {"mention", "status", "reblog", "follow", "follow_request", "favourite", "poll",
               "update"}


class _Server(ThreadingHTTPServer):
    upstream: str
    asked: list[list[str]]  # the types[] of each notifications request
    refuse_all: bool
    limit_mentions: bool  # answer mentions alone with 429 (a rate limit reached meanwhile)


class _OlderServer(BaseHTTPRequestHandler):
    """The mock behind a server that checks types[] against the types it knows."""

    server: _Server

    def log_message(self, format: str, *args: object) -> None:
        return

    def do_GET(self) -> None:
        split = urlsplit(self.path)
        if split.path == "/api/v1/notifications":
            query = parse_qs(split.query)
            types = query.get("types[]", []) + query.get("types", [])
            self.server.asked.append(types)
            if self.server.limit_mentions and types == ["mention"]:
                self._answer(429, b'{"error": "Too many requests"}',
                             {"X-RateLimit-Reset": "2099-01-01T00:00:00.000Z"})
                return
            if self.server.refuse_all or any(t not in KNOWN_TYPES for t in types):
                self._answer(400, json.dumps({
                    "code": "rest_invalid_param", "message": "Invalid parameter(s): types",
                    "data": {"status": 400}}).encode())
                return
        upstream = requests.get(self.server.upstream + self.path, timeout=10, headers={
            k: v for k, v in self.headers.items() if k.lower() in ("authorization", "accept")})
        self._answer(upstream.status_code, upstream.content,
                     {k: v for k, v in upstream.headers.items() if k.lower() == "link"})

    def _answer(self, status: int, body: bytes, headers: dict[str, str] | None = None) -> None:
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(body)


@pytest.fixture
def older_server(mastodon_peer: MastodonPeer) -> Iterator[_Server]:
    server = _Server(("127.0.0.1", 0), _OlderServer)
    server.upstream = mastodon_peer.base_url.rstrip("/")
    server.asked = []
    server.refuse_all = False
    server.limit_mentions = False
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()


def _account(server: _Server, seeded: SeededAccount) -> Account:
    host, port = server.server_address[:2]
    return Account(base_url=f"http://{host!s}:{port}", remote_id=seeded.id,
                   credentials={"access_token": seeded.access_token},
                   handle=f"@{seeded.username}@localhost")


def test_mentions_are_read_where_quote_is_refused(mastodon_peer: MastodonPeer,
                                                  older_server: _Server) -> None:
    connector = MastodonConnector()
    alice, bob = mastodon_peer.new_account(), mastodon_peer.new_account()
    status = mastodon_peer.post_as(bob, f"@{alice.username} can you see this?")
    account = _account(older_server, alice)

    [item] = connector.fetch(account, "mentions").items
    assert item.remote_id == status["id"]
    assert item.kind == "mention"
    assert older_server.asked == [["mention", "quote"], ["mention"]]

    # Remembered for this server: the next reads ask for mentions alone at once.
    [again] = connector.fetch(account, "mentions").items
    assert again.remote_id == status["id"]
    assert older_server.asked[2:] == [["mention"]]


def test_a_refusal_of_mentions_too_is_the_error_and_not_remembered(
        mastodon_peer: MastodonPeer, older_server: _Server) -> None:
    connector = MastodonConnector()
    alice = mastodon_peer.new_account()
    account = _account(older_server, alice)
    older_server.refuse_all = True
    with pytest.raises(Rejected):
        connector.fetch(account, "mentions")
    assert older_server.asked == [["mention", "quote"], ["mention"]]
    older_server.refuse_all = False
    assert not connector.fetch(account, "mentions").items
    # Not remembered: both types were asked again before mentions alone.
    assert older_server.asked[2:] == [["mention", "quote"], ["mention"]]


def test_the_fallback_is_forgotten_after_a_while(mastodon_peer: MastodonPeer,
                                                older_server: _Server,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    connector = MastodonConnector()
    account = _account(older_server, mastodon_peer.new_account())
    connector.fetch(account, "mentions")
    assert older_server.asked == [["mention", "quote"], ["mention"]]
    # The server may have been upgraded: after MENTIONS_ONLY_FOR it is asked for quotes again.
    monkeypatch.setattr(mention_types_module, "MENTIONS_ONLY_FOR", timedelta(0))
    connector.fetch(account, "mentions")
    assert older_server.asked[2:] == [["mention", "quote"], ["mention"]]


def test_a_rate_limit_on_the_second_ask_is_the_rate_limit(
        mastodon_peer: MastodonPeer, older_server: _Server) -> None:
    """The mentions-alone ask answered 429: the feed waits for the server's reset (its own
    error), not for a refusal's backoff."""
    connector = MastodonConnector()
    account = _account(older_server, mastodon_peer.new_account())
    older_server.limit_mentions = True
    with pytest.raises(RateLimited):
        connector.fetch(account, "mentions")
    assert older_server.asked == [["mention", "quote"], ["mention"]]
