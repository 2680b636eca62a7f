"""Stream leases go by the database's clock, not the reader's (timeline/leases.py): two readers
whose machines' clocks are five minutes apart agree on which lease is live and which reader
is alive. Each reader here is given its machine's clock as a function (nothing is moved for
the rest of the process). Runs on SQLite and, with DATABASE_URL, on PostgreSQL."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.db import connection as db_connection
from django.utils import timezone

from hubbub.connections.models import Connection
from hubbub.timeline.leases import Leases, db_now
from hubbub.timeline.models import StreamLease, StreamReader
from tests.timeline.conftest import make_connection
from tests.waiting import until

pytestmark = pytest.mark.django_db(transaction=True)

SKEW = timedelta(minutes=5)


def shifted(by: timedelta) -> Callable[[], datetime]:
    """A machine's clock `by` off the true one."""
    return lambda: timezone.now() + by


@pytest.fixture
def six(alice: User) -> list[Connection]:
    return [make_connection(alice) for _ in range(6)]


def _owners() -> dict[str, int]:
    counts: dict[str, int] = {}
    for owner in StreamLease.objects.values_list("owner", flat=True):
        counts[owner] = counts.get(owner, 0) + 1
    return counts


def test_the_databases_clock_is_read_as_an_aware_utc_time() -> None:
    before = datetime.now(UTC)
    now = db_now()
    after = datetime.now(UTC)
    assert now.tzinfo is not None
    assert now.utcoffset() == timedelta(0)
    # The server is this machine here: its clock is ours (to SQLite's millisecond).
    assert before - timedelta(milliseconds=1) <= now <= after + timedelta(milliseconds=1)
    assert db_connection.vendor in {"sqlite", "postgresql"}


@pytest.mark.parametrize("skew", [SKEW, -SKEW], ids=["ahead", "behind"])
def test_readers_with_skewed_clocks_neither_take_the_others_live_leases(
        six: list[Connection], settings: Any, skew: timedelta,
        caplog: pytest.LogCaptureFixture) -> None:
    settings.HUBBUB_STREAM_LEASE_SECONDS = 60  # the skew is five of these periods
    everyone = {c.pk for c in six}
    first = Leases("reader-a")
    first.renew()
    assert first.take(everyone, first.share(len(everyone))) == everyone
    with caplog.at_level(logging.WARNING, logger="hubbub.timeline.leases"):
        second = Leases("reader-b", clock=shifted(skew))
        second.renew()
    assert abs(second.skew - skew) < timedelta(seconds=5)
    assert "clock is" in caplog.text
    # Each sees the other alive (a beat written by one clock and read by another would look
    # five minutes old, or five minutes ahead, to it).
    assert second.readers == first.count_readers() == 2
    # The second finds nothing free: the first's leases are live by the database's clock.
    assert second.take(everyone, second.share(len(everyone))) == set()
    assert _owners() == {"reader-a": 6}
    # The first gives back what is above its share; the second takes that, and only that.
    first.release(sorted(everyone)[:3])
    assert second.take(everyone, second.share(len(everyone))) == set(sorted(everyone)[:3])
    for _ in range(3):  # renewals on both sides change nothing
        assert first.renew() == set(sorted(everyone)[3:])
        assert second.renew() == set(sorted(everyone)[:3])
        assert first.take(everyone, 6) == second.take(everyone, 6) == set()
    assert _owners() == {"reader-a": 3, "reader-b": 3}
    assert first.holds(min(everyone)) is False
    assert second.holds(min(everyone)) is True
    # The times written are the database's: each lease ends one period after it, whoever
    # wrote it.
    now = db_now()
    for expires_at in StreamLease.objects.values_list("expires_at", flat=True):
        assert now < expires_at <= now + timedelta(seconds=60)
    for beat_at in StreamReader.objects.values_list("beat_at", flat=True):
        assert now - timedelta(seconds=60) < beat_at <= now


@pytest.mark.parametrize("skew", [SKEW, -SKEW], ids=["ahead", "behind"])
def test_a_dead_readers_leases_come_to_a_skewed_reader_when_the_database_says_they_expired(
        six: list[Connection], settings: Any, skew: timedelta) -> None:
    settings.HUBBUB_STREAM_LEASE_SECONDS = 1
    everyone = {c.pk for c in six}
    dead = Leases("reader-a")  # a process on another machine that stops renewing
    dead.renew()
    assert dead.take(everyone, 6) == everyone
    ends = max(StreamLease.objects.values_list("expires_at", flat=True))
    survivor = Leases("reader-b", clock=shifted(skew))
    survivor.renew()
    taken: set[int] = set()

    def all_taken() -> bool:
        got = survivor.take(everyone, 6)
        # Ahead, a reader going by its own clock would take them at once, long before this.
        assert not got or db_now() >= ends, "a live lease taken"
        taken.update(got)
        return taken == everyone

    # Behind, a reader going by its own clock would wait five minutes past the expiry.
    until(all_taken, "the dead reader's leases taken by the one whose clock is off")
    assert _owners() == {"reader-b": 6}
