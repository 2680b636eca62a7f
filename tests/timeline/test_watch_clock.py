"""Which feeds count as watched goes by the database's clock (core/dbclock.py), as the stream
leases do: `mark_watched` (the web process, while a deck is open) writes `watched_at` with it
and `wanted_streams` (each worker's stream supervisor) compares with it. Before, each used its
own machine's clock: a web machine fifteen minutes behind marked an open deck as watched
fifteen minutes ago, past the ten-minute watch window, and a worker fifteen minutes ahead
found no deck open and stopped every stream.

A machine's clock is moved here in the process (`machine_clock`, django.utils.timezone.now
shifted while that machine's step runs; a reader's own clock injected as leases' tests do);
nothing else of the process is moved. Runs on SQLite and, with DATABASE_URL, on PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.utils import timezone

from hubbub.connections.models import Connection
from hubbub.core.dbclock import db_now
from hubbub.timeline import polling
from hubbub.timeline.models import Feed, StreamLease
from hubbub.timeline.polling import mark_watched
from hubbub.timeline.selectors import ensure_feed
from hubbub.timeline.streaming import wanted_streams, watch_window
from tests.timeline.conftest import make_column, make_connection
from tests.timeline.scripted import ScriptedConnector
from tests.timeline.test_stream_leases import CONNECTIONS, Reader, _open_streams, _owners
from tests.waiting import until

pytestmark = pytest.mark.django_db(transaction=True)

SKEW = timedelta(minutes=15)  # past the stream watch window (10 minutes)


@contextmanager
def machine_clock(offset: timedelta) -> Iterator[None]:
    """While inside, this process's wall clock reads `offset` off the true one, as a machine
    whose clock is that far off."""
    real = timezone.now
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(timezone, "now", lambda: real() + offset)
        yield


@pytest.fixture
def readers(settings: Any) -> Iterator[list[Reader]]:
    settings.HUBBUB_STREAM_LEASE_SECONDS = 5  # as tests/timeline/test_stream_leases.py
    started: list[Reader] = []
    yield started
    for reader in started:
        if reader.thread.is_alive():
            reader.end()


@pytest.fixture
def watched(alice: User) -> list[Connection]:
    """Connections whose home feed an open deck shows (marked by a web process whose clock is
    right)."""
    made = []
    for _ in range(CONNECTIONS):
        home = _deck(alice)
        mark_watched([home])
        made.append(home.connection)
    return made


def _deck(user: User) -> Feed:
    connection = make_connection(user)
    home = ensure_feed(connection, "home")
    make_column(user, [home])
    return home


def test_the_skew_is_past_the_watch_window() -> None:
    assert watch_window() < SKEW


@pytest.mark.parametrize("skew", [SKEW, -SKEW], ids=["ahead", "behind"])
def test_mark_watched_writes_the_databases_time_whatever_the_web_machines_clock(
        alice: User, skew: timedelta) -> None:
    home = _deck(alice)
    with machine_clock(skew):
        mark_watched([home])
    watched_at = Feed.objects.get(pk=home.pk).watched_at
    assert watched_at is not None
    now = db_now()
    assert now - timedelta(seconds=30) < watched_at <= now
    assert wanted_streams() == {home.connection_id: frozenset({"home"})}
    assert polling.is_watched(Feed.objects.get(pk=home.pk), now)


def test_a_deck_opened_on_a_web_machine_whose_clock_is_behind_is_streamed(
        alice: User, readers: list[Reader]) -> None:
    home = _deck(alice)
    with machine_clock(-SKEW):  # the web process that served the deck
        mark_watched([home])
    reader = Reader("reader-a")  # a worker on a machine whose clock is right
    readers.append(reader)
    until(lambda: reader.streaming() == {home.connection_id}, "the open deck's feed streamed")


def _two_renewal_rounds() -> None:
    for _ in range(2):
        renewed = dict(StreamLease.objects.values_list("connection_id", "expires_at"))
        until(lambda since=renewed: all(at > since[cid] for cid, at in  # type: ignore[misc]
                                        StreamLease.objects.values_list(
                                            "connection_id", "expires_at")),
              "every lease renewed")


def test_a_worker_whose_clock_is_ahead_keeps_streaming_an_open_deck(
        watched: list[Connection], readers: list[Reader]) -> None:
    """Before, it found no deck open: it streamed nothing."""
    everyone = {c.pk for c in watched}
    ahead = Reader("reader-a", clock=lambda: timezone.now() + SKEW)
    readers.append(ahead)
    until(lambda: ahead.streaming() == everyone, "the worker ahead to stream every connection")
    _two_renewal_rounds()  # each a reconcile that could have stopped them
    assert ahead.streaming() == everyone
    assert _open_streams() == len(ScriptedConnector.streams) == CONNECTIONS  # none restarted


def test_two_workers_thirty_minutes_apart_share_an_open_deck_without_stopping_it(
        watched: list[Connection], readers: list[Reader]) -> None:
    """Before, the worker ahead found nothing watched: it released every lease and streamed
    nothing, and the one behind streamed everything."""
    everyone = {c.pk for c in watched}
    behind = Reader("reader-a", clock=lambda: timezone.now() - SKEW)
    readers.append(behind)
    until(lambda: behind.streaming() == everyone, "the first worker to stream every connection")
    ahead = Reader("reader-b", clock=lambda: timezone.now() + SKEW)
    readers.append(ahead)
    until(lambda: len(behind.streaming()) == len(ahead.streaming()) == CONNECTIONS // 2
          and behind.streaming() | ahead.streaming() == everyone,
          "the connections shared between the two workers")
    until(lambda: _open_streams() == CONNECTIONS, "the given-back streams to close")
    _two_renewal_rounds()  # of both: no stream stopped or taken
    assert _owners() == {"reader-a": CONNECTIONS // 2, "reader-b": CONNECTIONS // 2}
    assert behind.streaming().isdisjoint(ahead.streaming())
    assert _open_streams() == CONNECTIONS
