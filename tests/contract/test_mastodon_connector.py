"""Mastodon-only behaviour against mastodon-mock: OAuth connect, tokens, wrong addresses, reading.

(The mock does not check OAuth secrets, redirect URIs or PKCE; those are exercised for shape
here and trusted to real Mastodon.)
"""

from __future__ import annotations

import base64
import hashlib
import socket
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from hubbub.connections.models import InstanceApp
from hubbub.networks.base import Account, Draft
from hubbub.networks.errors import NotFound, Rejected, Revoked, Transient
from hubbub.networks.mastodon import connector as connector_module
from hubbub.networks.mastodon import oauth
from hubbub.networks.mastodon.connector import MastodonConnector
from tests.peers.mastodon import MastodonPeer, SeededAccount

CALLBACK = "https://hub.example/connections/callback/mastodon"
CONNECTOR = MastodonConnector()


def account_for(peer: MastodonPeer, seeded: SeededAccount) -> Account:
    return Account(
        base_url=peer.base_url,
        credentials={"access_token": seeded.access_token},
        remote_id=seeded.id,
        handle=f"@{seeded.username}@localhost",
    )


def query_of(url: str) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(urlsplit(url).query).items()}


# --- OAuth ------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_oauth_connect_end_to_end(mastodon_peer: MastodonPeer) -> None:
    seeded = mastodon_peer.new_account()
    start = CONNECTOR.begin_auth(mastodon_peer.base_url + "/some/page", CALLBACK)

    assert start.redirect_url.startswith(mastodon_peer.base_url + "/oauth/authorize?")
    query = query_of(start.redirect_url)
    assert query["state"] == start.state
    assert query["scope"] == "read write"
    assert query["redirect_uri"] == CALLBACK
    assert query["code_challenge_method"] == "S256"
    verifier = start.state_data["code_verifier"]
    expected = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=")
    assert query["code_challenge"] == expected.decode()
    assert start.state_data["base_url"] == mastodon_peer.base_url
    assert start.state_data["client_id"] == query["client_id"]
    assert "client_secret" not in start.state_data

    callback = mastodon_peer.authorize(start.redirect_url, seeded.username)
    assert callback.startswith(CALLBACK + "?")
    connected = CONNECTOR.complete_auth(query_of(callback), start.state_data)

    assert connected.base_url == mastodon_peer.base_url
    assert connected.identity.remote_id == seeded.id
    assert connected.identity.handle == f"@{seeded.username}@localhost"
    token_account = Account(base_url=connected.base_url, credentials=connected.credentials)
    assert CONNECTOR.whoami(token_account).remote_id == seeded.id


@pytest.mark.django_db
def test_the_app_is_registered_once_per_instance_and_callback(mastodon_peer: MastodonPeer) -> None:
    first = CONNECTOR.begin_auth(mastodon_peer.base_url, CALLBACK)
    again = CONNECTOR.begin_auth(mastodon_peer.base_url, CALLBACK)
    other = CONNECTOR.begin_auth(mastodon_peer.base_url, CALLBACK + "/other")
    assert first.state_data["client_id"] == again.state_data["client_id"]
    assert other.state_data["client_id"] != first.state_data["client_id"]
    assert first.state != again.state
    assert first.state_data["code_verifier"] != again.state_data["code_verifier"]
    row = InstanceApp.objects.get(network="mastodon", redirect_uri=CALLBACK)
    assert row.base_url == mastodon_peer.base_url
    assert row.client_secret  # decrypts
    assert row.client_secret not in row.client_secret_enc
    assert InstanceApp.objects.count() == 2


@pytest.mark.django_db
def test_state_mismatch_is_rejected(mastodon_peer: MastodonPeer) -> None:
    seeded = mastodon_peer.new_account()
    start = CONNECTOR.begin_auth(mastodon_peer.base_url, CALLBACK)
    params = query_of(mastodon_peer.authorize(start.redirect_url, seeded.username))
    params["state"] = "forged"
    with pytest.raises(Rejected, match="state mismatch"):
        CONNECTOR.complete_auth(params, start.state_data)


@pytest.mark.django_db
def test_declined_authorization(mastodon_peer: MastodonPeer) -> None:
    start = CONNECTOR.begin_auth(mastodon_peer.base_url, CALLBACK)
    params = {
        "error": "access_denied",
        "error_description": "The resource owner or authorization server denied the request.",
        "state": start.state,
    }
    with pytest.raises(Rejected, match="declined"):
        CONNECTOR.complete_auth(params, start.state_data)


@pytest.mark.django_db
def test_a_refused_code_says_so(mastodon_peer: MastodonPeer) -> None:
    start = CONNECTOR.begin_auth(mastodon_peer.base_url, CALLBACK)
    params = {"code": "mockcode_nobody-by-that-name", "state": start.state}
    with pytest.raises(Rejected, match="refused the authorization code"):
        CONNECTOR.complete_auth(params, start.state_data)


# --- wrong addresses --------------------------------------------------------------------------


class _NotMastodon(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        if self.path.startswith("/html"):
            status, body, kind = 200, b"<html>a blog</html>", "text/html"
        else:
            status, body, kind = 404, b"<html>not here</html>", "text/html"
        self.send_response(status)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_POST(self) -> None:
        self.do_GET()

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture(scope="module")
def not_mastodon() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _NotMastodon)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def _closed_port_url() -> str:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}"


@pytest.mark.django_db
def test_wrong_instance_urls_say_what_went_wrong(not_mastodon: str) -> None:
    with pytest.raises(NotFound, match=r"No Mastodon server answered at .*: it answered HTTP 404"):
        CONNECTOR.begin_auth(not_mastodon, CALLBACK)

    closed = _closed_port_url()
    with pytest.raises(Transient, match=f"No Mastodon server answered at {closed}: .*refused"):
        CONNECTOR.begin_auth(closed, CALLBACK)

    with pytest.raises(NotFound, match="could not be resolved"):
        CONNECTOR.begin_auth("https://no-such-host.invalid", CALLBACK)

    with pytest.raises(Rejected, match="not a web address"):
        CONNECTOR.begin_auth("ftp://example.com", CALLBACK)
    assert InstanceApp.objects.count() == 0


def test_a_web_page_is_not_a_mastodon_server(not_mastodon: str) -> None:
    # A server whose /api/v2/instance is an HTML page (here: everything under /html).
    session = connector_module.guarded_session()
    with pytest.raises(NotFound, match="not JSON"):
        oauth.probe_instance(session, not_mastodon + "/html")


@pytest.mark.django_db
def test_private_addresses_are_refused_unless_allowed(
    mastodon_peer: MastodonPeer, settings: Any
) -> None:
    settings.HUBBUB_ALLOW_PRIVATE_NETWORKS = []
    with pytest.raises(Rejected, match="loopback"):
        CONNECTOR.begin_auth(mastodon_peer.base_url, CALLBACK)
    seeded = mastodon_peer.new_account()
    with pytest.raises(Rejected, match="loopback"):
        CONNECTOR.whoami(account_for(mastodon_peer, seeded))


# --- tokens -----------------------------------------------------------------------------------


def test_connect_with_token(mastodon_peer: MastodonPeer) -> None:
    seeded = mastodon_peer.new_account()
    connected = CONNECTOR.connect_with_token(
        mastodon_peer.base_url + "/", {"access_token": seeded.access_token}
    )
    assert connected.identity.remote_id == seeded.id
    assert connected.credentials == {"access_token": seeded.access_token}
    with pytest.raises(Revoked, match="The access token is invalid"):
        CONNECTOR.connect_with_token(mastodon_peer.base_url, {"access_token": "not-a-token"})
    with pytest.raises(Rejected, match="Paste an access token"):
        CONNECTOR.connect_with_token(mastodon_peer.base_url, {"access_token": " "})


@pytest.mark.django_db
def test_disconnect_revokes_the_token(mastodon_peer: MastodonPeer) -> None:
    seeded = mastodon_peer.new_account()
    account = account_for(mastodon_peer, seeded)
    CONNECTOR.disconnect(account)
    with pytest.raises(Revoked):
        CONNECTOR.whoami(account)
    CONNECTOR.disconnect(Account(base_url=mastodon_peer.base_url, credentials={}))  # no-op


# --- reading ----------------------------------------------------------------------------------


def test_mentions_feed(mastodon_peer: MastodonPeer) -> None:
    alice, bob = mastodon_peer.new_account(), mastodon_peer.new_account()
    status = mastodon_peer.post_as(bob, f"@{alice.username} hello there")
    page = CONNECTOR.fetch(account_for(mastodon_peer, alice), "mentions")
    [item] = page.items
    assert item.remote_id == status["id"]
    assert item.kind == "mention"
    assert item.author_handle == f"@{bob.username}@localhost"
    assert "hello there" in item.text
    assert item.extra["notification_id"]


def test_home_feed_pages_with_a_cursor(
    mastodon_peer: MastodonPeer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(connector_module, "PAGE_SIZE", 2)
    alice, bob = mastodon_peer.new_account(), mastodon_peer.new_account()
    mastodon_peer.follow(alice, bob)
    posted = [mastodon_peer.post_as(bob, f"post {n}")["id"] for n in range(3)]
    account = account_for(mastodon_peer, alice)
    first = CONNECTOR.fetch(account, "home")
    assert [i.remote_id for i in first.items] == posted[::-1][:2]
    assert first.next_cursor is not None
    second = CONNECTOR.fetch(account, "home", first.next_cursor)
    assert [i.remote_id for i in second.items] == posted[:1]


def test_unknown_feed(mastodon_peer: MastodonPeer) -> None:
    account = account_for(mastodon_peer, mastodon_peer.new_account())
    with pytest.raises(NotImplementedError):
        CONNECTOR.fetch(account, "bookmarks")


def test_publish_options_reach_the_server(mastodon_peer: MastodonPeer) -> None:
    alice = mastodon_peer.new_account()
    account = account_for(mastodon_peer, alice)
    first = CONNECTOR.publish(account, Draft(text="root"), "k-root", ())
    reply = CONNECTOR.publish(
        account,
        Draft(text="reply", content_warning="cw", visibility="unlisted",
              in_reply_to=first.remote_id, language="en"),
        "k-reply",
        (),
    )
    [stored] = [s for s in mastodon_peer.statuses(alice) if s["id"] == reply.remote_id]
    assert stored["in_reply_to_id"] == first.remote_id
    assert stored["spoiler_text"] == "cw"
    assert stored["visibility"] == "unlisted"


def test_a_rejected_post_says_why(mastodon_peer: MastodonPeer) -> None:
    account = account_for(mastodon_peer, mastodon_peer.new_account())
    with pytest.raises(Rejected, match="Text is too long"):
        CONNECTOR.publish(account, Draft(text="a" * 501), "k-long", ())
