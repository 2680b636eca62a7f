"""The deck's event stream: an async view that tells an open deck which feeds got new items."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import pytest
from asgiref.sync import async_to_sync
from django.contrib.auth.models import User
from django.test import AsyncClient
from django.urls import reverse

from hubbub.connections.models import Connection
from hubbub.timeline import live, live_stream
from hubbub.timeline.models import Deck, Feed
from tests.deck.conftest import make_column

pytestmark = pytest.mark.django_db(transaction=True)


@dataclass(frozen=True)
class Event:
    kind: str
    user_id: int
    feed_ids: tuple[int, ...] = ()
    item_ids: tuple[int, ...] = ()
    detail: str = ""


class FakeChannel:
    """Hands out the events put in `events`, then a ping every `heartbeat` seconds."""

    def __init__(self, events: list[Event]) -> None:
        self.events = events
        self.closed = asyncio.Event()
        self.subscribed: list[int] = []

    async def subscribe(self, user_id: int, *, heartbeat: float | None = None,
                        ready: bool = False) -> AsyncIterator[Event]:
        self.subscribed.append(user_id)
        try:
            for event in self.events:
                yield event
            while True:
                await asyncio.sleep(heartbeat or 1)
                yield Event("ping", user_id)
        finally:
            self.closed.set()


@pytest.fixture
def channel(monkeypatch: pytest.MonkeyPatch) -> FakeChannel:
    fake = FakeChannel([])
    monkeypatch.setattr(live, "get_channel", lambda: fake)
    return fake


def test_events_become_sse_messages(channel: FakeChannel, owner: User) -> None:
    channel.events += [
        Event("ready", owner.pk),
        Event("items", owner.pk, feed_ids=(3, 1), item_ids=(10, 11)),
        Event("updated", owner.pk, item_ids=(10,)),
        Event("items", owner.pk + 1, feed_ids=(9,), item_ids=(12,)),  # someone else's
        Event("feed", owner.pk, feed_ids=(3,), detail="first poll done"),
        Event("removed", owner.pk + 1, feed_ids=(9,), item_ids=(12,)),  # someone else's
        Event("removed", owner.pk, feed_ids=(3,), item_ids=(11,)),
        Event("resync", owner.pk),
    ]

    async def read() -> list[str]:
        stream = live_stream.stream(owner.pk, None, heartbeat=0.05)
        got = [await anext(stream) for _ in range(6)]
        await stream.aclose()
        return got

    got = async_to_sync(read)()
    assert got[0].startswith("retry: 2000\n")
    assert got[1] == 'event: items\ndata: {"feeds": [1, 3], "count": 2, "items": [10, 11]}\n\n'
    assert got[2] == 'event: feed\ndata: {"feeds": [3], "detail": "first poll done"}\n\n'
    assert got[3] == 'event: removed\ndata: {"feeds": [3], "items": [11]}\n\n'
    assert got[4] == "event: resync\ndata: {}\n\n"
    assert got[5] == ": heartbeat\n\n"
    assert channel.subscribed == [owner.pk]
    assert channel.closed.is_set()  # closing the stream ends the subscription


def test_heartbeat_keeps_the_open_decks_feeds_watched(channel: FakeChannel, owner: User,
                                                      connection: Connection) -> None:
    deck = Deck.objects.create(user=owner, name="Main")
    column = make_column(deck, connection)
    feed = column.feeds.get()
    Feed.objects.filter(pk=feed.pk).update(watched_at=None)

    async def read() -> str:
        stream = live_stream.stream(owner.pk, deck.pk, heartbeat=0.01)
        await anext(stream)
        beat = await anext(stream)
        await stream.aclose()
        return beat

    assert async_to_sync(read)() == ": heartbeat\n\n"
    feed.refresh_from_db()
    assert feed.watched_at is not None


def test_the_view_streams_text_event_stream_for_the_signed_in_person(
        channel: FakeChannel, owner: User) -> None:
    channel.events.append(Event("items", owner.pk, feed_ids=(5,), item_ids=(1,)))

    async def call() -> tuple[Any, list[bytes]]:
        client = AsyncClient()
        await client.aforce_login(owner)
        response = await client.get(reverse("timeline:events"))
        chunks = response.streaming_content
        got = [await anext(chunks), await anext(chunks)]
        await chunks.aclose()
        return response, got

    response, got = async_to_sync(call)()
    assert response.status_code == 200
    assert response["Content-Type"] == "text/event-stream"
    assert response["Cache-Control"] == "no-cache, no-transform"
    assert got[1] == b'event: items\ndata: {"feeds": [5], "count": 1, "items": [1]}\n\n'
    assert channel.subscribed == [owner.pk]


def test_the_stream_is_private(channel: FakeChannel) -> None:
    async def call() -> Any:
        return await AsyncClient().get(reverse("timeline:events"))

    response = async_to_sync(call)()
    assert response.status_code == 302
    assert reverse("accounts:login") in response["Location"]
    assert channel.subscribed == []
