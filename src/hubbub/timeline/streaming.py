"""Live streams for networks that push (Mastodon streaming, Nostr subscriptions).

The supervisor keeps one stream per connection whose streamable feeds someone watches
(`Feed.watched_at` within HUBBUB_STREAM_WATCH_SECONDS), each in its own thread:

- A stream opens with `connector.stream(account, feed keys)`; every item it yields names its
  feed in `extra["feed"]` and is ingested at once (so it is on screen within a second). A
  DELETED marker (a Mastodon `delete`, a Nostr deletion request) removes that item of this
  connection instead (services.remove_deleted), and open decks drop it.
- While it waits for the next item the thread holds no database connection (one a stream
  ran PostgreSQL out of connections long before 2,000 streams).
- Once connected (after `wait_ready`, when the stream has one) its feeds are marked
  `streaming` (polling slows to a safety net) and polled once at once, which fills whatever
  was said while no stream was open.
- A broken stream reconnects with backoff (1 s doubling to 60 s, with jitter); RateLimited
  waits for its time; Revoked marks the connection for reconnecting and stops; a feed set the
  network refuses to stream is left to polling for a while.
- When a watched feed is added the stream restarts with it; feeds no longer watched are
  dropped only at the next restart (streams are cheap; restarts lose a moment).

With several reading processes (`hubbub worker`s on PostgreSQL) each connection is streamed by
one of them at a time: the one holding its lease (timeline/leases.py), spread evenly; a dead
process's streams come back on another within a lease period.
"""

from __future__ import annotations

import logging
import secrets
import threading
import time
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import OperationalError, close_old_connections, connections
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone

from hubbub.connections.models import Connection, Health
from hubbub.connections.services import account_for, mark_needs_reconnect, mark_rate_limited
from hubbub.core.dbclock import ago
from hubbub.networks.base import DELETED, Connector, Item
from hubbub.networks.errors import (
    AuthExpired,
    ConnectorError,
    NotFound,
    RateLimited,
    Rejected,
    Revoked,
)
from hubbub.networks.registry import UnknownNetwork, get_connector
from hubbub.timeline import polling
from hubbub.timeline.ingest import ingest
from hubbub.timeline.leases import Leases
from hubbub.timeline.models import Column, Feed
from hubbub.timeline.services import remove_deleted

log = logging.getLogger(__name__)
MAX_BACKOFF = 60.0
READY_TIMEOUT = 10.0
REFUSED_FOR = timedelta(minutes=30)  # a connection whose feeds cannot be streamed: poll only
_random = secrets.SystemRandom()


def watch_window() -> timedelta:
    return timedelta(seconds=float(getattr(settings, "HUBBUB_STREAM_WATCH_SECONDS", 600)))


def wanted_streams(now: datetime | None = None) -> dict[int, frozenset[str]]:
    """connection id -> the feed keys to stream: watched lately, shown in a column, of a live
    connection, and streamable by its connector.

    "Lately" is by the database's clock (core/dbclock.py), the one `mark_watched` writes
    `watched_at` with: the web process that marks a deck open and the worker that streams
    it may run on machines whose clocks differ by more than the window. `now` (tests) is a
    time on that clock."""
    since = ago(watch_window()) if now is None else now - watch_window()
    shown = Column.feeds.through.objects.filter(feed_id=OuterRef("pk"))
    feeds = (
        Feed.objects.filter(watched_at__gte=since,
                            connection__disconnected_at__isnull=True)
        .exclude(connection__health=Health.NEEDS_RECONNECT)
        .filter(Exists(shown) | Q(inbox_read__isnull=False))  # the inbox's too
        .select_related("connection")
    )
    wanted: dict[int, set[str]] = {}
    for feed in feeds:
        try:
            connector = get_connector(feed.connection.network)
        except (UnknownNetwork, ImportError):
            continue
        if connector.can_stream(feed.key):
            wanted.setdefault(feed.connection_id, set()).add(feed.key)
    return {cid: frozenset(keys) for cid, keys in wanted.items()}


class StreamRunner(threading.Thread):
    """One connection's stream, reconnecting until closed."""

    def __init__(self, connection_id: int, keys: frozenset[str],
                 leases: Leases | None = None) -> None:
        super().__init__(name=f"hubbub-stream-{connection_id}", daemon=True)
        self.connection_id = connection_id
        self.keys = keys
        self.leases = leases
        self.refused_until: datetime | None = None  # set when it gave up
        self.connected = threading.Event()  # set while a stream is open and ready
        self._closed = threading.Event()
        self._stream: Iterator[Item] | None = None
        self._lock = threading.Lock()

    def close(self) -> None:
        self._closed.set()
        with self._lock:
            stream = self._stream
        _close(stream)

    def run(self) -> None:
        failures = 0
        try:
            while not self._closed.is_set():
                close_old_connections()
                try:
                    if self._stream_once():
                        failures = 0
                    if self._closed.is_set():
                        break
                    failures += 1
                    delay = min(MAX_BACKOFF, 2.0 ** (failures - 1))
                except RateLimited as exc:
                    connection = Connection.objects.get(pk=self.connection_id)
                    mark_rate_limited(connection, exc.retry_at, exc.message)
                    delay = max(1.0, (exc.retry_at - timezone.now()).total_seconds())
                except (Revoked, AuthExpired) as exc:
                    connection = Connection.objects.get(pk=self.connection_id)
                    mark_needs_reconnect(connection, exc.message)
                    self.refused_until = timezone.now() + REFUSED_FOR
                    return
                except (Rejected, NotFound, NotImplementedError) as exc:
                    log.info("connection %s cannot stream %s: %s", self.connection_id,
                             sorted(self.keys), exc)
                    self.refused_until = timezone.now() + REFUSED_FOR
                    return
                except Connection.DoesNotExist:
                    return
                except Exception as exc:
                    failures += 1
                    delay = min(MAX_BACKOFF, 2.0 ** (failures - 1))
                    if isinstance(exc, ConnectorError):
                        log.info("stream of connection %s broke: %s; again in %.0f s",
                                 self.connection_id, exc.message, delay)
                    else:
                        log.exception("stream of connection %s crashed", self.connection_id)
                self._closed.wait(delay * _random.uniform(0.8, 1.2))
        finally:
            connections.close_all()  # this thread's connection: it ends with the thread

    def _stream_once(self) -> bool:
        """Open the stream and ingest from it until it ends or breaks. True when it was
        connected (so the next failure starts the backoff again)."""
        connection = Connection.objects.get(pk=self.connection_id)
        if connection.disconnected_at is not None:
            self._closed.set()
            return False
        connector = get_connector(connection.network)
        feeds = {
            f.key: f for f in Feed.objects.filter(connection=connection, key__in=self.keys)
            .select_related("connection")
        }
        stream = self._open(connector, connection)
        ready = False
        try:
            ready = _wait_ready(stream)
            if self._closed.is_set():
                return ready
            Feed.objects.filter(pk__in=[f.pk for f in feeds.values()]).update(streaming=True)
            self.connected.set()
            self._fill_gap(list(feeds.values()))
            only = next(iter(feeds.values())) if len(feeds) == 1 else None
            for item in _released(stream):
                if item.kind == DELETED:
                    ready = True
                    _remove_retrying(connection, item)
                    continue
                key = item.extra.get("feed") if isinstance(item.extra, dict) else None
                feed = feeds.get(key) if isinstance(key, str) else only
                if feed is None:
                    continue
                ready = True
                _ingest_retrying(feed, item)
            return ready
        finally:
            self.connected.clear()
            with self._lock:
                self._stream = None
            _close(stream)
            if self.leases is None or self.leases.holds(self.connection_id):
                # Not when another reader holds the lease now: the flags are its stream's.
                Feed.objects.filter(pk__in=[f.pk for f in feeds.values()]).update(
                    streaming=False)

    def _open(self, connector: Connector, connection: Connection) -> Iterator[Item]:
        keys = sorted(self.keys)
        try:
            stream = connector.stream(account_for(connection), keys)
        except AuthExpired:
            if not polling.refresh_credentials(connector, connection):
                raise
            stream = connector.stream(account_for(connection), keys)
        with self._lock:
            self._stream = stream
        if self._closed.is_set():
            _close(stream)
        return stream

    def _fill_gap(self, feeds: list[Feed]) -> None:
        """Poll the streamed feeds now: what was said before the stream opened."""
        now = timezone.now()
        pulled = Feed.objects.filter(pk__in=[f.pk for f in feeds], last_error="").update(
            next_poll_at=now)
        if pulled:
            polling._wake.set()


def _released(stream: Iterator[Item]) -> Iterator[Item]:
    """The stream's items, this thread's database connection closed before each wait for the
    next one. A stream waits nearly all of its life; holding a connection through the waits
    made one database connection per open stream (bench/reading.py: 10 streams, 23
    connections against 13), and PostgreSQL's default max_connections of 100 then caps a
    hub at fewer than 90 open streams. Opening one again for an item costs a millisecond or
    two; the streamed items of one account come seconds apart."""
    while True:
        connections.close_all()
        try:
            item = next(stream)
        except StopIteration:
            return
        yield item


def _ingest_retrying(feed: Feed, item: Item, attempts: int = 4) -> None:
    """A streamed item is ingested once: a busy database is waited for a little (the gap-fill
    poll after a reconnect would find the item again, but only on the next reconnect)."""
    for attempt in range(attempts):
        try:
            ingest(feed, [item])
            return
        except OperationalError:
            if attempt == attempts - 1:
                raise
            time.sleep(0.1 * 3**attempt)


def _remove_retrying(connection: Connection, marker: Item, attempts: int = 4) -> None:
    """A deletion the stream reported: remove the item (waiting a little for a busy database,
    as for ingest)."""
    for attempt in range(attempts):
        try:
            remove_deleted(connection, marker.remote_id, by=marker.author_handle)
            return
        except OperationalError:
            if attempt == attempts - 1:
                raise
            time.sleep(0.1 * 3**attempt)


def _wait_ready(stream: Iterator[Item]) -> bool:
    wait = getattr(stream, "wait_ready", None)
    if wait is None:
        return False
    try:
        return bool(wait(READY_TIMEOUT))
    except Exception:
        return False


def _close(stream: Any) -> None:
    close = getattr(stream, "close", None)
    if close is None:
        return
    try:
        close()
    except Exception:
        log.debug("closing a stream failed", exc_info=True)


class StreamSupervisor:
    """Starts, restarts and stops StreamRunners to match what is watched, for the connections
    whose lease this process holds (timeline/leases.py)."""

    def __init__(self, stop: threading.Event, *, check_every: float = 2.0,
                 owner: str | None = None,
                 clock: Callable[[], datetime] = timezone.now) -> None:
        self.stop = stop
        self.check_every = check_every
        self.clock = clock  # this machine's; the leases go by the database's (leases.py)
        self.runners: dict[int, StreamRunner] = {}
        self.refused: dict[int, datetime] = {}
        self.leases = Leases(owner, clock=clock)
        self.held: set[int] = set()  # connections whose lease this process holds

    def reconcile(self) -> None:
        now = self.clock()  # for this process's own refusals (StreamRunner.refused_until)
        wanted = wanted_streams()  # watched by the database's clock, as leases are
        if self.leases.due():
            self.held = self.leases.renew()
            for cid in [cid for cid in self.runners if cid not in self.held]:
                self.runners.pop(cid).close()  # another process took it: it streams now
        else:
            self.leases.count_readers()
        for cid, runner in list(self.runners.items()):
            keys = wanted.get(cid)
            if not runner.is_alive():
                if runner.refused_until is not None:
                    self.refused[cid] = runner.refused_until
                del self.runners[cid]
            elif keys is None or not keys <= runner.keys:
                # Nobody watches it any more, or a feed was added: stop (and restart below).
                runner.close()
                del self.runners[cid]
        unwanted = {cid for cid in self.held if cid not in wanted}
        share = self.leases.share(len(wanted))
        over = len(self.held) - len(unwanted) - share
        if over > 0:
            # Another process started reading: give it its part (idle leases first).
            busy = sorted(self.held - unwanted, key=lambda cid: cid in self.runners)
            unwanted |= set(busy[:over])
        if unwanted:
            for cid in unwanted:
                if cid in self.runners:
                    self.runners.pop(cid).close()
                self.refused.pop(cid, None)
            self.leases.release(unwanted)
            self.held -= unwanted
        elif over < 0:
            self.held |= self.leases.take([cid for cid in wanted if cid not in self.held],
                                          -over)
        for cid in sorted(self.held):
            if cid in self.runners:
                continue
            refused = self.refused.get(cid)
            if refused is not None and refused > now:
                continue
            self.refused.pop(cid, None)
            runner = StreamRunner(cid, wanted[cid], self.leases)
            self.runners[cid] = runner
            runner.start()

    def run(self) -> None:
        try:
            while not self.stop.is_set():
                try:
                    close_old_connections()
                    self.reconcile()
                except Exception:
                    log.exception("stream supervisor check failed; trying again")
                finally:
                    connections.close_all()  # nothing to hold between checks (2 s apart)
                self.stop.wait(self.check_every)
        finally:
            self.close_all()
            try:
                self.leases.close()  # another process may take them at once
            except Exception:
                log.exception("giving the stream leases back failed; they expire")
            connections.close_all()

    def close_all(self, timeout: float = 5.0) -> None:
        runners = list(self.runners.values())
        self.runners.clear()
        for runner in runners:
            runner.close()
        deadline = time.monotonic() + timeout
        for runner in runners:
            runner.join(max(0.0, deadline - time.monotonic()))


def run_stream_supervisor(stop: threading.Event) -> None:
    StreamSupervisor(stop).run()
