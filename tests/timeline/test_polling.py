"""Adaptive polling against a scripted network: first page, gaps, paging back, intervals,
backoff on rate limits and failures, claims."""

from __future__ import annotations

import threading
import time
from datetime import timedelta
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.utils import timezone

from hubbub.connections.models import Connection, Health
from hubbub.networks.base import Page
from hubbub.networks.errors import RateLimited, Rejected, Revoked, Transient
from hubbub.timeline import live, polling
from hubbub.timeline.models import Feed, FeedEntry
from hubbub.timeline.polling import (
    PollLoop,
    claim,
    due_feeds,
    load_older,
    load_older_column,
    mark_watched,
    poll_feed,
)
from hubbub.timeline.selectors import column_page, ensure_feed
from tests.timeline.conftest import make_column, make_connection, net_item
from tests.timeline.scripted import ScriptedConnector
from tests.waiting import until

pytestmark = pytest.mark.django_db


def _page(numbers: range | list[int], cursor: str | None) -> Page:
    return Page(items=tuple(net_item(n) for n in numbers), next_cursor=cursor)


@pytest.fixture
def events(monkeypatch: pytest.MonkeyPatch) -> list[live.LiveEvent]:
    published: list[live.LiveEvent] = []
    monkeypatch.setattr(live, "publish", published.append)
    return published


@pytest.fixture
def shown(alice: User, feed: Feed) -> Feed:
    """The feed, in a column (only feeds a column shows are polled)."""
    make_column(alice, [feed])
    return feed


def _reload(feed: Feed) -> Feed:
    return Feed.objects.select_related("connection").get(pk=feed.pk)


def test_first_poll_fills_the_newest_page_and_remembers_the_older_cursor(
        shown: Feed, events: list[live.LiveEvent],
        django_capture_on_commit_callbacks: Any) -> None:
    ScriptedConnector.pages = {"home": {"": _page(range(10, 20), "c10")}}
    with django_capture_on_commit_callbacks(execute=True):
        result = poll_feed(shown)
    assert (result.new_in_feed, result.pages, result.error) == (10, 1, "")
    feed = _reload(shown)
    assert (feed.oldest_cursor, feed.exhausted, feed.last_error) == ("c10", False, "")
    assert feed.last_polled_at is not None
    # Not watched: the idle pace.
    assert feed.next_poll_at - feed.last_polled_at >= timedelta(seconds=500)
    assert sorted(e.kind for e in events) == ["feed", "items"]


def test_watched_feeds_are_polled_fast(shown: Feed, settings: object) -> None:
    mark_watched([shown])
    feed = _reload(shown)
    assert feed.watched_at is not None
    poll_feed(feed)
    feed = _reload(shown)
    assert feed.next_poll_at - feed.last_polled_at <= timedelta(seconds=25)
    # Streaming feeds are polled at the idle pace even while watched.
    Feed.objects.filter(pk=feed.pk).update(streaming=True)
    feed = _reload(shown)
    poll_feed(feed)
    feed = _reload(shown)
    assert feed.next_poll_at - feed.last_polled_at >= timedelta(seconds=500)


def test_an_accounts_watched_feeds_share_its_read_budget(
        alice: User, shown: Feed, monkeypatch: pytest.MonkeyPatch) -> None:
    """Many open columns of one account slow each down instead of running into the network's
    rate limit (which would freeze them all); streamed, unwatched and hidden feeds and other
    accounts' feeds do not count."""
    monkeypatch.setattr(ScriptedConnector, "poll_reads_per_minute", 6.0, raising=False)
    now = timezone.now()
    assert polling.interval_for(_reload(shown), now) == polling.idle_seconds()  # not watched
    mark_watched([shown])
    assert polling.interval_for(_reload(shown), now) == 10.0  # alone: 60 s / 6 reads
    others = [ensure_feed(shown.connection, key) for key in ("mentions", "notifications",
                                                             "hashtag:cats", "list:1")]
    make_column(alice, others[:3])
    mark_watched(others)  # list:1 is in no column
    assert polling.interval_for(_reload(shown), now) == 40.0  # 4 shown and watched
    Feed.objects.filter(pk=others[0].pk).update(streaming=True)
    elsewhere = ensure_feed(make_connection(alice), "home")
    make_column(alice, [elsewhere])
    mark_watched([elsewhere])
    assert polling.interval_for(_reload(shown), now) == 30.0
    assert polling.interval_for(_reload(elsewhere), now) == 10.0
    # A poll at that pace is not pulled forward by the page asking again (a reload, the live
    # stream's heartbeat): that would spend the budget faster.
    ScriptedConnector.pages = {"home": {"": _page(range(3), None)}}
    poll_feed(_reload(shown))
    polled = _reload(shown)
    assert polled.poll_interval == 30
    mark_watched([shown])
    assert _reload(shown).next_poll_at == polled.next_poll_at
    # One pushed far away (by hand here) is.
    Feed.objects.filter(pk=shown.pk).update(next_poll_at=timezone.now() + timedelta(minutes=5))
    mark_watched([shown])
    assert _reload(shown).next_poll_at <= timezone.now()
    # Without a budget, the watched pace.
    monkeypatch.setattr(ScriptedConnector, "poll_reads_per_minute", None, raising=False)
    assert polling.interval_for(_reload(shown), now) == polling.active_seconds()


def test_a_network_limiting_the_hubs_address_shares_one_budget_across_accounts(
        alice: User, bob: User, shown: Feed, monkeypatch: pytest.MonkeyPatch) -> None:
    """Where a network limits the hub's address as a whole (Bluesky: 3,000 reads in 5 minutes
    an IP), the watched polled feeds of every account, whoever's, share that budget too: more
    open accounts slow each feed down instead of the hub running into the limit."""
    monkeypatch.setattr(ScriptedConnector, "poll_reads_per_minute", 60.0, raising=False)
    monkeypatch.setattr(ScriptedConnector, "hub_poll_reads_per_minute", 6.0, raising=False)
    now = timezone.now()
    mark_watched([shown])
    assert polling.interval_for(_reload(shown), now) == 10.0  # alone: 60 s / 6 reads
    for owner in (alice, bob):
        for n in range(2):
            feed = ensure_feed(make_connection(owner, f"@u{owner.pk}{n}@x.example"), "home")
            make_column(owner, [feed])
            mark_watched([feed])
    # 5 watched feeds on the network, 1 of this account: the hub's budget decides.
    assert polling.interval_for(_reload(shown), now) == 50.0
    gone = Feed.objects.exclude(pk=shown.pk).filter(connection__user=bob).first()
    assert gone is not None
    Connection.objects.filter(pk=gone.connection_id).update(disconnected_at=timezone.now())
    assert polling.interval_for(_reload(shown), now) == 40.0  # a disconnected one is not read
    # Without the hub's budget, the account's own (1 feed at 60 a minute) or the watched pace.
    monkeypatch.setattr(ScriptedConnector, "hub_poll_reads_per_minute", None, raising=False)
    assert polling.interval_for(_reload(shown), now) == max(polling.active_seconds(), 1.0)


def test_mark_watched_brings_a_far_poll_forward_but_not_a_backoff(shown: Feed) -> None:
    far = timezone.now() + timedelta(minutes=10)
    Feed.objects.filter(pk=shown.pk).update(next_poll_at=far)
    mark_watched([shown.pk])
    assert _reload(shown).next_poll_at <= timezone.now()
    Feed.objects.filter(pk=shown.pk).update(next_poll_at=far, last_error="HTTP 503")
    mark_watched([shown])
    assert _reload(shown).next_poll_at == far
    mark_watched([])


def test_a_gap_is_filled_from_older_pages_until_they_overlap(shown: Feed) -> None:
    ScriptedConnector.pages = {"home": {"": _page(range(0, 10), "c0")}}
    poll_feed(shown)
    # Thirty new posts since: the newest page has none we know, the next overlaps.
    ScriptedConnector.pages = {"home": {
        "": _page(range(30, 40), "c30"), "c30": _page(range(20, 30), "c20"),
        "c20": _page(range(10, 20), "c10"), "c10": _page(range(0, 10), "c0"),
    }}
    ScriptedConnector.calls.clear()
    result = poll_feed(_reload(shown))
    assert result.new_in_feed == 30
    assert ScriptedConnector.calls == [("home", None), ("home", "c30"), ("home", "c20"),
                                       ("home", "c10")]
    assert FeedEntry.objects.filter(feed=shown).count() == 40
    # The paging-back cursor still points below the first page.
    assert _reload(shown).oldest_cursor == "c0"
    # A quiet poll reads one page only.
    ScriptedConnector.calls.clear()
    assert poll_feed(_reload(shown)).new_in_feed == 0
    assert ScriptedConnector.calls == [("home", None)]


def test_load_older_pages_back_until_the_network_runs_out(alice: User, shown: Feed) -> None:
    ScriptedConnector.pages = {"home": {
        "": _page(range(20, 30), "c20"), "c20": _page(range(10, 20), "c10"),
        "c10": _page(range(0, 10), None),
    }}
    column = make_column(alice, [shown])
    assert load_older(shown) == 10  # never polled: the first poll
    assert load_older(_reload(shown)) == 10
    assert len(column_page(column, limit=100)) == 20
    assert load_older_column(column) == 10
    feed = _reload(shown)
    assert feed.exhausted
    assert load_older(feed) == 0
    assert load_older_column(column) == 0
    assert len(column_page(column, limit=100)) == 30


def test_load_older_reports_and_records_a_failure(shown: Feed) -> None:
    ScriptedConnector.pages = {"home": {"": _page(range(5), "c0"),
                                        "c0": Transient("HTTP 503 from the server")}}
    poll_feed(shown)
    with pytest.raises(Transient, match="503"):
        load_older(_reload(shown))
    assert _reload(shown).last_error == "HTTP 503 from the server"


def test_rate_limits_hold_every_feed_of_the_connection(alice: User, shown: Feed) -> None:
    other = ensure_feed(shown.connection, "mentions")
    make_column(alice, [other])
    retry_at = timezone.now() + timedelta(minutes=7)
    ScriptedConnector.pages = {"home": {"": RateLimited("slow down", retry_at=retry_at)}}
    result = poll_feed(shown)
    assert result.error == "slow down"
    feed = _reload(shown)
    assert feed.next_poll_at >= retry_at
    connection = Connection.objects.get(pk=feed.connection_id)
    assert connection.health == Health.RATE_LIMITED
    assert connection.rate_limited_until == retry_at
    Feed.objects.filter(pk=other.pk).update(next_poll_at=timezone.now())
    assert due_feeds() == []
    assert {f.pk for f in due_feeds(retry_at + timedelta(seconds=1))} == {other.pk}


def test_transient_failures_back_off_doubling_then_recover(
        shown: Feed, events: list[live.LiveEvent]) -> None:
    ScriptedConnector.pages = {"home": {"": Transient("HTTP 502")}}
    waits = []
    for _ in range(4):
        before = timezone.now()
        poll_feed(_reload(shown))
        waits.append((_reload(shown).next_poll_at - before).total_seconds())
    for wait, expected in zip(waits, [30, 60, 120, 240], strict=True):  # ±10% jitter
        assert expected * 0.89 <= wait <= expected * 1.11
    assert [e.detail for e in events] == ["error: HTTP 502"]  # said once, not every time
    ScriptedConnector.pages = {"home": {"": _page(range(3), None)}}
    assert poll_feed(_reload(shown)).new_in_feed == 3
    assert _reload(shown).last_error == ""
    assert events[-1].detail == "ready"


def test_backoff_is_capped(shown: Feed, settings: object) -> None:
    settings.HUBBUB_POLL_MAX_BACKOFF_SECONDS = 100  # type: ignore[attr-defined]
    ScriptedConnector.pages = {"home": {"": Transient("down")}}
    for _ in range(6):
        poll_feed(_reload(shown))
    assert _reload(shown).poll_interval == 100


def test_a_server_asking_for_a_later_retry_is_believed(shown: Feed) -> None:
    later = timezone.now() + timedelta(hours=2)
    ScriptedConnector.pages = {"home": {"": Transient("maintenance", retry_at=later)}}
    poll_feed(shown)
    assert _reload(shown).next_poll_at == later


def test_revoked_credentials_stop_polling_until_reconnected(shown: Feed) -> None:
    ScriptedConnector.pages = {"home": {"": Revoked("token revoked")}}
    poll_feed(shown)
    connection = Connection.objects.get(pk=shown.connection_id)
    assert connection.health == Health.NEEDS_RECONNECT
    Feed.objects.filter(pk=shown.pk).update(next_poll_at=timezone.now())
    assert due_feeds() == []


def test_feeds_a_network_cannot_read_are_tried_rarely(shown: Feed) -> None:
    ScriptedConnector.pages = {"home": {"": Rejected("no such list")}}
    poll_feed(shown)
    feed = _reload(shown)
    assert feed.last_error == "no such list"
    assert feed.next_poll_at - timezone.now() > timedelta(minutes=30)


def test_a_connector_bug_is_recorded_not_raised(shown: Feed) -> None:
    ScriptedConnector.pages = {"home": {"": ZeroDivisionError("oops")}}
    assert poll_feed(shown).error == "oops"


def test_only_shown_feeds_of_live_connections_are_due(alice: User, feed: Feed) -> None:
    assert due_feeds() == []  # in no column
    make_column(alice, [feed])
    assert [f.pk for f in due_feeds()] == [feed.pk]
    Connection.objects.filter(pk=feed.connection_id).update(disconnected_at=timezone.now())
    assert due_feeds() == []


def test_a_poll_is_claimed_once(shown: Feed) -> None:
    first, second = _reload(shown), _reload(shown)
    assert claim(first)
    assert not claim(second)
    assert due_feeds() == []


@pytest.mark.django_db(transaction=True)
def test_the_loop_polls_due_feeds_on_its_threads(alice: User) -> None:
    feeds = [ensure_feed(make_connection(alice), "home") for _ in range(3)]
    make_column(alice, feeds)
    ScriptedConnector.pages = {"home": {"": _page(range(5), None)}}
    stop = threading.Event()
    loop = threading.Thread(target=PollLoop(stop, threads=2, tick=0.05).run)
    loop.start()
    try:
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            if Feed.objects.filter(last_polled_at__isnull=False).count() == 3:
                break
            time.sleep(0.05)
        assert FeedEntry.objects.count() == 15
        # mark_watched wakes the loop for a feed whose next poll was far away.
        Feed.objects.filter(pk=feeds[0].pk).update(
            next_poll_at=timezone.now() + timedelta(hours=1))
        polled = Feed.objects.get(pk=feeds[0].pk).last_polled_at
        mark_watched([feeds[0]])
        deadline = time.monotonic() + 5
        while Feed.objects.get(pk=feeds[0].pk).last_polled_at == polled:
            assert time.monotonic() < deadline
            time.sleep(0.05)
    finally:
        stop.set()
        polling._wake.set()
        loop.join(5)
    assert not loop.is_alive()


@pytest.mark.django_db(transaction=True)
def test_a_free_poll_thread_claims_the_next_due_feed_without_waiting_for_the_tick(
        alice: User) -> None:
    """With one thread and a tick far away, due feeds are still read one after another: the
    end of a poll wakes the loop (a claim round a tick capped a worker at its thread count of
    polls a second)."""
    feeds = [ensure_feed(make_connection(alice), "home") for _ in range(3)]
    make_column(alice, feeds)
    ScriptedConnector.pages = {"home": {"": _page(range(5), None)}}
    stop = threading.Event()
    loop = threading.Thread(target=PollLoop(stop, threads=1, tick=3600).run)
    loop.start()
    try:
        until(lambda: Feed.objects.filter(last_polled_at__isnull=False).count() == 3,
              "all three due feeds read on the one thread")
    finally:
        stop.set()
        polling._wake.set()
        loop.join(10)
    assert not loop.is_alive()
