"""The stream supervisor against a scripted network: streams follow what is watched, items are
ingested as they come, broken streams reconnect, refusals fall back to polling."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import replace
from datetime import timedelta

import pytest
from django.contrib.auth.models import User
from django.utils import timezone

from hubbub.connections.models import Connection, Health
from hubbub.networks.errors import Rejected, Revoked, Transient
from hubbub.timeline import streaming
from hubbub.timeline.models import Feed, FeedEntry
from hubbub.timeline.polling import mark_watched
from hubbub.timeline.selectors import ensure_feed
from hubbub.timeline.streaming import StreamSupervisor, wanted_streams
from tests.timeline.conftest import make_column, make_connection, net_item
from tests.timeline.scripted import ScriptedConnector, ScriptedStream

pytestmark = pytest.mark.django_db(transaction=True)


def wait_for(check: Callable[[], object], timeout: float = 5.0) -> object:
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError("timed out waiting")
        time.sleep(0.02)


@pytest.fixture(autouse=True)
def quick_backoff(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(streaming, "MAX_BACKOFF", 0.2)


def _stream(n: int = 0) -> ScriptedStream:
    return wait_for(lambda: len(ScriptedConnector.streams) > n  # type: ignore[return-value]
                    and ScriptedConnector.streams[n])


def test_only_watched_streamable_shown_feeds_are_wanted(alice: User) -> None:
    connection = make_connection(alice)
    home, mentions = ensure_feed(connection, "home"), ensure_feed(connection, "mentions")
    hidden = ensure_feed(make_connection(alice), "home")
    mark_watched([home, mentions, hidden])
    assert wanted_streams() == {}  # in no column
    make_column(alice, [home, mentions])
    assert wanted_streams() == {connection.pk: frozenset({"home"})}  # mentions: polled only
    Feed.objects.filter(pk=home.pk).update(watched_at=timezone.now() - timedelta(hours=1))
    assert wanted_streams() == {}
    mark_watched([home])
    Connection.objects.filter(pk=connection.pk).update(health=Health.NEEDS_RECONNECT)
    assert wanted_streams() == {}


def test_streamed_items_are_ingested_at_once(alice: User, supervisor: StreamSupervisor) -> None:
    home = ensure_feed(make_connection(alice), "home")
    make_column(alice, [home])
    mark_watched([home])
    stream = _stream()
    assert stream.feeds == ("home",)
    wait_for(lambda: Feed.objects.get(pk=home.pk).streaming)
    stream.items.put(net_item(1, feed="home"))
    stream.items.put(net_item(2))  # one feed streamed: no need to name it
    stream.items.put(net_item(3, feed="elsewhere"))  # not ours: dropped
    wait_for(lambda: FeedEntry.objects.filter(feed=home).count() == 2)
    # The gap before the stream opened is filled by a poll, asked for at once.
    assert Feed.objects.get(pk=home.pk).next_poll_at <= timezone.now()


def test_a_broken_stream_reconnects(alice: User, supervisor: StreamSupervisor) -> None:
    home = ensure_feed(make_connection(alice), "home")
    make_column(alice, [home])
    mark_watched([home])
    first = _stream(0)
    first.items.put(Transient("connection reset"))
    second = _stream(1)
    second.items.put(net_item(7))
    wait_for(lambda: FeedEntry.objects.filter(feed=home).exists())
    first.items.put(None)  # a stream that simply ends is reopened too
    second.items.put(None)
    _stream(2)


def test_adding_a_watched_feed_restarts_the_stream_with_it(
        alice: User, supervisor: StreamSupervisor, scripted_network: type[ScriptedConnector],
) -> None:
    scripted_network.streamable = frozenset({"home", "mentions"})
    connection = make_connection(alice)
    home, mentions = ensure_feed(connection, "home"), ensure_feed(connection, "mentions")
    make_column(alice, [home, mentions])
    mark_watched([home])
    first = _stream(0)
    mark_watched([mentions])
    second = _stream(1)
    wait_for(lambda: first.closed)
    assert set(second.feeds) == {"home", "mentions"}
    second.items.put(net_item(1, feed="mentions"))
    wait_for(lambda: FeedEntry.objects.filter(feed=mentions).exists())
    # Nobody watching any more: the stream stops and the flags go down.
    Feed.objects.update(watched_at=timezone.now() - timedelta(hours=1))
    wait_for(lambda: second.closed)
    wait_for(lambda: not Feed.objects.filter(streaming=True).exists())


def test_refusals_leave_the_feed_to_polling(
        alice: User, supervisor: StreamSupervisor, scripted_network: type[ScriptedConnector],
) -> None:
    scripted_network.stream_error = Rejected("streaming is switched off")
    home = ensure_feed(make_connection(alice), "home")
    make_column(alice, [home])
    mark_watched([home])
    wait_for(lambda: supervisor.refused)
    assert not ScriptedConnector.streams
    assert not Feed.objects.get(pk=home.pk).streaming


def test_revoked_credentials_mark_the_connection(
        alice: User, supervisor: StreamSupervisor, scripted_network: type[ScriptedConnector],
) -> None:
    scripted_network.stream_error = Revoked("token revoked")
    connection = make_connection(alice)
    home = ensure_feed(connection, "home")
    make_column(alice, [home])
    mark_watched([home])
    wait_for(lambda: Connection.objects.get(pk=connection.pk).health == Health.NEEDS_RECONNECT)


def test_stopping_the_supervisor_closes_its_streams(alice: User) -> None:
    home = ensure_feed(make_connection(alice), "home")
    make_column(alice, [home])
    mark_watched([home])
    stop = threading.Event()
    sup = StreamSupervisor(stop, check_every=0.05)
    thread = threading.Thread(target=sup.run)
    thread.start()
    stream = _stream()
    stop.set()
    thread.join(5)
    assert stream.closed
    assert not thread.is_alive()


def test_items_from_the_stream_are_sanitized_like_any_other(
        alice: User, supervisor: StreamSupervisor) -> None:
    home = ensure_feed(make_connection(alice), "home")
    make_column(alice, [home])
    mark_watched([home])
    _stream().items.put(replace(net_item(1), html="<img src=x onerror=alert(1)><p>hi</p>"))
    wait_for(lambda: FeedEntry.objects.filter(feed=home).exists())
    assert FeedEntry.objects.get(feed=home).item.html == "<p>hi</p>"
