"""What the add-column dialog takes as a column's hashtag, search, list or feed, per network
(issue 12 walkthrough: a Nostr list column took a 30-digit id, a search column 200 characters,
and the column was made and then failed or showed nothing). Each refusal says what is accepted
and no column is made; what the network can read passes. The lists' existence is asked of the
real Mastodon mock and Nostr relay."""

from __future__ import annotations

import html as htmllib
import time
from collections.abc import Iterator

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.urls import reverse

from hubbub.connections.models import Connection
from hubbub.networks import registry
from hubbub.networks.base import Account
from hubbub.networks.nostr import columns, keys
from hubbub.networks.nostr.connector import NostrConnector
from hubbub.timeline.feedkinds import SEARCH_MAX
from hubbub.timeline.forms import param_refusal
from hubbub.timeline.models import Deck
from tests.deck.conftest import make_connection
from tests.peers.mastodon import MastodonPeer
from tests.peers.nostr import NostrPeer

pytestmark = pytest.mark.django_db
REAL_CONNECTORS = dict(registry.CONNECTORS)  # before tests/deck/conftest.py narrows it
HEX = "ab" * 32
DID = "did:plc:ewvi7nxzyoun6zhxrhs64oiz"


def _naddr(kind: int, identifier: str = "friends") -> str:
    return keys.encode_naddr(keys.Address(kind=kind, author=HEX, identifier=identifier))


@pytest.fixture
def real_networks(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setattr(registry, "CONNECTORS", {**registry.CONNECTORS, **REAL_CONNECTORS})
    registry.get_connector.cache_clear()
    yield
    registry.get_connector.cache_clear()


def _post(client: Client, deck: Deck, connection: Connection, kind: str,
          param: str) -> tuple[int, str]:
    response = client.post(reverse("timeline:column_add", args=[deck.pk]), {
        "connections": [connection.pk], "kind": kind, "param": param, "width": "normal"})
    return response.status_code, htmllib.unescape(response.content.decode())


# --- the shapes, per network (no I/O) ------------------------------------------------------------


@pytest.mark.parametrize(("network", "kind", "value", "said"), [
    # Nostr lists: a follow set's name or an naddr of a kind the connector reads.
    ("nostr", "list", "1" * 30 + "x" * 80, "too long for a list's name"),
    ("nostr", "list", _naddr(30001), "kind 30001, which is not a list of people"),
    ("nostr", "list", _naddr(10000), "kind 10000, which is not a list of people"),
    ("nostr", "list", "naddr1qqqqqq", "is not a valid naddr"),
    ("nostr", "list", keys.npub(HEX), "names a person's key (npub), not a list"),
    ("nostr", "list", keys.encode_nprofile(HEX), "names a person (nprofile)"),
    ("nostr", "list", keys.encode_bare("note", HEX), "names a note, not a list"),
    ("nostr", "list", keys.encode_bare("nsec", HEX), "That key names a secret key"),
    ("nostr", "list", HEX, "64-character hex key or id, not a list"),
    ("nostr", "list", f"30000:{HEX}:friends", "coordinate (kind:key:name)"),
    # Mastodon lists: a title, or an id (a 64-bit integer).
    ("mastodon", "list", "1" * 30, "is not a Mastodon list id (an id is at most 19 digits)"),
    ("mastodon", "list", "x" * 101, "a list's name is at most 100 characters"),
    # Bluesky lists and custom feeds: an at:// URI of the right collection, or a link.
    ("bluesky", "list", "friends", "is not a Bluesky list: give its at:// address"),
    ("bluesky", "list", f"at://{DID}/app.bsky.feed.generator/abc", "is not a Bluesky list"),
    ("bluesky", "list", "https://bsky.app/profile/ana.bsky.social/feed/abc",
     "is not a Bluesky list"),
    ("bluesky", "feed", f"at://{DID}/app.bsky.graph.list/abc", "is not a Bluesky custom feed"),
    ("bluesky", "feed", "https://bsky.app/profile/ana.bsky.social", "is not a Bluesky custom"),
    ("bluesky", "feed", "ftp://bsky.app/profile/ana.bsky.social/feed/abc", "is not a Bluesky"),
    ("bluesky", "feed", f"at://{DID}/app.bsky.feed.generator/..", "is not a Bluesky custom"),
    # Hashtags: one tag, within the network's length.
    ("mastodon", "hashtag", "foo-bar", "is not a Mastodon hashtag"),
    ("mastodon", "hashtag", "2024", "is not a Mastodon hashtag"),
    ("mastodon", "hashtag", "a" * 101, "too long for a Mastodon hashtag: at most 100"),
    ("bluesky", "hashtag", "a" * 65, "too long for a Bluesky hashtag: at most 64"),
    ("bluesky", "hashtag", "2024", "is not a Bluesky hashtag"),
    ("nostr", "hashtag", "a" * 101, "too long for a Nostr hashtag: at most 100"),
    ("nostr", "hashtag", "two words", "is not one hashtag"),
    ("nostr", "hashtag", "a#b", "is not one hashtag"),
    # Searches: at most SEARCH_MAX characters, on every network.
    ("mastodon", "search", "w" * (SEARCH_MAX + 1), f"at most {SEARCH_MAX} characters"),
    ("bluesky", "search", "w" * (SEARCH_MAX + 1), f"at most {SEARCH_MAX} characters"),
    ("nostr", "search", "w" * 200, "(this one has 200)"),
])
def test_refused_shapes_say_what_is_accepted(network: str, kind: str, value: str,
                                             said: str, real_networks: None) -> None:
    assert said in param_refusal(network, kind, value)


@pytest.mark.parametrize(("network", "kind", "value"), [
    ("nostr", "list", "Close friends"),
    ("nostr", "list", "1" * 30),  # may be a set's `d`: its relays say whether it is one
    ("nostr", "list", _naddr(30000)),
    ("nostr", "list", "nostr:" + _naddr(39089)),
    ("mastodon", "list", "1" * 19),
    ("mastodon", "list", "Good birds"),
    ("bluesky", "list", f"at://{DID}/app.bsky.graph.list/3kabc"),
    ("bluesky", "list", "https://bsky.app/profile/ana.bsky.social/lists/3kabc"),
    ("bluesky", "feed", f"at://{DID}/app.bsky.feed.generator/whats-hot"),
    ("bluesky", "feed", "https://bsky.app/profile/ana.bsky.social/feed/whats-hot"),
    ("mastodon", "hashtag", "photo_of_the_day"),
    ("mastodon", "hashtag", "हिन्दी"),  # letters with their marks
    ("mastodon", "hashtag", "a" * 100),
    ("bluesky", "hashtag", "a" * 64),
    ("bluesky", "hashtag", "3d-printing"),
    ("nostr", "hashtag", "2024"),
    ("mastodon", "search", "w" * SEARCH_MAX),
    ("nostr", "search", "a phrase with “quotes”"),
    ("fake", "hashtag", "anything_one_word"),
])
def test_accepted_shapes(network: str, kind: str, value: str, real_networks: None) -> None:
    assert param_refusal(network, kind, value) == ""


# --- through the dialog --------------------------------------------------------------------------


def test_the_dialog_refuses_with_the_reason_and_makes_no_column(
        client_in: Client, owner: User, real_networks: None) -> None:
    deck = Deck.objects.create(user=owner, name="Main")
    fake = make_connection(owner)
    for kind, typed, said in (
            ("search", "w" * 150,
             f"A search is at most {SEARCH_MAX} characters (this one has 150)"),
            ("search", "bell\x07here", "holds a control character"),
            ("hashtag", "#", "“#” is not a hashtag: give the tag without the #"),
            ("hashtag", "###", "is not a hashtag"),
            ("hashtag", "two words", "“two words” is not one hashtag"),
            ("hashtag", "esc\x1bape", "holds a control character"),
            ("list", "\x7f", "holds a control character")):
        status, html = _post(client_in, deck, fake, kind, typed)
        assert status == 400, (kind, typed)
        assert said in html, (kind, typed)
        assert html.count('class="error"') == 1, (kind, typed)  # one reason, not two
    status, html = _post(client_in, deck, fake, "search", "w" * SEARCH_MAX)
    assert status == 302
    assert deck.columns.count() == 1

    # Each network's rule stands for each ticked account (a merged column).
    mastodon = make_connection(owner, "@dora@social.example", network="mastodon", remote_id="8")
    response = client_in.post(reverse("timeline:column_add", args=[deck.pk]), {
        "connections": [fake.pk, mastodon.pk], "kind": "hashtag", "param": "foo-bar",
        "width": "normal"})
    assert response.status_code == 400
    assert "“foo-bar” is not a Mastodon hashtag" in response.content.decode()
    assert deck.columns.count() == 1


def test_bluesky_lists_and_feeds_by_address_only(client_in: Client, owner: User,
                                                 real_networks: None) -> None:
    deck = Deck.objects.create(user=owner, name="Main")
    sky = make_connection(owner, "ana.bsky.social", network="bluesky", remote_id=DID)
    for kind, typed, said in (
            ("list", "Close friends", "“Close friends” is not a Bluesky list: give its at://"),
            ("feed", "whats-hot", "“whats-hot” is not a Bluesky custom feed: give its at://")):
        status, html = _post(client_in, deck, sky, kind, typed)
        assert status == 400
        assert said in html
    status, _ = _post(client_in, deck, sky, "feed",
                      "https://bsky.app/profile/ana.bsky.social/feed/whats-hot")
    assert status == 302
    status, _ = _post(client_in, deck, sky, "list", f"at://{DID}/app.bsky.graph.list/3kabc")
    assert status == 302
    assert deck.columns.count() == 2


# --- lists the account has, asked of the real servers --------------------------------------------


def test_mastodon_list_must_be_one_of_the_accounts_lists(
        client_in: Client, owner: User, real_networks: None,
        mastodon_peer: MastodonPeer) -> None:
    deck = Deck.objects.create(user=owner, name="Main")
    alice = mastodon_peer.new_account()
    made = mastodon_peer._api(alice.access_token, "POST", "/api/v1/lists",
                              json={"title": "good birds"}).json()
    connection = Connection(user=owner, network="mastodon", base_url=mastodon_peer.base_url,
                            remote_id=alice.id, handle=f"@{alice.username}@localhost")
    connection.credentials = {"access_token": alice.access_token}
    connection.save()
    status, html = _post(client_in, deck, connection, "list", "Nope")
    assert status == 400
    assert "Mastodon: this account has no list “Nope”; its lists are “good birds”." in html
    status, html = _post(client_in, deck, connection, "list", "987654321")
    assert status == 400
    assert f"Mastodon: @{alice.username}@localhost has no list “987654321”" in html
    status, html = _post(client_in, deck, connection, "list", "1" * 30)
    assert status == 400
    assert "is not a Mastodon list id" in html
    assert not deck.columns.exists()
    for typed in ("Good Birds", str(made["id"])):
        status, _ = _post(client_in, deck, connection, "list", typed)
        assert status == 302, typed
    assert deck.columns.count() == 2


def test_nostr_list_must_be_a_follow_set_on_the_accounts_relays(
        client_in: Client, owner: User, real_networks: None, nostr_peer: NostrPeer) -> None:
    deck = Deck.objects.create(user=owner, name="Main")
    me, ana = nostr_peer.keygen(), nostr_peer.keygen()
    follow_set = nostr_peer.sign(me, "", kind=columns.FOLLOW_SET, tags=[
        ["d", "friends-1"], ["title", "Close friends"], ["p", ana.pk]])
    assert nostr_peer.publish(follow_set).ok
    assert nostr_peer.publish(nostr_peer.sign(ana, "hello", created_at=int(time.time()))).ok
    account = Account(base_url=nostr_peer.url, remote_id=me.pk, handle=keys.npub(me.pk),
                      credentials={"secret_key_hex": me.sk, "relays": [nostr_peer.url]})
    connection = Connection(user=owner, network="nostr", base_url=account.base_url,
                            remote_id=account.remote_id, handle=account.handle)
    connection.credentials = dict(account.credentials)
    connection.capabilities_json = NostrConnector().capabilities(account).to_json()
    connection.save()

    status, html = _post(client_in, deck, connection, "list", "1" * 30)
    assert status == 400
    assert ("Nostr: no list “" + "1" * 30 + "” (a follow set, NIP-51) was found on this "
            "account's relays; its lists are “Close friends”.") in html
    status, html = _post(client_in, deck, connection, "list", keys.npub(ana.pk))
    assert status == 400
    assert "names a person's key (npub), not a list" in html
    assert "For one person's posts, add a Person column." in html
    assert not deck.columns.exists()
    naddr = keys.encode_naddr(keys.Address(kind=columns.FOLLOW_SET, author=me.pk,
                                           identifier="friends-1"))
    for typed in ("Close friends", "friends-1", naddr):
        status, _ = _post(client_in, deck, connection, "list", typed)
        assert status == 302, typed
    assert deck.columns.count() == 3
