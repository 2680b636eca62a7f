"""Reading Mastodon for the deck, against mastodon-mock as a real server: the feeds fetch
reads, the SSE stream, and the whole path (stream or poll -> ingest -> live event)."""

from __future__ import annotations

import asyncio
import threading
import time
from datetime import timedelta

import pytest
from django.contrib.auth.models import User
from django.utils import timezone

from hubbub.connections.models import Connection, Health
from hubbub.networks.base import Account
from hubbub.networks.errors import Revoked
from hubbub.networks.mastodon.connector import MastodonConnector
from hubbub.networks.mastodon.streaming import sse_events
from hubbub.timeline.live import InProcessChannel, LiveEvent
from hubbub.timeline.models import Feed, FeedEntry, Item
from hubbub.timeline.polling import mark_watched, poll_feed
from hubbub.timeline.selectors import column_page, ensure_feed
from hubbub.timeline.streaming import StreamSupervisor
from tests.peers.mastodon import MastodonPeer, SeededAccount
from tests.timeline.conftest import make_column
from tests.timeline.test_streaming import wait_for

CONNECTOR = MastodonConnector()


def account_of(peer: MastodonPeer, seeded: SeededAccount) -> Account:
    return Account(base_url=peer.base_url, credentials={"access_token": seeded.access_token},
                   remote_id=seeded.id, handle=f"@{seeded.username}@localhost")


def connection_of(user: User, peer: MastodonPeer, seeded: SeededAccount) -> Connection:
    connection = Connection(user=user, network="mastodon", base_url=peer.base_url,
                            remote_id=seeded.id, handle=f"@{seeded.username}@localhost")
    connection.credentials = {"access_token": seeded.access_token}
    connection.save()
    return connection


# --- the connector ----------------------------------------------------------------------------


def test_sse_parsing_handles_split_chunks_comments_and_multiline_data() -> None:
    raw = (b":connected\n\nevent: update\ndata: {\"a\":\r\ndata: 1}\n\n"
           b":thump\n\nevent: delete\ndata: 9\n\n")
    chunks = [raw[i:i + 7] for i in range(0, len(raw), 7)]
    assert list(sse_events(chunks)) == [("update", '{"a":\n1}'), ("delete", "9")]


def test_stream_delivers_home_mentions_and_hashtags_at_once(mastodon_peer: MastodonPeer) -> None:
    alice, bob = mastodon_peer.new_account(), mastodon_peer.new_account()
    mastodon_peer.follow(alice, bob)
    with CONNECTOR.stream(account_of(mastodon_peer, alice),
                          ["home", "mentions", "hashtag:deckcats"]) as stream:
        assert stream.wait_ready(30)
        status = mastodon_peer.post_as(bob, f"@{alice.username} look #deckcats")
        got = {}
        for _ in range(3):  # pushed by the server: no poll interval is waited for
            item = next(stream)
            got[item.extra["feed"]] = item
    assert set(got) == {"home", "mentions", "hashtag:deckcats"}
    assert {i.remote_id for i in got.values()} == {status["id"]}
    assert got["mentions"].kind == "mention"
    assert got["home"].author_handle == f"@{bob.username}@localhost"


def test_closing_the_stream_ends_it_promptly(mastodon_peer: MastodonPeer) -> None:
    stream = CONNECTOR.stream(account_of(mastodon_peer, mastodon_peer.new_account()), ["home"])
    assert stream.wait_ready(30)
    threading.Timer(0.2, stream.close).start()
    with pytest.raises(StopIteration):  # a close that did not reach the reader hangs here
        next(stream)
    deadline = time.monotonic() + 60
    while any(t.name.startswith("mastodon-stream") for t in threading.enumerate()):
        assert time.monotonic() < deadline, "reader threads linger"
        time.sleep(0.05)


def test_a_revoked_token_fails_the_stream(mastodon_peer: MastodonPeer) -> None:
    alice = mastodon_peer.new_account()
    mastodon_peer.revoke(alice)
    stream = CONNECTOR.stream(account_of(mastodon_peer, alice), ["home"])
    with pytest.raises(Revoked):
        next(stream)


def test_unstreamable_feeds_are_refused_up_front() -> None:
    assert CONNECTOR.can_stream("home")
    assert CONNECTOR.can_stream("hashtag:x")
    assert not CONNECTOR.can_stream("notifications")
    assert not CONNECTOR.can_stream("author:@a@b")
    with pytest.raises(NotImplementedError):
        CONNECTOR.stream(Account(base_url="https://x.example",
                                 credentials={"access_token": "t"}), ["search:x"])


def test_fetch_reads_every_feed_the_capabilities_name(mastodon_peer: MastodonPeer) -> None:
    alice, bob = mastodon_peer.new_account(), mastodon_peer.new_account()
    mastodon_peer.follow(alice, bob)
    status = mastodon_peer.post_as(bob, f"@{alice.username} hi #deckdogs", spoiler_text="cw",
                                   sensitive="true")
    mastodon_peer.follow(bob, alice)
    account = account_of(mastodon_peer, alice)
    for feed in ("home", "mentions", "hashtag:deckdogs", f"author:@{bob.username}@localhost"):
        page = CONNECTOR.fetch(account, feed)
        assert [i.remote_id for i in page.items] == [status["id"]], feed
    [home] = CONNECTOR.fetch(account, "home").items
    assert home.extra["content_warning"] == "cw"
    assert home.extra["liked"] is False
    assert home.extra["counts"]["like"] == 0
    assert home.extra["author_url"]
    kinds = [(i.kind, i.author_handle) for i in CONNECTOR.fetch(account, "notifications").items]
    assert kinds == [("follow", f"@{bob.username}@localhost"),
                     ("mention", f"@{bob.username}@localhost")]
    own = CONNECTOR.fetch(account_of(mastodon_peer, bob), "own")
    assert [i.remote_id for i in own.items] == [status["id"]]
    with pytest.raises(NotImplementedError):
        CONNECTOR.fetch(account, "bookmarks")


# --- the whole path ---------------------------------------------------------------------------


def test_a_post_on_the_network_reaches_an_open_screen_within_a_second(
        mastodon_peer: MastodonPeer, supervisor: StreamSupervisor, channel: InProcessChannel,
) -> None:
    alice_user = User.objects.create_user("alice")
    alice, bob = mastodon_peer.new_account(), mastodon_peer.new_account()
    mastodon_peer.follow(alice, bob)
    connection = connection_of(alice_user, mastodon_peer, alice)
    home = ensure_feed(connection, "home")
    column = make_column(alice_user, [home])
    mark_watched([home])
    wait_for(lambda: any(r.connected.is_set() for r in supervisor.runners.values()), 10)

    async def screen() -> tuple[LiveEvent, float]:
        events = channel.subscribe(alice_user.pk, ready=True)
        await anext(events)
        started = time.monotonic()
        await asyncio.to_thread(mastodon_peer.post_as, bob, "live from the mock")
        while True:
            event = await asyncio.wait_for(anext(events), 60)
            if event.kind == "items":
                await events.aclose()
                return event, time.monotonic() - started

    event, elapsed = asyncio.run(screen())
    print(f"mastodon post -> live event: {elapsed:.2f} s")
    assert event.feed_ids == (home.pk,)
    [item] = column_page(column)
    assert item.pk in event.item_ids
    assert item.text == "live from the mock"
    assert Feed.objects.get(pk=home.pk).streaming


def test_polling_the_mock_fills_pages_and_respects_its_rate_limit(
        mastodon_faults: MastodonPeer, transactional_db: None) -> None:
    peer = mastodon_faults
    user = User.objects.create_user("poller")
    alice, bob = peer.new_account(), peer.new_account()
    peer.follow(alice, bob)
    for n in range(3):
        peer.post_as(bob, f"post {n}")
    home = ensure_feed(connection_of(user, peer, alice), "home")
    make_column(user, [home])
    assert poll_feed(home).new_in_feed == 3
    assert [i.text for i in column_page(make_column(user, [home]))] == [
        "post 2", "post 1", "post 0"]
    feed = Feed.objects.select_related("connection").get(pk=home.pk)
    assert feed.exhausted  # fewer than a page: nothing older
    peer.add_fault({"type": "status", "status": 429, "headers": {"Retry-After": "120"}},
                   path="/api/v1/timelines/home")
    result = poll_feed(feed)
    assert result.error
    feed = Feed.objects.select_related("connection").get(pk=home.pk)
    assert feed.next_poll_at >= timezone.now() + timedelta(seconds=100)
    assert feed.connection.health == Health.RATE_LIMITED
    assert Item.objects.count() == FeedEntry.objects.count() == 3


def test_hostile_statuses_are_stored_inert(mastodon_peer: MastodonPeer,
                                           transactional_db: None) -> None:
    user = User.objects.create_user("reader")
    alice, bob = mastodon_peer.new_account(), mastodon_peer.new_account()
    mastodon_peer.follow(alice, bob)
    mastodon_peer.post_as(bob, "<script>alert(1)</script> javascript:alert(1) <b>x</b>")
    home = ensure_feed(connection_of(user, mastodon_peer, alice), "home")
    poll_feed(home)
    item = Item.objects.get()
    assert "<script" not in item.html
    assert "<b>" not in item.html  # the server escaped it: it is text, and stays text
    assert "alert(1)" in item.text

