"""The live channel across processes, through PostgreSQL's LISTEN/NOTIFY.

For `hubbub web` and `hubbub worker` running apart (HUBBUB_LIVE_BACKEND=postgres): the worker's
ingest publishes here, the web process that holds the browser's connection hears it.

- publish() never blocks: events go to a bounded outbox that one sender thread drains with
  `SELECT pg_notify(...)` on its own autocommit connection (reconnecting when it drops).
- The first subscribe() starts one listener thread per process: `LISTEN hubbub_live` on its own
  connection, every notification handed to an InProcessChannel that fans it out to this
  process's subscribers. After the link is lost and found again, every subscriber here gets a
  "resync" (events in between are gone).
- One channel for all users: each web process receives every event and keeps those of the
  users it serves. NOTIFY payloads are limited to 8000 bytes, so an event carries at most
  MAX_IDS item ids (views only use the feeds and the count).
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

from hubbub.timeline.live import InProcessChannel, LiveEvent

log = logging.getLogger(__name__)
CHANNEL = "hubbub_live"
MAX_IDS = 500
OUTBOX = 10_000
RECONNECT_MAX = 30.0

Connect = Callable[[], Any]  # -> an autocommit psycopg.Connection


def django_connect() -> Any:
    """A new autocommit connection with the default database's settings."""
    from django.db import connections

    wrapper = connections["default"]
    if wrapper.vendor != "postgresql":
        raise ValueError("HUBBUB_LIVE_BACKEND=postgres needs DATABASE_URL on PostgreSQL")
    connection = wrapper.get_new_connection(wrapper.get_connection_params())
    connection.autocommit = True
    return connection


def encode(event: LiveEvent) -> str:
    if len(event.item_ids) > MAX_IDS:
        event = replace(event, item_ids=event.item_ids[:MAX_IDS])
    return json.dumps(event.to_json(), separators=(",", ":"))


class PostgresChannel:
    def __init__(self, connect: Connect | None = None, *, channel: str = CHANNEL) -> None:
        if connect is None:
            from django.db import connections

            if connections["default"].vendor != "postgresql":
                raise ValueError("HUBBUB_LIVE_BACKEND=postgres needs DATABASE_URL on PostgreSQL")
        if not channel.replace("_", "").isalnum():
            raise ValueError(f"not a channel name: {channel!r}")
        self._connect = connect or django_connect
        self._channel = channel
        self._local = InProcessChannel()
        self._outbox: queue.Queue[LiveEvent | None] = queue.Queue(maxsize=OUTBOX)
        self._lock = threading.Lock()
        self._closed = threading.Event()
        self._listening = threading.Event()
        self._sender: threading.Thread | None = None
        self._listener: threading.Thread | None = None

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
    def _start(self, name: str, target: Callable[[], None]) -> None:
        if getattr(self, name) is not None:
            return
        with self._lock:
            if getattr(self, name) is None and not self._closed.is_set():
                thread = threading.Thread(target=target, daemon=True,
                                          name=f"hubbub-live{name}")
                setattr(self, name, thread)
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
                    connection = self._connect()
                connection.execute("SELECT pg_notify(%s, %s)", (self._channel, encode(pending)))
                pending, failures = None, 0
            except Exception as exc:
                failures += 1
                log.warning("live NOTIFY failed (%s); reconnecting", exc)
                _close(connection)
                connection = None
                self._closed.wait(min(RECONNECT_MAX, 0.2 * 2 ** failures))
        _close(connection)

    def _listen_loop(self) -> None:
        connection: Any = None
        failures = 0
        lost = False
        while not self._closed.is_set():
            try:
                connection = self._connect()
                connection.execute(f"LISTEN {self._channel}")
                self._listening.set()
                if lost:
                    self._local.publish_to_all("resync")
                failures = 0
                while not self._closed.is_set():
                    for notify in connection.notifies(timeout=1.0):
                        self._dispatch(notify.payload)
            except Exception as exc:
                if self._closed.is_set():
                    break
                self._listening.clear()
                lost = True
                failures += 1
                log.warning("live LISTEN link lost (%s); reconnecting", exc)
                _close(connection)
                connection = None
                self._closed.wait(min(RECONNECT_MAX, 0.2 * 2 ** failures))
        _close(connection)

    def _dispatch(self, payload: str) -> None:
        try:
            event = LiveEvent.from_json(json.loads(payload))
        except (ValueError, KeyError, TypeError):
            log.info("ignored an unreadable live notification")
            return
        if self._local.subscriber_count(event.user_id):
            self._local.publish(event)


def _close(connection: Any) -> None:
    if connection is not None:
        try:
            connection.close()
        except Exception:
            log.debug("closing a live connection failed", exc_info=True)
