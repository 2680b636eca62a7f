"""One stream per connection across reading processes (timeline/leases.py): two stream
supervisors with their own leases, as two `hubbub worker`s are, against a scripted network.
The same with real processes, PostgreSQL and the Mastodon mock is in
tests/integration/test_stream_leases_workers.py."""

from __future__ import annotations

import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.utils import timezone

from hubbub.connections.models import Connection
from hubbub.timeline import leases as leases_module
from hubbub.timeline.models import Feed, FeedEntry, StreamLease, StreamReader
from hubbub.timeline.polling import mark_watched
from hubbub.timeline.selectors import ensure_feed
from hubbub.timeline.streaming import StreamSupervisor
from tests.timeline.conftest import make_column, make_connection, net_item
from tests.timeline.scripted import ScriptedConnector, ScriptedStream
from tests.waiting import until

pytestmark = pytest.mark.django_db(transaction=True)

CONNECTIONS = 6


class Reader:
    """A stream supervisor on its own thread, as a worker process runs it."""

    def __init__(self, owner: str, clock: Callable[[], datetime] = timezone.now) -> None:
        self.stop = threading.Event()
        self.supervisor = StreamSupervisor(self.stop, check_every=0.05, owner=owner,
                                           clock=clock)
        self.thread = threading.Thread(target=self.supervisor.run)
        self.thread.start()

    def streaming(self) -> set[int]:
        """Connections whose stream this reader has open now."""
        return {cid for cid, runner in list(self.supervisor.runners.items())
                if runner.connected.is_set()}

    def end(self, *, die: bool = False) -> None:
        """Stop; with `die`, as a killed process does: its streams end, its leases stay."""
        if die:
            self.supervisor.leases.close = lambda: None  # type: ignore[method-assign]
        self.stop.set()
        self.thread.join(10)
        assert not self.thread.is_alive()


@pytest.fixture
def readers(settings: Any) -> Iterator[list[Reader]]:
    # Long enough that a stall of this process under load does not pass for a death.
    settings.HUBBUB_STREAM_LEASE_SECONDS = 5
    started: list[Reader] = []
    yield started
    for reader in started:
        if reader.thread.is_alive():
            reader.end()


@pytest.fixture
def watched(alice: User) -> list[Connection]:
    made = []
    for _ in range(CONNECTIONS):
        connection = make_connection(alice)
        home = ensure_feed(connection, "home")
        make_column(alice, [home])
        mark_watched([home])
        made.append(connection)
    return made


def _open_streams() -> int:
    return sum(not stream.closed for stream in ScriptedConnector.streams)


def _owners() -> dict[str, int]:
    counts: dict[str, int] = {}
    for owner in StreamLease.objects.exclude(owner="").values_list("owner", flat=True):
        counts[owner] = counts.get(owner, 0) + 1
    return counts


def test_two_readers_stream_each_connection_once_and_share_them(
        watched: list[Connection], readers: list[Reader]) -> None:
    everyone = {c.pk for c in watched}
    first = Reader("reader-a")
    readers.append(first)
    until(lambda: first.streaming() == everyone, "the first reader to stream every connection")
    second = Reader("reader-b")
    readers.append(second)
    # The first gives half back once it sees the second alive; the second takes them.
    until(lambda: len(first.streaming()) == len(second.streaming()) == CONNECTIONS // 2
          and first.streaming() | second.streaming() == everyone,
          "the connections shared between the two readers")
    assert first.streaming().isdisjoint(second.streaming())
    until(lambda: _open_streams() == CONNECTIONS, "the given-back streams to close")
    assert _owners() == {"reader-a": CONNECTIONS // 2, "reader-b": CONNECTIONS // 2}
    # Renewals go on without either taking from the other.
    renewed = dict(StreamLease.objects.values_list("connection_id", "expires_at"))
    until(lambda: all(at > renewed[cid] for cid, at in StreamLease.objects.values_list(
        "connection_id", "expires_at")), "every lease renewed")
    assert _open_streams() == CONNECTIONS
    assert first.streaming().isdisjoint(second.streaming())
    assert len(ScriptedConnector.streams) == CONNECTIONS + CONNECTIONS // 2


def test_two_readers_whose_clocks_are_minutes_apart_share_without_taking_from_each_other(
        watched: list[Connection], readers: list[Reader]) -> None:
    """The leases go by the database's clock: to the reader five minutes ahead the other's
    leases are not expired, and to the one behind its beat is not from the future."""
    everyone = {c.pk for c in watched}
    first = Reader("reader-a", clock=lambda: timezone.now() - timedelta(minutes=5))
    readers.append(first)
    until(lambda: first.streaming() == everyone, "the first reader to stream every connection")
    second = Reader("reader-b", clock=lambda: timezone.now() + timedelta(minutes=5))
    readers.append(second)
    until(lambda: len(first.streaming()) == len(second.streaming()) == CONNECTIONS // 2
          and first.streaming() | second.streaming() == everyone,
          "the connections shared between the two readers")
    until(lambda: _open_streams() == CONNECTIONS, "the given-back streams to close")
    # Two renewal rounds of both (every 5/3 s): neither takes, nor drops, a stream.
    for _ in range(2):
        renewed = dict(StreamLease.objects.values_list("connection_id", "expires_at"))
        until(lambda since=renewed: all(at > since[cid] for cid, at in  # type: ignore[misc]
                                        StreamLease.objects.values_list(
                                            "connection_id", "expires_at")),
              "every lease renewed")
    assert _owners() == {"reader-a": CONNECTIONS // 2, "reader-b": CONNECTIONS // 2}
    assert first.streaming().isdisjoint(second.streaming())
    assert _open_streams() == CONNECTIONS
    assert len(ScriptedConnector.streams) == CONNECTIONS + CONNECTIONS // 2
    assert first.supervisor.leases.readers == second.supervisor.leases.readers == 2


def test_a_dead_readers_streams_come_back_on_the_other_after_its_leases_expire(
        alice: User, watched: list[Connection], readers: list[Reader]) -> None:
    everyone = {c.pk for c in watched}
    first, second = Reader("reader-a"), Reader("reader-b")
    readers += [first, second]
    until(lambda: first.streaming() | second.streaming() == everyone
          and first.streaming().isdisjoint(second.streaming())
          and _open_streams() == CONNECTIONS and first.streaming() and second.streaming(),
          "each connection streamed once, by either reader")
    lost = first.streaming()
    first.end(die=True)
    assert StreamLease.objects.filter(owner="reader-a").count() == len(lost)  # still held
    until(lambda: second.streaming() == everyone, "the survivor to stream every connection")
    assert _open_streams() == CONNECTIONS
    # It waited for the leases to run out (a reader on another machine may only be slow).
    expired = StreamReader.objects.filter(owner="reader-a").values_list("beat_at", flat=True)
    assert not expired or expired[0] < timezone.now() - timedelta(seconds=5)
    # An item on a taken-over connection's new stream reaches its feed.
    cid = min(lost)
    home = Feed.objects.get(connection_id=cid, key="home")
    stream = second.supervisor.runners[cid]._stream
    assert isinstance(stream, ScriptedStream)
    assert not stream.closed
    stream.items.put(net_item(1, feed="home"))
    until(lambda: FeedEntry.objects.filter(feed=home).exists(), "the item in the feed")


def test_a_reader_that_stops_cleanly_gives_its_leases_back_at_once(
        watched: list[Connection], readers: list[Reader], settings: Any) -> None:
    settings.HUBBUB_STREAM_LEASE_SECONDS = 3600  # only the release can explain a takeover
    everyone = {c.pk for c in watched}
    first, second = Reader("reader-a"), Reader("reader-b")
    readers += [first, second]
    until(lambda: first.streaming() and second.streaming()
          and first.streaming() | second.streaming() == everyone, "both readers streaming")
    first.end()
    until(lambda: second.streaming() == everyone, "the other reader to take every connection")


def test_a_dead_process_of_this_machine_frees_its_leases_without_waiting(
        watched: list[Connection], readers: list[Reader], settings: Any) -> None:
    gone = subprocess.Popen([sys.executable, "-c", "pass"])
    gone.wait()
    owner = leases_module.new_reader_id().replace(f":{leases_module.os.getpid()}:",
                                                  f":{gone.pid}:")
    far = timezone.now() + timedelta(hours=1)
    StreamReader.objects.create(owner=owner, beat_at=timezone.now())
    StreamLease.objects.bulk_create([StreamLease(connection=c, owner=owner, expires_at=far)
                                     for c in watched])
    Feed.objects.update(streaming=True)  # the dead process's flags
    settings.HUBBUB_STREAM_LEASE_SECONDS = 3600
    reader = Reader("reader-a")
    readers.append(reader)
    until(lambda: reader.streaming() == {c.pk for c in watched},
          "the dead process's connections streamed here")
    assert not StreamReader.objects.filter(owner=owner).exists()


def test_a_reader_whose_lease_was_taken_stops_that_stream(
        watched: list[Connection], readers: list[Reader]) -> None:
    reader = Reader("reader-a")
    readers.append(reader)
    until(lambda: len(reader.streaming()) == CONNECTIONS, "every connection streamed")
    taken = watched[0].pk
    runner = reader.supervisor.runners[taken]
    assert Feed.objects.get(connection_id=taken, key="home").streaming
    StreamLease.objects.filter(connection_id=taken).update(
        owner="reader-elsewhere", expires_at=timezone.now() + timedelta(hours=1))
    until(lambda: not runner.is_alive(), "the taken connection's stream stopped")
    assert _open_streams() == CONNECTIONS - 1
    assert taken not in reader.supervisor.runners
    # Its flags are the new holder's now: the stopping runner left them alone.
    assert Feed.objects.get(connection_id=taken, key="home").streaming
