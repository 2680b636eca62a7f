"""One stream per connection across reading processes: a lease in the database.

Every process that runs a stream supervisor (`hubbub serve`, each `hubbub worker`) is a reader.
A connection is streamed only by the reader holding its `StreamLease`:

- A lease is taken by compare-and-set: a row is free when its `expires_at` has passed (or it
  was released); the UPDATE that takes it says so again in its WHERE, so of two readers that
  saw it free one wins. On PostgreSQL the rows to take are picked with SKIP LOCKED, so two
  readers taking at once do not queue behind each other.
- The holder renews its leases every third of the lease period (HUBBUB_STREAM_LEASE_SECONDS,
  30 s), in one UPDATE, and in the same round says it is alive (`StreamReader.beat_at`). A
  reader that dies (SIGKILL, a lost machine) stops renewing: its leases are free at most one
  period after its last renewal, and another reader takes them at its next check (2 s).
- Leases are spread: a reader takes no more than its share, the wanted connections divided
  by the readers alive (rounded up), and releases what it holds above that share (a reader
  that starts takes half from the one already running). Sum of shares >= wanted, so every
  wanted connection finds a reader.
- A reader that finds one of its leases taken by another (it stalled past the period) stops
  that stream at its next renewal: two streams of a connection live at most that long, and
  their items are deduplicated at ingest anyway.
- A reader that stops cleanly releases its leases and its reader row at once.

With one process (SQLite, `hubbub serve`) the reader is alone: its share is every wanted
connection, and the lease rows cost a write per new stream and one a renewal round.
"""

from __future__ import annotations

import contextlib
import math
import os
import secrets
import socket
from collections.abc import Collection
from datetime import datetime, timedelta

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone

from hubbub.core.env import env_float
from hubbub.timeline.models import Feed, StreamLease, StreamReader

_random = secrets.SystemRandom()


def lease_period() -> timedelta:
    configured = getattr(settings, "HUBBUB_STREAM_LEASE_SECONDS", None)
    seconds = (float(configured) if configured is not None
               else env_float("HUBBUB_STREAM_LEASE_SECONDS", 30.0))
    return timedelta(seconds=max(1.0, seconds))


def new_reader_id() -> str:
    """Host, process id and a random part: unique, and tells people (and tests) which process
    holds a lease."""
    return f"{socket.gethostname()[:40]}:{os.getpid()}:{secrets.token_hex(4)}"


class Leases:
    """One reader's leases. Not thread-safe: the stream supervisor's thread calls it."""

    def __init__(self, owner: str | None = None) -> None:
        self.owner = owner or new_reader_id()
        self.period = lease_period()
        self.readers = 1  # readers alive at the last renewal, this one included
        self._renewed: datetime | None = None

    # --- the renewal round -------------------------------------------------------------------

    def due(self, now: datetime) -> bool:
        return self._renewed is None or now - self._renewed >= self.period / 3

    def renew(self, now: datetime) -> set[int]:
        """Say this reader is alive, extend every lease it holds, count the readers alive and
        clear the `streaming` flags no live lease stands behind (a killed reader's). Returns
        the connections whose lease this reader holds."""
        until = now + self.period
        if not StreamReader.objects.filter(owner=self.owner).update(beat_at=now):
            try:
                with transaction.atomic():
                    StreamReader.objects.create(owner=self.owner, beat_at=now)
            except IntegrityError:
                StreamReader.objects.filter(owner=self.owner).update(beat_at=now)
        StreamLease.objects.filter(owner=self.owner).update(expires_at=until)
        self._free_the_dead_here(now)
        self.count_readers(now)
        StreamReader.objects.filter(beat_at__lte=now - 2 * self.period).delete()
        live = StreamLease.objects.filter(connection_id=OuterRef("connection_id"),
                                          expires_at__gt=now).exclude(owner="")
        Feed.objects.filter(streaming=True).filter(~Exists(live)).update(streaming=False)
        self._renewed = now
        return self.held()

    def _free_the_dead_here(self, now: datetime) -> None:
        """Leases of a reader on this machine whose process is gone (killed, or the hub
        restarted) are free at once rather than at their expiry."""
        others = (StreamLease.objects.filter(expires_at__gt=now)
                  .exclude(owner__in=["", self.owner]).values_list("owner", flat=True)
                  .distinct())
        for owner in list(others):
            if _gone_from_here(owner):
                StreamLease.objects.filter(owner=owner).update(owner="")
                StreamReader.objects.filter(owner=owner).delete()

    def count_readers(self, now: datetime) -> int:
        """Readers alive now, this one included (one that stopped cleanly is gone at once)."""
        alive = StreamReader.objects.filter(beat_at__gt=now - self.period)
        self.readers = max(1, alive.count())
        return self.readers

    def held(self) -> set[int]:
        return set(StreamLease.objects.filter(owner=self.owner).values_list(
            "connection_id", flat=True))

    # --- taking and giving back --------------------------------------------------------------

    def share(self, wanted: int) -> int:
        return math.ceil(wanted / max(1, self.readers))

    def take(self, candidates: Collection[int], limit: int, now: datetime) -> set[int]:
        """Take up to `limit` of these connections' leases where they are free. Returns the
        ones taken."""
        if limit <= 0 or not candidates:
            return set()
        order = list(candidates)
        have = set(StreamLease.objects.filter(connection_id__in=order).values_list(
            "connection_id", flat=True))
        if len(have) < len(order):
            # A connection deleted meanwhile fails its foreign key: the rest come next round.
            with contextlib.suppress(IntegrityError):
                StreamLease.objects.bulk_create(
                    [StreamLease(connection_id=cid, owner="", expires_at=now)
                     for cid in order if cid not in have], ignore_conflicts=True)
        if connection.features.has_select_for_update_skip_locked:
            with transaction.atomic():  # the rows picked stay locked until they are taken
                picked = self._take(order, limit, now, lock=True)
        else:
            picked = self._take(order, limit, now, lock=False)
        if not picked:
            return set()
        return set(StreamLease.objects.filter(owner=self.owner, connection_id__in=picked)
                   .values_list("connection_id", flat=True))

    def _take(self, order: list[int], limit: int, now: datetime, *, lock: bool) -> list[int]:
        free = Q(expires_at__lte=now) | Q(owner="")
        rows = StreamLease.objects.filter(free, connection_id__in=order)
        if lock:
            rows = rows.select_for_update(skip_locked=True)
        picked = list(rows.values_list("connection_id", flat=True))
        _random.shuffle(picked)  # two readers taking at once mostly ask for different rows
        picked = picked[:limit]
        if picked:
            # Compare-and-set: the WHERE says "free" again (SQLite has no row locks).
            StreamLease.objects.filter(free, connection_id__in=picked).update(
                owner=self.owner, expires_at=now + self.period)
        return picked

    def release(self, connection_ids: Collection[int]) -> None:
        """Give these leases back (free at once for another reader)."""
        if connection_ids:
            StreamLease.objects.filter(owner=self.owner, connection_id__in=list(
                connection_ids)).update(owner="")

    def holds(self, connection_id: int, now: datetime | None = None) -> bool:
        """Whether no other reader holds this connection's lease (a runner asks before it
        clears the streaming flags: they may be the new holder's by then)."""
        now = now or timezone.now()
        return not StreamLease.objects.filter(
            connection_id=connection_id, expires_at__gt=now).exclude(
            owner__in=["", self.owner]).exists()

    def close(self) -> None:
        """This reader stops: its leases are free and it no longer counts as alive."""
        StreamLease.objects.filter(owner=self.owner).update(owner="")
        StreamReader.objects.filter(owner=self.owner).delete()


def _gone_from_here(owner: str) -> bool:
    """Whether `owner` names a process of this machine that no longer runs. A reused process
    id reads as alive: its leases then wait for their expiry, as another machine's do."""
    host, _, rest = owner.partition(":")
    pid_text = rest.partition(":")[0]
    if host != socket.gethostname()[:40] or not pid_text.isdigit():
        return False
    try:
        os.kill(int(pid_text), 0)
    except ProcessLookupError:
        return True
    except OSError:
        return False  # it runs, as someone else
    return False
