"""The deck's reading side against the open networks' real servers: a Nostr relay (stream and
poll) and the Bluesky dev network (poll, page back). Items arrive sanitized in the columns."""

from __future__ import annotations

import time
from typing import Any

import pytest
from django.contrib.auth.models import User

from hubbub.networks.base import Account, Draft
from hubbub.networks.nostr import keys
from hubbub.timeline.models import Feed, FeedEntry, Item
from hubbub.timeline.polling import load_older, mark_watched, poll_feed
from hubbub.timeline.selectors import column_page, ensure_feed
from hubbub.timeline.streaming import StreamSupervisor
from tests.peers.nostr import NostrKeys, NostrPeer
from tests.timeline.conftest import connection_of, make_column
from tests.timeline.test_streaming import wait_for

pytestmark = pytest.mark.django_db(transaction=True)


# --- Nostr ------------------------------------------------------------------------------------


def _nostr_account(peer: NostrPeer, who: NostrKeys) -> Account:
    return Account(base_url=peer.url, credentials={"secret_key_hex": who.sk,
                                                   "relays": [peer.url]},
                   remote_id=who.pk, handle=keys.npub(who.pk))


def test_a_nostr_mention_streams_into_the_column(nostr_peer: NostrPeer,
                                                 supervisor: StreamSupervisor) -> None:
    user = User.objects.create_user("nostrich")
    me, them = nostr_peer.keygen(), nostr_peer.keygen()
    mentions = ensure_feed(connection_of(user, "nostr", _nostr_account(nostr_peer, me)),
                           "mentions")
    column = make_column(user, [mentions])
    mark_watched([mentions])
    wait_for(lambda: any(r.connected.is_set() for r in supervisor.runners.values()), 15)
    event = nostr_peer.sign(them, "gm <script>alert(1)</script> https://x.example/a",
                            tags=[["p", me.pk]])
    assert nostr_peer.publish(event).ok
    wait_for(lambda: FeedEntry.objects.filter(feed=mentions).exists(), 60)
    [item] = column_page(column)
    assert item.remote_id == event["id"]
    assert item.kind == "mention"
    assert "<script" not in item.html
    assert "&lt;script&gt;" in item.html
    assert '<a href="https://x.example/a"' in item.html
    assert Feed.objects.get(pk=mentions.pk).streaming


def test_a_nostr_author_feed_polls_and_pages_back(nostr_peer: NostrPeer) -> None:
    user = User.objects.create_user("nostr-poller")
    me = nostr_peer.keygen()
    now = int(time.time())
    for n in range(3):
        assert nostr_peer.publish(nostr_peer.sign(me, f"note {n}", created_at=now - 100 + n)).ok
    author = ensure_feed(connection_of(user, "nostr", _nostr_account(nostr_peer, me)), "author")
    make_column(user, [author])
    assert poll_feed(author).new_in_feed == 3
    assert [i.text for i in column_page(make_column(user, [author]))] == [
        "note 2", "note 1", "note 0"]
    assert load_older(Feed.objects.get(pk=author.pk)) == 0
    assert Feed.objects.get(pk=author.pk).exhausted


# --- Bluesky ----------------------------------------------------------------------------------


@pytest.fixture
def bluesky(bluesky_peer: Any) -> Any:
    from tests.integration import bluesky_support

    return bluesky_support


def test_bluesky_home_polls_into_a_column_and_pages_back(
        bluesky_peer: Any, bluesky: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    from hubbub.networks.bluesky import connector as bluesky_connector

    user = User.objects.create_user("skyreader")
    reader, writer = bluesky.person(bluesky_peer, "reader"), bluesky.person(bluesky_peer, "writer")
    bluesky_peer.follow(reader.seeded, writer.seeded)
    posted = [bluesky.CONNECTOR.publish(writer.account, Draft(f"sky {n} <b>not bold</b>"),
                                        f"k{n}", ()).remote_id for n in range(3)]
    home_account = reader.account
    bluesky.wait_for(lambda: len(bluesky.CONNECTOR.fetch(home_account, "home").items) >= 3,
                     timeout=30)
    monkeypatch.setattr(bluesky_connector, "PAGE_SIZE", 2)
    home = ensure_feed(connection_of(user, "bluesky", home_account), "home")
    column = make_column(user, [home])
    assert poll_feed(home).new_in_feed == 2
    assert load_older(Feed.objects.get(pk=home.pk)) == 1
    items = column_page(column)
    assert [i.remote_id for i in items] == posted[::-1]
    assert all("<b>" not in i.html and "&lt;b&gt;" in i.html for i in items)
    assert Item.objects.filter(network="bluesky").count() == 3
