"""What the live channels across processes share, whatever carries the events between them.

A broker channel (PostgreSQL LISTEN/NOTIFY in live_postgres.py, Redis pub/sub in
live_redis.py) works the same way on both sides:

- publish() never blocks: events go to a bounded outbox that one sender thread drains over its
  own connection, reconnecting with a growing pause when the link drops.
- The first subscribe() starts one listener thread per process, on its own connection; every
  event it hears goes to an InProcessChannel that fans it out to this process's subscribers
  (events of users nobody here serves are dropped). After the link is lost and found again,
  every subscriber here gets a "resync": the events in between are gone.
- One channel for all users: each web process hears every event and keeps those of the users
  it serves.

A subclass says how to connect, send one payload, and listen.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import queue
import threading
from collections.abc import AsyncIterator, Callable
from dataclasses import replace
from typing import Any

from hubbub.timeline.live_local import InProcessChannel, LiveEvent

log = logging.getLogger(__name__)
OUTBOX = 10_000
RECONNECT_MAX = 30.0

Ready = Callable[[], None]
Deliver = Callable[[Any], None]


def encode(event: LiveEvent, max_ids: int | None = None) -> str:
    if max_ids is not None and len(event.item_ids) > max_ids:
        event = replace(event, item_ids=event.item_ids[:max_ids])
    return json.dumps(event.to_json(), separators=(",", ":"))


def close_quietly(thing: Any) -> None:
    if thing is not None:
        try:
            thing.close()
        except Exception:
            log.debug("closing a live connection failed", exc_info=True)


def _pause(failures: int) -> float:
    return float(min(RECONNECT_MAX, 0.2 * 2 ** failures))


class BrokerChannel:
    """A LiveChannel whose events travel through a broker between processes."""

    name = "broker"  # for logs and thread names
    max_ids: int | None = None  # item ids an event may carry (NOTIFY payloads are small)

    def __init__(self) -> None:
        self._local = InProcessChannel()
        self._outbox: queue.Queue[LiveEvent | None] = queue.Queue(maxsize=OUTBOX)
        self._lock = threading.Lock()
        self._closed = threading.Event()
        self._listening = threading.Event()
        self._sender: threading.Thread | None = None
        self._listener: threading.Thread | None = None

    # --- what a broker does ------------------------------------------------------------------
    def open_sender(self) -> Any:
        """A connection to send on (closed with close())."""
        raise NotImplementedError

    def send(self, connection: Any, payload: str) -> None:
        raise NotImplementedError

    def listen(self, ready: Ready, deliver: Deliver) -> None:
        """Connect, subscribe, call ready() once subscribed, then deliver() every payload
        heard until the channel closes; close what it opened. Raises when the link is lost."""
        raise NotImplementedError

    # --- LiveChannel -------------------------------------------------------------------------
    def publish(self, event: LiveEvent) -> None:
        self._start("_sender", self._send_loop)
        try:
            self._outbox.put_nowait(event)
        except queue.Full:
            log.warning("live outbox full: an event for user %s was dropped", event.user_id)

    async def subscribe(self, user_id: int, *, heartbeat: float | None = None,
                        ready: bool = False) -> AsyncIterator[LiveEvent]:
        self._start("_listener", self._listen_loop)
        if ready:
            await asyncio.to_thread(self._listening.wait, 10.0)
        async for event in self._local.subscribe(user_id, heartbeat=heartbeat, ready=ready):
            yield event

    def close(self) -> None:
        self._closed.set()
        with contextlib.suppress(queue.Full):
            self._outbox.put_nowait(None)
        for thread in (self._sender, self._listener):
            if thread is not None:
                thread.join(5)

    # --- threads -----------------------------------------------------------------------------
    def _start(self, attr: str, target: Callable[[], None]) -> None:
        if getattr(self, attr) is not None:
            return
        with self._lock:
            if getattr(self, attr) is None and not self._closed.is_set():
                thread = threading.Thread(target=target, daemon=True,
                                          name=f"hubbub-live-{self.name}{attr}")
                setattr(self, attr, thread)
                thread.start()

    def _send_loop(self) -> None:
        connection: Any = None
        pending: LiveEvent | None = None
        failures = 0
        while not self._closed.is_set():
            if pending is None:
                pending = self._outbox.get()
                if pending is None:
                    break
            try:
                if connection is None:
                    connection = self.open_sender()
                self.send(connection, encode(pending, self.max_ids))
                pending, failures = None, 0
            except Exception as exc:
                failures += 1
                log.warning("live %s send failed (%s); reconnecting", self.name, exc)
                close_quietly(connection)
                connection = None
                self._closed.wait(_pause(failures))
        close_quietly(connection)

    def _listen_loop(self) -> None:
        failures = 0
        lost = False

        def ready() -> None:
            nonlocal failures, lost
            self._listening.set()
            if lost:
                self._local.publish_to_all("resync")
                lost = False
            failures = 0

        while not self._closed.is_set():
            try:
                self.listen(ready, self._dispatch)
            except Exception as exc:
                if self._closed.is_set():
                    break
                self._listening.clear()
                lost = True
                failures += 1
                log.warning("live %s link lost (%s); reconnecting", self.name, exc)
                self._closed.wait(_pause(failures))

    def _dispatch(self, payload: Any) -> None:
        try:
            text = payload.decode() if isinstance(payload, bytes) else str(payload)
            event = LiveEvent.from_json(json.loads(text))
        except (ValueError, KeyError, TypeError, UnicodeDecodeError):
            log.info("ignored an unreadable live %s message", self.name)
            return
        if self._local.subscriber_count(event.user_id):
            self._local.publish(event)
