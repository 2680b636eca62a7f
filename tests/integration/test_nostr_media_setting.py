"""The media server of a Nostr account, set in the hub: typed when connecting (the connect form
and the command line) and changed later on the account's own page (connections/media_views.py);
the composer's limits follow it; bad addresses get a sentence and change nothing; only the
connection's owner reaches the page, and only with the CSRF token."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.urls import reverse

from hubbub.connections.models import Connection
from hubbub.connections.services import capabilities_for, save_connection
from hubbub.networks.registry import get_connector
from tests.integration.hubproc import Hub
from tests.peers.blossom import BlossomPeer
from tests.peers.nostr import NostrPeer

pytestmark = pytest.mark.django_db
PASSWORD = "a-long-enough-password"


@pytest.fixture
def owner(db: None) -> User:
    return User.objects.create_user("owner", password=PASSWORD)


def _client(user: User, *, csrf: bool = False) -> Client:
    client = Client(enforce_csrf_checks=csrf)
    client.force_login(user)
    return client


def _connect(owner: User, relay: str) -> Connection:
    connected = get_connector("nostr").connect_with_token(relay, {"nsec": ""})
    return save_connection(owner, "nostr", connected)


def _url(connection: Connection) -> str:
    return reverse("connections:media_server", args=[connection.pk])


def _stored(connection: Connection) -> object:
    connection.refresh_from_db()
    return connection.credentials.get("media_server", "unset")


def _text(html: bytes) -> str:
    return " ".join(re.sub(r"<[^>]+>", " ", html.decode()).split())


def test_typed_when_connecting(nostr_peer: NostrPeer, blossom_peer: BlossomPeer,
                               owner: User) -> None:
    client = _client(owner)
    form = client.get(reverse("connections:connect_start", args=["nostr"]))
    assert b'name="media_server"' in form.content
    answer = client.post(reverse("connections:connect_start", args=["nostr"]), {
        "relays": nostr_peer.url, "nsec": "", "media_server": blossom_peer.url + "/"})
    assert answer.status_code == 302, _text(answer.content)
    [connection] = Connection.objects.filter(user=owner, network="nostr")
    assert connection.credentials["media_server"] == blossom_peer.url
    assert blossom_peer.url not in connection.credentials_enc  # encrypted with the key
    listing = _text(client.get(reverse("connections:list")).content)
    assert f"Pictures are stored on the media server {blossom_peer.url} (Blossom)." in listing


def test_a_bad_address_when_connecting_is_refused_and_nothing_is_saved(
    nostr_peer: NostrPeer, owner: User
) -> None:
    answer = _client(owner).post(reverse("connections:connect_start", args=["nostr"]), {
        "relays": nostr_peer.url, "nsec": "", "media_server": "ftp://media.example"})
    assert answer.status_code == 400
    assert "is not a web address" in _text(answer.content)
    assert not Connection.objects.filter(user=owner).exists()


def test_set_changed_and_removed_on_its_page(nostr_peer: NostrPeer, blossom_peer: BlossomPeer,
                                             owner: User) -> None:
    connection = _connect(owner, nostr_peer.url)
    client = _client(owner)
    listing = client.get(reverse("connections:list"))
    assert _url(connection).encode() in listing.content
    assert "add a Blossom server to this account" in _text(listing.content)
    assert capabilities_for(connection, refresh=True).media.max_count == 0
    page = client.get(_url(connection))
    assert page.status_code == 200
    assert "no media server, so notes from the hub carry no pictures" in _text(page.content)

    saved = client.post(_url(connection), {"media_server": blossom_peer.url}, follow=True)
    assert "pictures now go to " + blossom_peer.url in _text(saved.content)
    assert _stored(connection) == blossom_peer.url
    # The composer's limits follow at once (the stored ones were dropped).
    assert capabilities_for(connection).media.max_count == 4

    cleared = client.post(_url(connection), {"media_server": ""}, follow=True)
    assert "no media server; notes go without pictures" in _text(cleared.content)
    assert _stored(connection) == "unset"
    assert capabilities_for(connection).media.max_count == 0


@pytest.mark.parametrize(("typed", "words"), [
    ("ftp://media.example", "is not a web address: use https://"),
    ("https://media.example/upload", "a Blossom server is addressed by its root"),
    ("http://192.168.1.20", "That media server cannot be reached from this hub"),
    ("https://user:pw@media.example", "must not contain a user name or password"),
])
def test_bad_addresses_get_a_sentence_and_change_nothing(
    nostr_peer: NostrPeer, blossom_peer: BlossomPeer, owner: User, typed: str, words: str
) -> None:
    connection = _connect(owner, nostr_peer.url)
    client = _client(owner)
    client.post(_url(connection), {"media_server": blossom_peer.url})
    answer = client.post(_url(connection), {"media_server": typed})
    assert answer.status_code == 400
    assert words in _text(answer.content)
    assert _stored(connection) == blossom_peer.url


def test_only_the_owner_reaches_the_page_and_only_with_the_csrf_token(
    nostr_peer: NostrPeer, blossom_peer: BlossomPeer, owner: User
) -> None:
    connection = _connect(owner, nostr_peer.url)
    other = User.objects.create_user("other", password=PASSWORD)
    stranger = _client(other)
    assert stranger.get(_url(connection)).status_code == 404
    assert stranger.post(_url(connection), {"media_server": blossom_peer.url}).status_code == 404
    assert Client().get(_url(connection)).status_code == 302  # to the login page
    guarded = _client(owner, csrf=True)
    assert guarded.post(_url(connection), {"media_server": blossom_peer.url}).status_code == 403
    assert _stored(connection) == "unset"


def test_other_networks_have_no_media_server_page(owner: User) -> None:
    connection = Connection.objects.create(user=owner, network="mastodon",
                                           base_url="https://m.example", remote_id="1",
                                           handle="@a@m.example", credentials_enc="")
    assert _client(owner).get(_url(connection)).status_code == 404


def test_given_on_the_command_line(nostr_peer: NostrPeer, blossom_peer: BlossomPeer,
                                   tmp_path: Path) -> None:
    hub = Hub(tmp_path / "data")
    hub.run("createuser", "ada", "--password-stdin", stdin=PASSWORD)
    refused = hub.run("connect", "nostr", "--user", "ada", "--relay", nostr_peer.url,
                      "--generate", "--media-server", "ftp://media.example", check=False)
    assert refused.returncode == 2
    assert "is not a web address: use https://" in refused.stderr + refused.stdout
    assert "Traceback" not in refused.stderr
    made = hub.json("connect", "nostr", "--user", "ada", "--relay", nostr_peer.url,
                    "--generate", "--media-server", blossom_peer.url)
    [listed] = hub.json("connections", "--user", "ada")
    assert (listed["id"], listed["network"]) == (made["id"], "nostr")


def test_reconnecting_keeps_the_media_server(nostr_peer: NostrPeer, blossom_peer: BlossomPeer,
                                             owner: User) -> None:
    """The key is given again; the media server (the person's setting, not the network's) is
    not asked again and stays, unless a new one is given."""
    client = _client(owner)
    answer = client.post(reverse("connections:connect_start", args=["nostr"]), {
        "relays": nostr_peer.url, "nsec": "", "media_server": blossom_peer.url})
    assert answer.status_code == 302
    [connection] = Connection.objects.filter(user=owner, network="nostr")
    nsec = connection.credentials["secret_key_hex"]
    answer = client.post(reverse("connections:connect_start", args=["nostr"]), {
        "relays": nostr_peer.url, "nsec": nsec, "media_server": ""})
    assert answer.status_code == 302, _text(answer.content)
    assert Connection.objects.filter(user=owner, network="nostr").count() == 1
    assert _stored(connection) == blossom_peer.url
