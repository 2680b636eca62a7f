"""Adaptive polling: each feed a column shows is read again when due, sooner while someone
watches it, later when idle, much later while the network asks us to wait.

- A feed is due at `next_poll_at`. Only feeds in at least one column or read by the inbox
  (inbox.InboxFeed), of connections that are connected and not waiting for a reconnect or a
  rate limit, are polled.
- After a poll the next one is `HUBBUB_POLL_ACTIVE_SECONDS` away if the feed was watched in the
  last `HUBBUB_POLL_WATCH_SECONDS` (the deck calls `mark_watched` while it is open), else
  `HUBBUB_POLL_IDLE_SECONDS`; a feed a live stream feeds is polled at the idle pace, as a
  safety net. A little jitter keeps feeds from moving in lockstep.
- RateLimited: nothing before its retry_at (the connection is marked, so every feed of it
  waits). Transient and unexpected failures: back off, doubling from 30 s up to
  `HUBBUB_POLL_MAX_BACKOFF_SECONDS`. Revoked: the connection needs reconnecting, and is not
  polled until it is.
- The first poll stores the newest page and remembers the cursor of the next older one, for
  `load_older`. Later polls read the newest page again (connectors page backwards only); when
  none of it was in the feed yet, older pages follow until one overlaps what was there, so a
  gap after a long pause is filled (up to GAP_PAGES pages).
- Polls are claimed by compare-and-set on next_poll_at with a lease, so several workers never
  poll one feed twice.
"""

from __future__ import annotations

import logging
import secrets
import threading
from collections.abc import Iterable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import close_old_connections, connections
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone

from hubbub.connections.models import Connection, Health
from hubbub.connections.services import (
    account_for,
    mark_needs_reconnect,
    mark_ok,
    mark_rate_limited,
    store_credentials,
)
from hubbub.core.dbclock import Now, db_now
from hubbub.networks.base import Connector, Page
from hubbub.networks.errors import (
    AuthExpired,
    ConnectorError,
    NotFound,
    RateLimited,
    Rejected,
    Revoked,
    Transient,
)
from hubbub.networks.registry import get_connector
from hubbub.timeline import live
from hubbub.timeline.ingest import ingest
from hubbub.timeline.models import Column, Feed

log = logging.getLogger(__name__)
LEASE = timedelta(minutes=2)  # a claimed poll not finished by then may be claimed again
GAP_PAGES = 4
OLDER_PAGES = 3  # load_older reads on while pages bring nothing new to the feed
FIRST_BACKOFF = 30.0
JITTER = 0.1
_random = secrets.SystemRandom()
# Set by mark_watched: the poll loop looks for due feeds at once instead of at its next tick.
_wake = threading.Event()


def active_seconds() -> float:
    return float(getattr(settings, "HUBBUB_POLL_ACTIVE_SECONDS", 5))


def idle_seconds() -> float:
    return float(getattr(settings, "HUBBUB_POLL_IDLE_SECONDS", 600))


def watch_window() -> timedelta:
    return timedelta(seconds=float(getattr(settings, "HUBBUB_POLL_WATCH_SECONDS", 120)))


def max_backoff() -> float:
    return float(getattr(settings, "HUBBUB_POLL_MAX_BACKOFF_SECONDS", 3600))


def _jitter(seconds: float) -> timedelta:
    return timedelta(seconds=seconds * _random.uniform(1 - JITTER, 1 + JITTER))


def is_watched(feed: Feed, now: datetime) -> bool:
    """Whether a deck showed the feed lately; `now` is the database's clock, as watched_at."""
    return feed.watched_at is not None and feed.watched_at >= now - watch_window()


def interval_for(feed: Feed, now: datetime) -> float:
    """Seconds to the next poll after a good one: the watched pace, stretched when the
    account's watched polled feeds together would spend more than its read budget."""
    if not (is_watched(feed, now) and not feed.streaming):
        return idle_seconds()
    return max(active_seconds(), budget_seconds(feed, now))


def budget_seconds(feed: Feed, now: datetime) -> float:
    """Seconds between polls of each of this account's watched, polled feeds for them all to
    stay within the network's read budget of an account and, where the network limits the
    hub's address as a whole (Bluesky), within its budget of every account together (0 where
    it has neither)."""
    network = Connection.objects.filter(pk=feed.connection_id).values_list(
        "network", flat=True).first()
    try:
        connector = get_connector(network) if network else None
    except KeyError:
        return 0.0
    budget = connector.poll_reads_per_minute if connector else None
    shared = connector.hub_poll_reads_per_minute if connector else None
    watched = Feed.objects.filter(
        streaming=False, watched_at__gte=now - watch_window(),
    ).filter(Exists(Column.feeds.through.objects.filter(feed_id=OuterRef("pk")))
             | Q(inbox_read__isnull=False))
    seconds = 0.0
    if budget:
        mine = watched.filter(connection_id=feed.connection_id).count()
        seconds = max(1, mine) * 60.0 / budget
    if shared:
        every = watched.filter(connection__network=network,
                               connection__disconnected_at__isnull=True).count()
        seconds = max(seconds, max(1, every) * 60.0 / shared)
    return seconds


# --- what the deck calls -----------------------------------------------------------------------


# mark_watched writes watched_at again only when it is older than this: a column page, an
# htmx scroll and the live stream's heartbeat each call it, and a GET that writes waits for
# SQLite's write lock behind the worker. Far below both watch windows (120 s, 600 s).
WATCHED_REFRESH = timedelta(seconds=15)


def mark_watched(feeds: Iterable[Feed | int]) -> None:
    """These feeds are on an open screen: poll them at the watched pace from now on, and soon
    if their next poll is further away than that (never sooner than a backoff allows).

    One read (no write lock) tells what is due; usually nothing is. watched_at is written
    when older than WATCHED_REFRESH, next_poll_at when further away than a watched poll
    (jitter included) — the feed's own last pace when the account's read budget stretched it
    (interval_for), so that reloading the page does not spend the budget faster."""
    ids = [f if isinstance(f, int) else f.pk for f in feeds]
    if not ids:
        return
    now = timezone.now()
    active, idle = active_seconds(), idle_seconds()
    far = now + timedelta(seconds=active * (1 + JITTER))
    stale: list[int] = []
    late: list[int] = []
    # watched_at is the database's clock (core/dbclock.py), read in the same query: the
    # worker that compares it (streaming.wanted_streams, interval_for) may run on a machine
    # whose clock is minutes off this one's. next_poll_at stays on the local clocks, as the
    # poll loop's claims do.
    rows = Feed.objects.filter(pk__in=ids).annotate(db_now=Now()).values_list(
        "pk", "watched_at", "next_poll_at", "last_error", "streaming", "poll_interval", "db_now")
    watched_now = now
    for pk, watched_at, next_poll_at, last_error, streaming, pace, db_time in rows:
        watched_now = db_time
        if watched_at is None or watched_at < db_time - WATCHED_REFRESH:
            stale.append(pk)
        watched_pace = pace if pace and active < pace < idle else active
        due_by = now + timedelta(seconds=watched_pace * (1 + JITTER))
        if not last_error and not streaming and (next_poll_at is None or next_poll_at > due_by):
            late.append(pk)
    if stale:
        # The database's time read above, as a Python value: stored as Django stores every
        # time (SQLite keeps text, and Now() would write another text for the same time).
        Feed.objects.filter(pk__in=stale).update(watched_at=watched_now)
    if not late:
        return
    # The same test in the UPDATE: a poll may have moved the row since the read.
    pulled = (
        Feed.objects.filter(pk__in=late, last_error="", streaming=False)
        .filter(Q(next_poll_at__isnull=True) | Q(next_poll_at__gt=far))
        .update(next_poll_at=now)
    )
    if pulled:
        _wake.set()


@dataclass(frozen=True)
class PollResult:
    new_in_feed: int = 0  # items newly in the feed
    pages: int = 0
    error: str = ""


def poll_feed(feed: Feed) -> PollResult:
    """Read the feed's newest items now (the caller has claimed it, or does not care), store
    them, and schedule the next poll. Never raises for a network failure: it is recorded."""
    connection = _connection(feed)
    now = timezone.now()
    first = feed.last_polled_at is None
    try:
        connector = get_connector(connection.network)
        page = fetch_page(connector, connection, feed.key, None)
        result = ingest(feed, page.items)
        new, pages, cursor = result.new_in_feed, 1, page.next_cursor
        if not first:
            while (result.known_in_feed == 0 and page.items and cursor
                   and pages < GAP_PAGES):
                page = fetch_page(connector, connection, feed.key, cursor)
                result = ingest(feed, page.items)
                new, pages, cursor = new + result.new_in_feed, pages + 1, page.next_cursor
    except (ConnectorError, NotImplementedError) as exc:
        return PollResult(error=_failed(feed, connection, exc, now))
    except Exception as exc:  # a connector bug must not stop the loop for every feed
        log.exception("polling %s failed", feed)
        return PollResult(error=_failed(feed, connection, exc, now))
    _polled(feed, connection, page, first=first)
    return PollResult(new_in_feed=new, pages=pages)


def keep_first_page(connection: Connection, key: str, page: Page) -> Feed:
    """A first page of the feed `key` read before any column showed it (the add-column dialog
    reads a list to learn that it exists): stored through ingest as the feed's first poll, so
    the new column shows it at once and the next poll comes at the watched pace, reading what
    is new since, instead of reading the same page again straight away. A feed polled before
    (another column shows it) only gets the page's items, deduplicated."""
    from hubbub.timeline.selectors import ensure_feed

    feed = ensure_feed(connection, key)
    ingest(feed, page.items)
    if feed.last_polled_at is None:
        # The person is about to see the column: its next read is at the watched pace (the
        # deck's mark_watched would otherwise pull an idle feed's poll to now).
        feed.watched_at = db_now()
        Feed.objects.filter(pk=feed.pk).update(watched_at=feed.watched_at)
        _polled(feed, connection, page, first=True)
    return feed


def _polled(feed: Feed, connection: Connection, page: Page, *, first: bool) -> None:
    """A good read of the feed, whose last page was `page`: schedule the next poll, and after
    the first one remember where older pages begin."""
    done = timezone.now()
    interval = interval_for(feed, db_now())  # watched_at is the database's clock
    changes: dict[str, Any] = {
        "last_polled_at": done, "last_error": "", "poll_interval": int(interval),
        "next_poll_at": done + _jitter(interval),
    }
    if first:
        changes["oldest_cursor"] = page.next_cursor or ""
        changes["exhausted"] = page.next_cursor is None
    Feed.objects.filter(pk=feed.pk).update(**changes)
    had_error = bool(feed.last_error)
    for name, value in changes.items():
        setattr(feed, name, value)
    if connection.health != Health.OK:
        mark_ok(connection)
    if first or had_error:
        live.publish_feed_state(connection.user_id, feed.pk, "ready")


def load_older(feed: Feed) -> int:
    """Fetch the next older page(s) of the feed from the network, for infinite scroll when the
    store has run out. Returns how many items it added to the feed (0 when the network has
    nothing older: `feed.exhausted` is then true). Raises the ConnectorError (its message is
    for people) after recording it on the feed."""
    if feed.last_polled_at is None and claim(feed):
        polled = poll_feed(feed)
        if polled.error:
            raise Transient(polled.error)
        return polled.new_in_feed
    added = 0
    connection = _connection(feed)
    connector = get_connector(connection.network)
    for _ in range(OLDER_PAGES):
        feed.refresh_from_db(fields=["oldest_cursor", "exhausted"])
        if feed.exhausted:
            break
        cursor = feed.oldest_cursor
        try:
            page = fetch_page(connector, connection, feed.key, cursor or None)
        except (ConnectorError, NotImplementedError) as exc:
            _failed(feed, connection, exc, timezone.now(), reschedule=False)
            if isinstance(exc, ConnectorError):
                raise
            raise Rejected(str(exc) or "This feed cannot be read") from exc
        result = ingest(feed, page.items)
        added += result.new_in_feed
        # Compare-and-set: two scrolls at once must not step the cursor back.
        Feed.objects.filter(pk=feed.pk, oldest_cursor=cursor).update(
            oldest_cursor=page.next_cursor or "", exhausted=page.next_cursor is None)
        if added:
            break
    feed.refresh_from_db(fields=["oldest_cursor", "exhausted"])
    return added


def load_older_column(column: Column) -> int:
    """load_older for every feed of the column that has more on the network. Call it when a
    column page came back short: then every feed of the column has run out in the store."""
    from hubbub.timeline.selectors import column_feeds

    added = 0
    errors: list[ConnectorError] = []
    for feed in column_feeds(column):
        if feed.exhausted:
            continue
        try:
            added += load_older(feed)
        except ConnectorError as exc:
            errors.append(exc)
    if errors and not added:
        raise errors[0]
    return added


def poll_now(feed: Feed) -> PollResult:
    """Poll at once if no one else is polling it (a "refresh" button)."""
    return poll_feed(feed) if claim(feed) else PollResult()


# --- network -----------------------------------------------------------------------------------


def fetch_page(connector: Connector, connection: Connection, key: str,
               cursor: str | None) -> Page:
    """connector.fetch, refreshing expired credentials once."""
    try:
        return connector.fetch(account_for(connection), key, cursor)
    except AuthExpired:
        if not refresh_credentials(connector, connection):
            raise
        return connector.fetch(account_for(connection), key, cursor)


def refresh_credentials(connector: Connector, connection: Connection) -> bool:
    """After AuthExpired: new credentials from the network, saved; False when there are none."""
    try:
        fresh = connector.refresh_credentials(account_for(connection))
    except ConnectorError as exc:
        log.info("refresh failed for %s: %s", connection, exc)
        return False
    if fresh is None:
        return False
    store_credentials(connection, fresh)
    return True


def _connection(feed: Feed) -> Connection:
    if not Feed.connection.is_cached(feed):
        feed.connection = Connection.objects.get(pk=feed.connection_id)
    return feed.connection


def _failed(feed: Feed, connection: Connection, exc: BaseException, now: datetime, *,
            reschedule: bool = True) -> str:
    """Record a failed read and decide when to try again. Returns the message."""
    message = (getattr(exc, "message", "") or str(exc) or type(exc).__name__)[:500]
    changes: dict[str, Any] = {"last_error": message}
    if isinstance(exc, RateLimited):
        mark_rate_limited(connection, exc.retry_at, message)
        wait = max((exc.retry_at - now).total_seconds(), interval_for(feed, db_now()))
        changes["next_poll_at"] = now + timedelta(seconds=wait)
    elif isinstance(exc, Revoked | AuthExpired):
        mark_needs_reconnect(connection, message)
        changes["next_poll_at"] = now + timedelta(seconds=max_backoff())
    elif isinstance(exc, Rejected | NotFound | NotImplementedError):
        # Asking again the same way will not help soon (a feed this network cannot read, a
        # list that was deleted): try again rarely.
        changes["next_poll_at"] = now + timedelta(seconds=max_backoff())
    elif reschedule:
        backoff = min(max_backoff(), feed.poll_interval * 2 if feed.last_error else FIRST_BACKOFF)
        backoff = max(backoff, FIRST_BACKOFF)
        retry_at = getattr(exc, "retry_at", None)
        due = now + _jitter(backoff)
        if isinstance(retry_at, datetime) and retry_at > due:
            due = retry_at
        changes["poll_interval"] = int(backoff)
        changes["next_poll_at"] = due
    if not reschedule:
        changes.pop("next_poll_at", None)
        if isinstance(exc, RateLimited):
            changes["next_poll_at"] = exc.retry_at
    Feed.objects.filter(pk=feed.pk).update(**changes)
    changed = feed.last_error != message
    for name, value in changes.items():
        setattr(feed, name, value)
    if changed:
        log.info("reading %s failed: %s", feed, message)
        live.publish_feed_state(connection.user_id, feed.pk, f"error: {message}")
    return message


# --- the loop ----------------------------------------------------------------------------------


def due_feeds(now: datetime | None = None, limit: int = 50) -> list[Feed]:
    """Feeds due for a poll, most overdue first."""
    now = now or timezone.now()
    shown = Column.feeds.through.objects.filter(feed_id=OuterRef("pk"))
    return list(
        Feed.objects.filter(next_poll_at__lte=now, connection__disconnected_at__isnull=True)
        .exclude(connection__health=Health.NEEDS_RECONNECT)
        .exclude(connection__health=Health.RATE_LIMITED,
                 connection__rate_limited_until__gt=now)
        .filter(Exists(shown) | Q(inbox_read__isnull=False))  # the inbox's too
        .select_related("connection")
        .order_by("next_poll_at")[:limit]
    )


def claim(feed: Feed) -> bool:
    """Take the feed's next poll (compare-and-set on next_poll_at, leased)."""
    lease_until = timezone.now() + LEASE
    won = Feed.objects.filter(pk=feed.pk, next_poll_at=feed.next_poll_at).update(
        next_poll_at=lease_until)
    if won:
        feed.next_poll_at = lease_until
    return bool(won)


def claim_due(limit: int) -> list[Feed]:
    claimed: list[Feed] = []
    for feed in due_feeds(limit=limit * 2):
        if len(claimed) >= limit:
            break
        if claim(feed):
            claimed.append(feed)
    return claimed


def _poll_job(feed: Feed) -> None:
    close_old_connections()
    try:
        poll_feed(feed)
    except Exception:
        log.exception("poll of %s crashed", feed)
    finally:
        # Pool threads outlive nothing that would close their connection: close it per poll
        # (polls are seconds apart; an open costs a millisecond).
        connections.close_all()


def _free(_job: Future[None]) -> None:
    _wake.set()


class PollLoop:
    """Claims due feeds every tick (or at once after mark_watched, or when a poll ends and its
    thread is free) and polls them on a few threads, so one slow server does not hold up the
    others."""

    def __init__(self, stop: threading.Event, *, threads: int | None = None,
                 tick: float = 1.0) -> None:
        self.stop = stop
        self.threads = threads or int(getattr(settings, "HUBBUB_POLL_THREADS", 4))
        self.tick = tick

    def run(self) -> None:
        pool = ThreadPoolExecutor(self.threads, thread_name_prefix="hubbub-poll")
        running: set[Future[None]] = set()
        try:
            while not self.stop.is_set():
                running = {f for f in running if not f.done()}
                free = self.threads - len(running)
                if free > 0:
                    try:
                        close_old_connections()
                        for feed in claim_due(free):
                            job = pool.submit(_poll_job, feed)
                            # A thread that comes free claims the next due feed at once: at
                            # one claim round a tick, a worker read at most HUBBUB_POLL_THREADS
                            # feeds a second (4), fewer than 2,000 accounts' idle feeds need
                            # (bench/reading.py).
                            job.add_done_callback(_free)
                            running.add(job)
                    except Exception:
                        log.exception("looking for due feeds failed; trying again")
                _wake.wait(self.tick)
                _wake.clear()
        finally:
            pool.shutdown(wait=False, cancel_futures=True)
            connections.close_all()


def run_poll_loop(stop: threading.Event) -> None:
    PollLoop(stop).run()
