"""A stream thread holds no database connection while it waits for the network: with one held
a stream, PostgreSQL's connections ran out long before 2,000 open streams (bench/reading.py)."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User
from django.db import connection

from hubbub.networks.base import Item
from hubbub.timeline.models import FeedEntry
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
