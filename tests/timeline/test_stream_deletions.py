"""Deletions the networks push: a Mastodon streaming `delete` and a Nostr deletion request
(NIP-09, kind 5) remove the item from that connection's store and tell open screens, against
the real Mastodon mock and nostr-relay; the authorship and scope rules on their own."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator, Callable
from dataclasses import replace
from datetime import UTC, datetime
from typing import cast

import pytest
from django.contrib.auth.models import User

from hubbub.connections.models import Connection
from hubbub.networks.base import DELETED, Account
from hubbub.networks.base import Item as NetItem
from hubbub.networks.mastodon.streaming import Endpoint, items_from_event
from hubbub.networks.nostr import keys
from hubbub.networks.nostr.reading import deletions_from_event, with_deletions
from hubbub.timeline.ingest import ingest
from hubbub.timeline.live import InProcessChannel, LiveEvent
from hubbub.timeline.live_stream import LIVE_IDS, format_event
from hubbub.timeline.models import Feed, FeedEntry, Item
from hubbub.timeline.polling import mark_watched
from hubbub.timeline.selectors import ensure_feed
from hubbub.timeline.services import remove_deleted
from hubbub.timeline.streaming import StreamSupervisor
from tests.peers.mastodon import MastodonPeer
from tests.peers.nostr import NostrKeys, NostrPeer
from tests.timeline.conftest import make_column, make_connection, net_item
from tests.timeline.test_mastodon_reading import connection_of
from tests.timeline.test_streaming import wait_for

pytestmark = pytest.mark.django_db(transaction=True)


def removed_while(channel: InProcessChannel, user_id: int,
                  action: Callable[[], object]) -> LiveEvent:
    """Subscribe as an open screen, do `action`, return the first "removed" event."""

    async def screen() -> LiveEvent:
        events = cast(AsyncGenerator[LiveEvent], channel.subscribe(user_id, ready=True))
        await anext(events)
        await asyncio.to_thread(action)
        while True:
            event = await asyncio.wait_for(anext(events), 10)
            if event.kind == "removed":
                await events.aclose()
                return event

    return asyncio.run(screen())


def texts(connection: Connection) -> set[str]:
    return set(Item.objects.filter(connection=connection).values_list("text", flat=True))


# --- Mastodon ---------------------------------------------------------------------------------


def test_a_mastodon_delete_removes_the_status_and_its_boosts_from_that_connection_only(
        mastodon_peer: MastodonPeer, supervisor: StreamSupervisor,
        channel: InProcessChannel) -> None:
    reader, other = User.objects.create_user("reader"), User.objects.create_user("other")
    alice, bob, carol = (mastodon_peer.new_account() for _ in range(3))
    mastodon_peer.follow(alice, bob)
    mastodon_peer.follow(alice, carol)
    connection = connection_of(reader, mastodon_peer, alice)
    home, mentions = ensure_feed(connection, "home"), ensure_feed(connection, "mentions")
    make_column(reader, [home, mentions])
    mark_watched([home, mentions])
    wait_for(lambda: any(r.connected.is_set() for r in supervisor.runners.values()), 10)

    doomed = mastodon_peer.post_as(bob, f"@{alice.username} doomed")
    mastodon_peer.post_as(bob, "stays")
    boost = mastodon_peer._api(carol.access_token, "POST",
                               f"/api/v1/statuses/{doomed['id']}/reblog").json()
    wait_for(lambda: Item.objects.filter(connection=connection).count() == 3, 10)
    assert FeedEntry.objects.filter(item__remote_id=doomed["id"]).count() == 2  # home, mentions
    # Another person's account holds the same status: their copy is theirs.
    copy = make_connection(other, network="mastodon")
    ingest(ensure_feed(copy, "home"), [replace(net_item(1), remote_id=doomed["id"])])
    gone = set(Item.objects.filter(connection=connection, remote_id__in=[doomed["id"],
                                                                        boost["id"]])
               .values_list("pk", flat=True))
    assert len(gone) == 2

    event = removed_while(channel, reader.pk, lambda: mastodon_peer._api(
        bob.access_token, "DELETE", f"/api/v1/statuses/{doomed['id']}").raise_for_status())
    assert set(event.item_ids) == gone
    assert set(event.feed_ids) == {home.pk, mentions.pk}
    assert texts(connection) == {"stays"}
    assert Item.objects.filter(connection=copy, remote_id=doomed["id"]).exists()
    assert FeedEntry.objects.filter(item_id__in=gone).count() == 0


def test_mastodon_delete_events_are_read_as_deletions() -> None:
    user = Endpoint("/api/v1/streaming/user", {}, frozenset({"home"}))
    [marker] = items_from_event("delete", "109876543210", user, "https://m.example")
    assert (marker.kind, marker.remote_id, marker.author_handle) == (DELETED, "109876543210", "")
    assert items_from_event("delete", '"AbC-12_x"', user, "https://m.example")[0].remote_id == (
        "AbC-12_x")
    for junk in ("", "1 OR 1=1", "<script>", "x" * 101):
        assert items_from_event("delete", junk, user, "https://m.example") == []


# --- Nostr ------------------------------------------------------------------------------------


def _nostr_connection(user: User, peer: NostrPeer, me: NostrKeys) -> Connection:
    account = Account(base_url=peer.url, credentials={"secret_key_hex": me.sk,
                                                      "relays": [peer.url]},
                      remote_id=me.pk, handle=keys.npub(me.pk))
    connection = Connection(user=user, network="nostr", base_url=account.base_url,
                            remote_id=account.remote_id, handle=account.handle)
    connection.credentials = dict(account.credentials)
    connection.save()
    return connection


def test_a_nostr_deletion_request_removes_only_its_authors_notes(
        nostr_peer: NostrPeer, supervisor: StreamSupervisor, channel: InProcessChannel) -> None:
    user = User.objects.create_user("nostrich")
    me, friend, other_friend = (nostr_peer.keygen() for _ in range(3))
    contacts = nostr_peer.sign(me, "", kind=3, tags=[["p", friend.pk], ["p", other_friend.pk]])
    assert nostr_peer.publish(contacts).ok
    connection = _nostr_connection(user, nostr_peer, me)
    home = ensure_feed(connection, "home")
    make_column(user, [home])
    mark_watched([home])
    wait_for(lambda: any(r.connected.is_set() for r in supervisor.runners.values()), 15)

    first = nostr_peer.sign(friend, "first note")
    second = nostr_peer.sign(friend, "second note")
    for note in (first, second):
        assert nostr_peer.publish(note).ok
    wait_for(lambda: texts(connection) == {"first note", "second note"}, 10)

    # Someone else asking to delete the friend's note: heard (they are followed), refused.
    forged = nostr_peer.sign(other_friend, "not yours", kind=5, tags=[["e", first["id"]]])
    real = nostr_peer.sign(friend, "oops", kind=5, tags=[["e", second["id"]]])
    second_pk = Item.objects.get(connection=connection, remote_id=second["id"]).pk

    def publish_both() -> None:
        assert nostr_peer.publish(forged).ok
        assert nostr_peer.publish(real).ok

    event = removed_while(channel, user.pk, publish_both)
    assert event.item_ids == (second_pk,)
    assert event.feed_ids == (home.pk,)
    assert texts(connection) == {"first note"}
    # The relay itself dropped the deleted note, and kept the one the forgery named.
    assert nostr_peer.query({"ids": [second["id"]]}) == []
    assert len(nostr_peer.query({"ids": [first["id"]]})) == 1


def test_nostr_deletions_are_asked_for_only_from_named_authors() -> None:
    home = [{"kinds": [1, 6], "authors": ["a" * 64]}]
    assert with_deletions(home) == [*home, {"kinds": [5], "authors": ["a" * 64]}]
    mentions = [{"kinds": [1], "#p": ["b" * 64]}]
    assert with_deletions(mentions) == mentions
    event = {"kind": 5, "pubkey": "c" * 64, "created_at": 1_700_000_000, "content": "",
             "tags": [["e", "d" * 64], ["e", "d" * 64], ["e", "not-an-id"], ["p", "e" * 64]]}
    [marker] = deletions_from_event(event)
    assert (marker.kind, marker.remote_id) == (DELETED, "d" * 64)
    assert marker.author_handle == keys.npub("c" * 64)
    assert deletions_from_event({**event, "kind": 1}) == []


# --- the rule, on the store alone ------------------------------------------------------------


def test_remove_deleted_checks_who_deleted_and_takes_reposts_along(alice: User) -> None:
    connection = make_connection(alice)
    feed = ensure_feed(connection, "home")
    now = datetime(2026, 5, 1, tzinfo=UTC)
    ann, bob = "@ann@x.example", "@bob@x.example"

    def item(remote_id: str, author: str, **extra: object) -> NetItem:
        return NetItem(remote_id=remote_id, kind="repost" if "reposted_by" in extra else "post",
                       author_handle=author, author_name="", created_at=now, text=remote_id,
                       extra=dict(extra))

    ingest(feed, [item("n1", ann), item("n2", ann),
                  item("r1", ann, reposted_by=bob, original_id="n1"),
                  item("r2", ann, reposted_by=bob, original_id="n2")])
    assert remove_deleted(connection, "n1", by=bob) == []  # not Bob's note
    assert remove_deleted(connection, "r2", by=ann) == []  # not Ann's repost
    assert len(remove_deleted(connection, "r2", by=bob)) == 1  # Bob undoes his repost
    removed = remove_deleted(connection, "n1", by=ann)  # Ann deletes: her note and reposts of it
    assert len(removed) == 2
    assert set(Item.objects.values_list("remote_id", flat=True)) == {"n2"}
    assert remove_deleted(connection, "missing") == []
    assert remove_deleted(connection, "") == []


def test_a_removed_event_names_the_items_for_the_browser() -> None:
    message = format_event(LiveEvent("removed", 1, feed_ids=(3, 2), item_ids=(9, 7)))
    assert message == 'event: removed\ndata: {"feeds": [2, 3], "items": [7, 9]}\n\n'


def test_an_items_event_names_its_items_unless_there_are_many() -> None:
    """The page asks for named items stored after newer ones (column_newer's `among`)."""
    message = format_event(LiveEvent("items", 1, feed_ids=(4,), item_ids=(12, 11)))
    assert message == 'event: items\ndata: {"feeds": [4], "count": 2, "items": [11, 12]}\n\n'
    many = tuple(range(1, LIVE_IDS + 2))
    message = format_event(LiveEvent("items", 1, feed_ids=(4,), item_ids=many))
    assert '"items"' not in message
    assert f'"count": {LIVE_IDS + 1}' in message


def test_feeds_keep_their_entries_for_items_not_deleted(alice: User) -> None:
    connection = make_connection(alice)
    feed = ensure_feed(connection, "home")
    ingest(feed, [net_item(1), net_item(2)])
    remove_deleted(connection, "r1")
    assert list(FeedEntry.objects.filter(feed=feed).values_list("item__remote_id", flat=True)) == [
        "r2"]
    assert Feed.objects.filter(pk=feed.pk).exists()
