"""A stream thread holds no database connection while it waits for the network, nor does an open
deck's request between heartbeats: with one held a stream and one an open deck, PostgreSQL's
connections ran out long before 2,000 connections were read (bench/reading.py)."""

from __future__ import annotations

import threading

import pytest
from django.contrib.auth.models import User
from django.db import connection, connections

from hubbub.networks.base import Item
from hubbub.timeline import live_stream
from hubbub.timeline.models import Feed, FeedEntry
from hubbub.timeline.polling import mark_watched
from hubbub.timeline.selectors import ensure_feed
from hubbub.timeline.streaming import StreamSupervisor
from tests.timeline import scripted
from tests.timeline.conftest import make_column, make_connection, net_item
from tests.timeline.scripted import ScriptedConnector
from tests.waiting import until

pytestmark = pytest.mark.django_db(transaction=True)


class WatchedStream(scripted.ScriptedStream):
    """Notes, each time the stream thread waits for the next item, whether that thread has a
    database connection open."""

    def __init__(self, feeds: tuple[str, ...]) -> None:
        super().__init__(feeds)
        self.held: list[bool] = []

    def __next__(self) -> Item:
        self.held.append(connection.connection is not None)  # the stream thread's own
        return super().__next__()


@pytest.fixture
def watched_streams(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(scripted, "ScriptedStream", WatchedStream)


def test_the_stream_thread_waits_without_a_database_connection(
        alice: User, watched_streams: None, supervisor: StreamSupervisor) -> None:
    home = ensure_feed(make_connection(alice), "home")
    make_column(alice, [home])
    mark_watched([home])
    until(lambda: bool(ScriptedConnector.streams), "the stream to open")
    stream = ScriptedConnector.streams[0]
    assert isinstance(stream, WatchedStream)
    stream.items.put(net_item(1, feed="home"))
    stream.items.put(net_item(2, feed="home"))
    until(lambda: FeedEntry.objects.filter(feed=home).count() == 2, "both items stored")
    until(lambda: len(stream.held) >= 3, "the wait after the second item")
    # Every wait (before the first item and after each ingest) began with no connection.
    assert stream.held == [False] * len(stream.held)


def test_an_open_decks_heartbeat_leaves_no_database_connection_open(alice: User) -> None:
    """The heartbeat's watch runs in the request's thread, which an open deck keeps for hours:
    the connection it opens is closed again at once."""
    home = ensure_feed(make_connection(alice), "home")
    make_column(alice, [home])
    held: list[bool] = []

    def heartbeat() -> None:
        live_stream._watch(alice.pk, None)
        held.append(connection.connection is not None)
        connections.close_all()

    thread = threading.Thread(target=heartbeat)
    thread.start()
    thread.join()
    assert held == [False]
    assert Feed.objects.get(pk=home.pk).watched_at is not None  # it did watch


class _Stops(threading.Event):
    """A stop event that notes, at each wait, whether the waiting thread holds a database
    connection, and stops the loop after `rounds` waits."""

    def __init__(self, rounds: int) -> None:
        super().__init__()
        self.rounds = rounds
        self.held: list[bool] = []

    def wait(self, timeout: float | None = None) -> bool:
        self.held.append(connection.connection is not None)
        if len(self.held) >= self.rounds:
            self.set()
        return self.is_set()


@pytest.fixture
def kept_connections(monkeypatch: pytest.MonkeyPatch) -> None:
    """Connections kept for a minute, as on PostgreSQL (hubbub.settings: conn_max_age=60):
    close_old_connections then leaves a healthy one open."""
    monkeypatch.setitem(connections.settings["default"], "CONN_MAX_AGE", 60)


def test_the_stream_supervisor_holds_no_connection_between_checks(
        alice: User, kept_connections: None) -> None:
    home = ensure_feed(make_connection(alice), "home")
    make_column(alice, [home])
    mark_watched([home])
    stop = _Stops(rounds=3)
    supervisor = StreamSupervisor(stop, check_every=0.01)
    thread = threading.Thread(target=supervisor.run)
    thread.start()
    thread.join(30)
    assert stop.held == [False, False, False]
    assert ScriptedConnector.streams  # it did check, and started the stream


def test_the_worker_beat_holds_no_connection_between_beats(kept_connections: None) -> None:
    from hubbub.jobs.models import WorkerBeat
    from hubbub.jobs.worker import HubWorker

    worker = HubWorker(run_scheduler=False)
    stop = _Stops(rounds=2)
    worker._stop = stop
    thread = threading.Thread(target=worker._beat_loop)
    thread.start()
    thread.join(30)
    assert stop.held == [False, False]
    assert WorkerBeat.objects.filter(worker_id=worker.worker_id).exists()  # it did beat
