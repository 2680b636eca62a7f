"""The live channel's event and its in-process engine: what live.py hands out by default,
and what the broker channels (live_broker.py) fan events out with inside each process.

Apart from live.py so that the broker channels can use it while live.py chooses among them:
neither imports the other both ways.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol

log = logging.getLogger(__name__)

# items:   new entries in feeds (item_ids are items newly in those feeds)
# updated: known items changed (counts, flags, an edit)
# feed:    a feed's state changed (first poll done, an error, or it cleared); detail says what
# removed: items deleted on the network are gone from the store (item_ids, and their feeds)
# resync:  events were dropped for this subscriber: reload what is shown
# ready / ping: only when asked for in subscribe() (subscribed; idle heartbeat)
EventKind = Literal["items", "updated", "feed", "removed", "resync", "ready", "ping",
                    "columns"]
QUEUE_SIZE = 256


@dataclass(frozen=True)
class LiveEvent:
    kind: EventKind
    user_id: int
    feed_ids: tuple[int, ...] = ()
    item_ids: tuple[int, ...] = ()
    detail: str = ""

    def to_json(self) -> dict[str, Any]:
        return {"kind": self.kind, "user_id": self.user_id, "feed_ids": list(self.feed_ids),
                "item_ids": list(self.item_ids), "detail": self.detail}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> LiveEvent:
        return cls(kind=data["kind"], user_id=int(data["user_id"]),
                   feed_ids=tuple(int(f) for f in data.get("feed_ids", ())),
                   item_ids=tuple(int(i) for i in data.get("item_ids", ())),
                   detail=str(data.get("detail", "")))


class LiveChannel(Protocol):
    def publish(self, event: LiveEvent) -> None:
        """Hand the event to every subscriber of event.user_id. Any thread; never blocks."""

    def subscribe(self, user_id: int, *, heartbeat: float | None = None,
                  ready: bool = False) -> AsyncIterator[LiveEvent]:
        """Events for one user, until the iterator is closed (or its task cancelled).

        With `ready`, the first event is "ready", sent once the subscription is registered:
        anything published after it arrives. With `heartbeat`, a "ping" comes every that many
        seconds, busy or idle (a keep-alive, and a clock for periodic chores such as
        mark_watched). Do not wrap __anext__ in asyncio.wait_for: a cancelled __anext__ ends an
        async generator; use the heartbeat instead."""
        ...


@dataclass(eq=False)
class _Subscriber:
    user_id: int
    loop: asyncio.AbstractEventLoop
    queue: asyncio.Queue[LiveEvent] = field(
        default_factory=lambda: asyncio.Queue(maxsize=QUEUE_SIZE))
    overflowed: bool = False

    def deliver(self, event: LiveEvent) -> None:
        """On the subscriber's loop. A full queue is replaced by one resync event."""
        try:
            self.queue.put_nowait(event)
        except asyncio.QueueFull:
            while not self.queue.empty():
                self.queue.get_nowait()
            self.queue.put_nowait(LiveEvent("resync", self.user_id))
            if not self.overflowed:
                log.info("live subscriber of user %s fell behind: resync", self.user_id)
            self.overflowed = True


class InProcessChannel:
    """Fan-out inside one process: worker threads publish, async views on the event loop
    (or several loops) subscribe."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._subscribers: dict[int, set[_Subscriber]] = {}

    def publish(self, event: LiveEvent) -> None:
        with self._lock:
            targets = tuple(self._subscribers.get(event.user_id, ()))
        for sub in targets:
            try:
                sub.loop.call_soon_threadsafe(sub.deliver, event)
            except RuntimeError:  # that loop is closed: the subscriber is gone
                self._remove(sub)

    def publish_to_all(self, kind: EventKind) -> None:
        """An event for every subscriber of this process (a resync after a lost link)."""
        with self._lock:
            users = list(self._subscribers)
        for user_id in users:
            self.publish(LiveEvent(kind, user_id))

    def subscriber_count(self, user_id: int) -> int:
        with self._lock:
            return len(self._subscribers.get(user_id, ()))

    def _add(self, sub: _Subscriber) -> None:
        with self._lock:
            self._subscribers.setdefault(sub.user_id, set()).add(sub)

    def _remove(self, sub: _Subscriber) -> None:
        with self._lock:
            subs = self._subscribers.get(sub.user_id)
            if subs is not None:
                subs.discard(sub)
                if not subs:
                    del self._subscribers[sub.user_id]

    async def subscribe(self, user_id: int, *, heartbeat: float | None = None,
                        ready: bool = False) -> AsyncIterator[LiveEvent]:
        sub = _Subscriber(user_id, asyncio.get_running_loop())
        self._add(sub)
        try:
            if ready:
                yield LiveEvent("ready", user_id)
            loop = sub.loop
            next_ping = loop.time() + heartbeat if heartbeat is not None else None
            while True:
                if next_ping is None:
                    yield await sub.queue.get()
                    continue
                wait = next_ping - loop.time()
                if wait <= 0:
                    # Due even while events flow: views use pings for periodic chores.
                    next_ping = loop.time() + (heartbeat or 0)
                    yield LiveEvent("ping", user_id)
                    continue
                try:
                    event = await asyncio.wait_for(sub.queue.get(), wait)
                except TimeoutError:
                    continue  # the ping is due now
                yield event
        finally:
            self._remove(sub)
