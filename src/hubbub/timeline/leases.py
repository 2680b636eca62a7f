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
- Every time written in, or compared with, a lease or a beat is the database's clock, read at
  the start of each step (`db_now`, core/dbclock.py), never the reader's own: readers on
  machines whose clocks differ agree on which lease is live and which reader is alive. (On
  SQLite the database's clock is its file's machine's, which is every reader's.) The local
  clock only paces the renewals (monotonic) and is compared with the database's to warn of a skew.
- Leases are spread: a reader takes no more than its share, the wanted connections divided
  by the readers alive (rounded up), and releases what it holds above that share (a reader
  that starts takes half from the one already running). Sum of shares >= wanted, so every
  wanted connection finds a reader.
- A reader that finds one of its leases taken by another (it stalled past the period) stops
  that stream at its next renewal: two streams of a connection live at most that long, and
  their items are deduplicated at ingest anyway.
- A reader that stops cleanly releases its leases and its reader row at once.
- A reader that died on this machine (a restart, a SIGKILL) has its leases freed at the next
  renewal round of a reader of the same machine and PID namespace, without waiting for their
  expiry. The owner string says where its process ran: `host:pid:token:place`, the place
  being a digest of the kernel's boot id and the PID namespace (`this_place`). Only an owner
  whose place is ours and whose PID no longer runs is freed early; a hostname proves nothing
  (containers share one without sharing PIDs). An owner without a place (written before, or by
  a process that could not read /proc) waits for its expiry, and so does every owner when we
  cannot tell our own place.

With one process (SQLite, `hubbub serve`) the reader is alone: its share is every wanted
connection, and the lease rows cost a write per new stream and one a renewal round.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import math
import os
import secrets
import socket
import time
from collections.abc import Callable, Collection
from datetime import datetime, timedelta
from pathlib import Path

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone

from hubbub.core.dbclock import db_now
from hubbub.core.env import env_float
from hubbub.timeline.models import Feed, StreamLease, StreamReader

log = logging.getLogger(__name__)
_random = secrets.SystemRandom()

SKEW_WARNING = timedelta(seconds=5)  # a local clock this far off the database's is logged
BOOT_ID = Path("/proc/sys/kernel/random/boot_id")
PID_NAMESPACE = Path("/proc/self/ns/pid")
PROC_SELF = Path("/proc/self")


def lease_period() -> timedelta:
    configured = getattr(settings, "HUBBUB_STREAM_LEASE_SECONDS", None)
    seconds = (float(configured) if configured is not None
               else env_float("HUBBUB_STREAM_LEASE_SECONDS", 30.0))
    return timedelta(seconds=max(1.0, seconds))


def this_place(boot_id: Path = BOOT_ID, pid_namespace: Path = PID_NAMESPACE,
               proc_self: Path = PROC_SELF) -> str | None:
    """Which kernel boot and PID namespace this process runs in, as 16 hex digits; None when
    that cannot be told (no /proc, or a /proc that is not our PID namespace's): then no
    reader's leases are freed early by this one, they wait for their expiry.

    Two processes with the same place see the same PIDs, so one can tell whether the other
    still runs. The boot id is random at each boot of each machine (a container shares its
    host's); the namespace's device and inode tell PID namespaces of one boot apart. Not
    /etc/machine-id: images and clones share it, and every machine's first PID namespace has
    the same inode."""
    try:
        boot = boot_id.read_text().strip()
        if os.readlink(proc_self) != str(os.getpid()):
            return None  # this /proc is another PID namespace's
        ns = os.stat(pid_namespace)
    except (OSError, ValueError):
        return None
    if not boot:
        return None
    mark = f"{boot}/{ns.st_dev}/{ns.st_ino}".encode()
    return hashlib.sha256(mark).hexdigest()[:16]


def new_reader_id(place: str | None = None) -> str:
    """Host, process id, a random part and, when known, this process's place: unique, tells
    people (and tests) which process holds a lease, and lets a reader of the same place free
    it early once that process is gone. At most 74 characters. `place` is `this_place()`
    unless given; "" says it cannot be told (the id then has none)."""
    place = this_place() if place is None else place
    owner = f"{socket.gethostname()[:40]}:{os.getpid()}:{secrets.token_hex(4)}"
    return f"{owner}:{place}" if place else owner


class Leases:
    """One reader's leases. Not thread-safe: the stream supervisor's thread calls it.

    `clock` is this machine's wall clock (injectable for tests): only compared with the
    database's, to warn of a skew, never used for a lease's times. `place` is this process's
    (`this_place()` unless given; "" as when it cannot be told: nothing is freed early)."""

    def __init__(self, owner: str | None = None, *,
                 clock: Callable[[], datetime] = timezone.now,
                 place: str | None = None) -> None:
        self.place = this_place() if place is None else (place or None)
        self.owner = owner or new_reader_id(self.place or "")
        self.clock = clock
        self.period = lease_period()
        self.readers = 1  # readers alive at the last renewal, this one included
        self.skew = timedelta(0)  # local clock minus the database's, at the last renewal
        self._renewed: float | None = None  # time.monotonic() of the last renewal

    # --- the renewal round -------------------------------------------------------------------

    def due(self) -> bool:
        """Whether a renewal is due: a third of the period since the last, on a monotonic
        clock (a wall clock set back must not hold the renewals back)."""
        return (self._renewed is None
                or time.monotonic() - self._renewed >= self.period.total_seconds() / 3)

    def renew(self) -> set[int]:
        """Say this reader is alive, extend every lease it holds, count the readers alive and
        clear the `streaming` flags no live lease stands behind (a killed reader's). Returns
        the connections whose lease this reader holds."""
        started = time.monotonic()
        now = db_now()
        self._check_skew(now)
        until = now + self.period
        if not StreamReader.objects.filter(owner=self.owner).update(beat_at=now):
            try:
                with transaction.atomic():
                    StreamReader.objects.create(owner=self.owner, beat_at=now)
            except IntegrityError:
                StreamReader.objects.filter(owner=self.owner).update(beat_at=now)
        StreamLease.objects.filter(owner=self.owner).update(expires_at=until)
        self._free_the_dead_here(now)
        self._count_readers(now)
        StreamReader.objects.filter(beat_at__lte=now - 2 * self.period).delete()
        live = StreamLease.objects.filter(connection_id=OuterRef("connection_id"),
                                          expires_at__gt=now).exclude(owner="")
        Feed.objects.filter(streaming=True).filter(~Exists(live)).update(streaming=False)
        self._renewed = started
        return self.held()

    def _check_skew(self, now: datetime) -> None:
        skew = self.clock() - now
        if abs(skew) > SKEW_WARNING and abs(self.skew) <= SKEW_WARNING:
            log.warning("this machine's clock is %.1f s off the database's; stream leases "
                        "go by the database's, but keep the clocks in sync (NTP)",
                        skew.total_seconds())
        self.skew = skew

    def _free_the_dead_here(self, now: datetime) -> None:
        """Leases of a reader of this machine and PID namespace whose process is gone (killed,
        or the hub restarted) are free at once rather than at their expiry."""
        if self.place is None:
            return
        others = (StreamLease.objects.filter(expires_at__gt=now)
                  .exclude(owner__in=["", self.owner]).values_list("owner", flat=True)
                  .distinct())
        for owner in list(others):
            if _gone_from_here(owner, self.place):
                StreamLease.objects.filter(owner=owner).update(owner="")
                StreamReader.objects.filter(owner=owner).delete()

    def count_readers(self) -> int:
        """Readers alive now, this one included (one that stopped cleanly is gone at once)."""
        return self._count_readers(db_now())

    def _count_readers(self, now: datetime) -> int:
        alive = StreamReader.objects.filter(beat_at__gt=now - self.period)
        self.readers = max(1, alive.count())
        return self.readers

    def held(self) -> set[int]:
        return set(StreamLease.objects.filter(owner=self.owner).values_list(
            "connection_id", flat=True))

    # --- taking and giving back --------------------------------------------------------------

    def share(self, wanted: int) -> int:
        return math.ceil(wanted / max(1, self.readers))

    def take(self, candidates: Collection[int], limit: int) -> set[int]:
        """Take up to `limit` of these connections' leases where they are free. Returns the
        ones taken."""
        if limit <= 0 or not candidates:
            return set()
        order = list(candidates)
        now = db_now()
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

    def holds(self, connection_id: int) -> bool:
        """Whether no other reader holds this connection's lease (a runner asks before it
        clears the streaming flags: they may be the new holder's by then)."""
        return not StreamLease.objects.filter(
            connection_id=connection_id, expires_at__gt=db_now()).exclude(
            owner__in=["", self.owner]).exists()

    def close(self) -> None:
        """This reader stops: its leases are free and it no longer counts as alive."""
        StreamLease.objects.filter(owner=self.owner).update(owner="")
        StreamReader.objects.filter(owner=self.owner).delete()


def _gone_from_here(owner: str, place: str) -> bool:
    """Whether `owner` names a process of this place (machine boot and PID namespace) that no
    longer runs. Any other owner (another place, no place, not our format) may be alive where
    we cannot see it: its leases wait for their expiry. A reused process id reads as alive,
    and so waits too."""
    parts = owner.rsplit(":", 3)
    if len(parts) != 4 or parts[3] != place or not parts[1].isdigit():
        return False
    pid = int(parts[1])
    if pid <= 0 or pid == os.getpid():
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except OSError:
        return False  # it runs, as someone else
    return False
