"""A list column is read once when it is added (issue 12): the add-column dialog asks the network
whether the list exists by reading its first page, and that page becomes the new column's first
poll, through ingest. The column shows the list's posts at once, and its next read comes at the
watched pace instead of reading the same page again straight away.

Against the real Mastodon mock (its fault rules count the reads of the list's timeline: a
latency rule of 0 ms with a budget) and the real Nostr relay."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from hubbub.connections.models import Connection
from hubbub.networks.base import Account, Page
from hubbub.networks.nostr import columns, keys
from hubbub.networks.nostr.connector import NostrConnector
from hubbub.timeline import services
from hubbub.timeline.models import Column, Deck, Feed, Item
from hubbub.timeline.selectors import column_page
from tests.peers.mastodon import MastodonPeer, SeededAccount
from tests.peers.nostr import NostrPeer
from tests.timeline.conftest import connection_of

pytestmark = pytest.mark.django_db
BUDGET = 100


@pytest.fixture(autouse=True)
def slow_polls(settings: Any) -> None:
    """Polls far apart, so that "the next poll is not due yet" holds however slow the machine."""
    settings.HUBBUB_POLL_ACTIVE_SECONDS = 600
    settings.HUBBUB_POLL_IDLE_SECONDS = 3600


def _add_list_column(client: Client, deck: Deck, connection: Connection, typed: str) -> Column:
    response = client.post(reverse("timeline:column_add", args=[deck.pk]), {
        "connections": [connection.pk], "kind": "list", "param": typed, "width": "normal"})
    assert response.status_code == 302, response.content.decode()[-2000:]
    return Column.objects.get(deck=deck)


def _read_once_and_not_due(column: Column) -> Feed:
    [feed] = column.feeds.all()
    assert feed.last_polled_at is not None  # the dialog's read was its first poll
    assert feed.last_error == ""
    assert feed.next_poll_at is not None
    assert feed.next_poll_at > timezone.now()
    return feed


# --- Mastodon ------------------------------------------------------------------------------------


@pytest.fixture
def list_reads(mastodon_peer: MastodonPeer) -> Iterator[Any]:
    """How many times the mock has been asked for a list's timeline since the fixture began."""
    rule = mastodon_peer.add_fault({"type": "latency", "delay_ms": 0},
                                   path_regex=r"^/api/v1/timelines/list/", count=BUDGET)

    def reads() -> int:
        left = [r["remaining"] for r in mastodon_peer.faults() if r["id"] == rule]
        return BUDGET - (left[0] if left else 0)

    yield reads
    mastodon_peer.clear_faults()


def _mastodon_list(peer: MastodonPeer) -> tuple[SeededAccount, list[str]]:
    alice, bob, carol = (peer.new_account() for _ in range(3))
    peer.follow(alice, bob)
    peer.follow(alice, carol)
    made = peer._api(alice.access_token, "POST", "/api/v1/lists", data={"title": "Good Birds"})
    made.raise_for_status()
    peer._api(alice.access_token, "POST", f"/api/v1/lists/{made.json()['id']}/accounts",
              data={"account_ids[]": [bob.id]}).raise_for_status()
    posted = [peer.post_as(bob, "a kea on the roof")["id"],
              peer.post_as(bob, "a tui in the flax")["id"]]
    peer.post_as(carol, "not in the list")
    return alice, posted[::-1]


def _birder_with_a_list(client: Client,
                        peer: MastodonPeer) -> tuple[Connection, Deck, list[str]]:
    """A signed-in person whose Mastodon account has the list "good birds", an empty deck, and
    the list's posts, newest first."""
    user = User.objects.create_user("birder")
    client.force_login(user)
    alice, newest_first = _mastodon_list(peer)
    connection = connection_of(user, "mastodon", Account(
        base_url=peer.base_url, credentials={"access_token": alice.access_token},
        remote_id=alice.id, handle=f"@{alice.username}@localhost"))
    return connection, Deck.objects.create(user=user, name="Main"), newest_first


def test_a_mastodon_list_column_shows_the_page_its_check_read(
        client: Client, mastodon_peer: MastodonPeer, list_reads: Any) -> None:
    connection, deck, newest_first = _birder_with_a_list(client, mastodon_peer)

    column = _add_list_column(client, deck, connection, "good birds")

    assert [i.remote_id for i in column_page(column)] == newest_first  # no poll ran
    assert list_reads() == 1
    feed = _read_once_and_not_due(column)
    assert feed.key == "list:good birds"
    # Opening the deck marks the column watched; its next poll stays at the watched pace.
    assert client.get(reverse("timeline:deck", args=[deck.pk])).status_code == 200
    feed.refresh_from_db()
    assert feed.next_poll_at is not None
    assert feed.next_poll_at > timezone.now()
    assert list_reads() == 1


def test_a_refused_mastodon_list_stores_nothing(
        client: Client, mastodon_peer: MastodonPeer, list_reads: Any) -> None:
    connection, deck, _ = _birder_with_a_list(client, mastodon_peer)
    response = client.post(reverse("timeline:column_add", args=[deck.pk]), {
        "connections": [connection.pk], "kind": "list", "param": "Nope", "width": "normal"})
    assert response.status_code == 400
    assert not Feed.objects.filter(connection=connection).exists()
    assert list_reads() == 0  # by title: the account's lists were read, and had no "Nope"


def test_a_list_column_the_full_deck_refuses_keeps_no_page(
        client: Client, mastodon_peer: MastodonPeer, list_reads: Any) -> None:
    connection, deck, _ = _birder_with_a_list(client, mastodon_peer)
    for n in range(services.MAX_COLUMNS):
        services.add_column(deck, connections=[connection], kind="home", param="",
                            title=f"Home {n}", width="normal")
    response = client.post(reverse("timeline:column_add", args=[deck.pk]), {
        "connections": [connection.pk], "kind": "list", "param": "good birds",
        "width": "normal"})
    assert response.status_code == 400
    assert f"This deck has {services.MAX_COLUMNS} columns" in response.content.decode()
    assert list_reads() == 1  # the check read the list...
    assert not Feed.objects.filter(connection=connection, key="list:good birds").exists()
    assert not Item.objects.filter(connection=connection).exists()  # ...and kept nothing


# --- Nostr ---------------------------------------------------------------------------------------


def test_a_nostr_list_column_shows_the_page_its_check_read(
        client: Client, nostr_peer: NostrPeer, monkeypatch: pytest.MonkeyPatch) -> None:
    user = User.objects.create_user("lister")
    client.force_login(user)
    me, ana, bo = (nostr_peer.keygen() for _ in range(3))
    assert nostr_peer.publish(nostr_peer.sign(me, "", kind=columns.FOLLOW_SET, tags=[
        ["d", "friends-1"], ["title", "Close friends"], ["p", ana.pk], ["p", bo.pk]])).ok
    now = int(time.time())
    notes = []
    for who, text, at in ((ana, "ana one", now - 30), (bo, "bo one", now - 20)):
        event = nostr_peer.sign(who, text, created_at=at)
        assert nostr_peer.publish(event).ok
        notes.append(str(event["id"]))
    account = Account(base_url=nostr_peer.url, remote_id=me.pk, handle=keys.npub(me.pk),
                      credentials={"secret_key_hex": me.sk, "relays": [nostr_peer.url]})
    connection = connection_of(user, "nostr", account)
    connection.capabilities_json = NostrConnector().capabilities(account).to_json()
    connection.save()
    deck = Deck.objects.create(user=user, name="Main")
    reads: list[str] = []
    real_fetch = NostrConnector.fetch

    def counted(self: NostrConnector, account: Account, feed: str,
                cursor: str | None = None) -> Page:
        reads.append(feed)
        return real_fetch(self, account, feed, cursor)

    monkeypatch.setattr(NostrConnector, "fetch", counted)

    column = _add_list_column(client, deck, connection, "Close friends")

    assert [i.remote_id for i in column_page(column)] == notes[::-1]  # no poll ran
    assert reads == ["list:Close friends"]
    _read_once_and_not_due(column)
