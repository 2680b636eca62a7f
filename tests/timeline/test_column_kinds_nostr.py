"""Nostr's list (NIP-51) and search (NIP-50) columns against the real relay (nostr-relay 1.14):
a list column shows the notes of the people a follow set names, by name or naddr, polling adds
new ones and paging ends; search is unavailable there, saying why, since the relay's NIP-11
document does not list NIP-50 (its SQL storage has no full-text search)."""

from __future__ import annotations

import time

import pytest
from django.contrib.auth.models import User

from hubbub.networks.base import Account
from hubbub.networks.errors import Rejected
from hubbub.networks.nostr import columns, keys
from hubbub.networks.nostr.connector import NostrConnector
from hubbub.networks.nostr.mapping import default_capabilities
from hubbub.timeline.feedkinds import available_kinds, unavailable_reasons
from hubbub.timeline.models import Feed
from hubbub.timeline.polling import load_older, poll_feed
from hubbub.timeline.selectors import column_page, ensure_feed
from tests.peers.nostr import NostrKeys, NostrPeer
from tests.timeline.conftest import connection_of, make_column

pytestmark = pytest.mark.django_db(transaction=True)
CONNECTOR = NostrConnector()


def _account(peer: NostrPeer, who: NostrKeys) -> Account:
    return Account(base_url=peer.url, credentials={"secret_key_hex": who.sk,
                                                   "relays": [peer.url]},
                   remote_id=who.pk, handle=keys.npub(who.pk))


def _note(peer: NostrPeer, who: NostrKeys, text: str, at: int) -> str:
    event = peer.sign(who, text, created_at=at)
    assert peer.publish(event).ok
    return str(event["id"])


def test_list_column_shows_the_notes_of_the_people_a_follow_set_names(
        nostr_peer: NostrPeer, monkeypatch: pytest.MonkeyPatch) -> None:
    user = User.objects.create_user("lister")
    me, ana, bo, stranger = (nostr_peer.keygen() for _ in range(4))
    follow_set = nostr_peer.sign(me, "", kind=columns.FOLLOW_SET, tags=[
        ["d", "friends-1"], ["title", "Close friends"], ["p", ana.pk], ["p", bo.pk],
        ["p", "not a key"]])
    assert nostr_peer.publish(follow_set).ok
    now = int(time.time())
    listed = [_note(nostr_peer, ana, "ana one", now - 30),
              _note(nostr_peer, bo, "bo one", now - 20),
              _note(nostr_peer, ana, "ana two", now - 10)]
    _note(nostr_peer, stranger, "not on the list", now - 5)
    connection = connection_of(user, "nostr", _account(nostr_peer, me))
    connection.capabilities_json = CONNECTOR.capabilities(_account(nostr_peer, me)).to_json()
    connection.save()
    assert "list" in available_kinds(connection)
    monkeypatch.setattr("hubbub.networks.nostr.connector.PAGE_SIZE", 2)
    feed = ensure_feed(connection, "list:Close friends")  # by its title; "friends-1" is its d
    column = make_column(user, [feed])
    assert poll_feed(feed).new_in_feed == 2
    for _ in range(4):
        if not load_older(Feed.objects.get(pk=feed.pk)):
            break
    assert Feed.objects.get(pk=feed.pk).exhausted
    assert [i.remote_id for i in column_page(column)] == listed[::-1]
    newer = _note(nostr_peer, bo, "bo two", now)
    assert poll_feed(Feed.objects.get(pk=feed.pk)).new_in_feed == 1
    assert column_page(column)[0].remote_id == newer
    # The same list by its d identifier and by its naddr (which names anyone's list).
    naddr = keys.encode_naddr(keys.Address(columns.FOLLOW_SET, me.pk, "friends-1"))
    someone = _account(nostr_peer, stranger)
    for name, account in (("friends-1", _account(nostr_peer, me)), (naddr, someone)):
        page = CONNECTOR.fetch(account, f"list:{name}")
        assert [i.remote_id for i in page.items][:2] == [newer, listed[2]]


def test_unknown_and_malformed_lists_are_sentences_in_the_column(nostr_peer: NostrPeer) -> None:
    user = User.objects.create_user("unlucky-lister")
    me, ana = nostr_peer.keygen(), nostr_peer.keygen()
    assert nostr_peer.publish(nostr_peer.sign(me, "", kind=columns.FOLLOW_SET, tags=[
        ["d", "empty"]])).ok
    assert nostr_peer.publish(nostr_peer.sign(me, "", kind=columns.FOLLOW_SET, tags=[
        ["d", "work"], ["p", ana.pk]])).ok
    connection = connection_of(user, "nostr", _account(nostr_peer, me))
    note = keys.encode_nevent("a" * 64)
    wrong_kind = keys.encode_naddr(keys.Address(30023, me.pk, "work"))
    for name, said in (("nope", "no list “nope”"), ("empty", "names nobody"),
                       ("naddr1qqqqqq", "cannot be read"), (wrong_kind, "not a list of people"),
                       (note, "no list")):
        result = poll_feed(ensure_feed(connection, f"list:{name}"))
        assert said in result.error, (name, result.error)
    result = poll_feed(ensure_feed(connection, "list:nope"))
    assert "“empty”" in result.error
    assert "“work”" in result.error


def test_search_is_unavailable_on_a_relay_without_nip50_and_says_why(
        nostr_peer: NostrPeer) -> None:
    user = User.objects.create_user("nostr-searcher")
    me = nostr_peer.keygen()
    account = _account(nostr_peer, me)
    caps = CONNECTOR.capabilities(account)
    assert "search" not in caps.feeds
    assert "list" in caps.feeds
    assert dict(caps.unavailable_feeds)["search"] == "this relay does not offer search (NIP-50)"
    connection = connection_of(user, "nostr", account)
    connection.capabilities_json = caps.to_json()
    connection.save()
    assert "search" not in available_kinds(connection)
    assert unavailable_reasons(connection)["search"] == (
        "Nostr: this relay does not offer search (NIP-50)")
    # Asked anyway (an old column), it sends no REQ the relay would answer with every note.
    _note(nostr_peer, me, "anything at all", int(time.time()))
    with pytest.raises(Rejected, match="none of this account's relays offers search"):
        CONNECTOR.fetch(account, "search:anything")


def test_search_is_offered_where_a_relay_lists_nip50() -> None:
    base = default_capabilities()
    offered = columns.with_column_kinds(base, [{"supported_nips": [1, 11, 50]}, None])
    assert "search" in offered.feeds
    assert offered.unavailable_feeds == ()
    for documents in ([{"supported_nips": [1, 11]}], [None], [{"supported_nips": "50"}],
                      [{"supported_nips": [True, "50"]}]):
        refused = columns.with_column_kinds(base, documents)
        assert "search" not in refused.feeds
    assert dict(columns.with_column_kinds(base, [None, None]).unavailable_feeds)["search"] == (
        "none of this account's relays offers search (NIP-50)")


def test_naddr_round_trip() -> None:
    address = keys.Address(30000, "b" * 64, "friends ✓", ("wss://relay.example",))
    assert keys.decode_naddr(keys.encode_naddr(address)) == address
    with pytest.raises(keys.InvalidKey):
        keys.decode_naddr(keys.npub("b" * 64))
