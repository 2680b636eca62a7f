"""The live channel across processes through Redis pub/sub (HUBBUB_LIVE_BACKEND=redis).

The same shape as live_postgres.py, for deployments that run Redis anyway or whose database is
not PostgreSQL:

- publish() never blocks: events go to a bounded outbox that one sender thread drains with
  PUBLISH on its own connection (reconnecting with backoff when Redis goes away).
- The first subscribe() starts one listener thread per process: SUBSCRIBE on its own
  connection, every message handed to an InProcessChannel that fans it out to this process's
  subscribers. After the link is lost and found again, every subscriber here gets a "resync"
  (Redis keeps nothing for a subscriber that was away).
- One Redis channel for all users: each web process hears every event and keeps those of the
  users it serves. Pub/sub is not per database, so HUBBUB_REDIS_CHANNEL tells apart several
  hubs on one Redis.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import queue
import secrets
import threading
from collections.abc import AsyncIterator, Callable
from typing import Any

from hubbub.timeline.live import InProcessChannel, LiveEvent

log = logging.getLogger(__name__)
CHANNEL = "hubbub_live"
OUTBOX = 10_000
RECONNECT_MAX = 30.0
HEALTH_CHECK_SECONDS = 15  # the listener pings this often, so a dead link is noticed

Connect = Callable[[str], Any]  # (role) -> a redis.Redis client


def redis_connect(url: str, tag: str = "") -> Connect:
    """Clients for `url`, named `hubbub-live-<role>-<tag>` (Redis's CLIENT LIST shows them)."""
    import redis

    tag = tag or secrets.token_hex(3)

    def connect(role: str) -> Any:
        return redis.Redis.from_url(
            url, client_name=f"hubbub-live-{role}-{tag}", socket_connect_timeout=5,
            socket_timeout=None if role == "listen" else 5,
            health_check_interval=HEALTH_CHECK_SECONDS,
        )

    return connect


def encode(event: LiveEvent) -> str:
    return json.dumps(event.to_json(), separators=(",", ":"))


class RedisChannel:
    def __init__(self, connect: Connect | None = None, *, channel: str | None = None) -> None:
        if connect is None or channel is None:
            from django.conf import settings

            if connect is None:
                connect = redis_connect(str(getattr(settings, "HUBBUB_REDIS_URL", "")
                                            or "redis://127.0.0.1:6379/0"))
            if channel is None:
                channel = str(getattr(settings, "HUBBUB_REDIS_CHANNEL", "") or CHANNEL)
        self._connect = connect
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
                                          name=f"hubbub-live-redis{name}")
                setattr(self, name, thread)
                thread.start()

    def _send_loop(self) -> None:
        client: Any = None
        pending: LiveEvent | None = None
        failures = 0
        while not self._closed.is_set():
            if pending is None:
                pending = self._outbox.get()
                if pending is None:
                    break
            try:
                if client is None:
                    client = self._connect("send")
                client.publish(self._channel, encode(pending))
                pending, failures = None, 0
            except Exception as exc:
                failures += 1
                log.warning("live PUBLISH failed (%s); reconnecting", exc)
                _close(client)
                client = None
                self._closed.wait(min(RECONNECT_MAX, 0.2 * 2 ** failures))
        _close(client)

    def _listen_loop(self) -> None:
        client: Any = None
        pubsub: Any = None
        failures = 0
        lost = False
        while not self._closed.is_set():
            try:
                client = self._connect("listen")
                pubsub = client.pubsub()
                pubsub.subscribe(self._channel)
                while not self._closed.is_set():
                    message = pubsub.get_message(timeout=1.0)
                    if message is None:
                        continue
                    if message.get("type") == "subscribe":
                        self._listening.set()
                        if lost:
                            self._local.publish_to_all("resync")
                            lost = False
                        failures = 0
                    elif message.get("type") == "message":
                        self._dispatch(message.get("data"))
            except Exception as exc:
                if self._closed.is_set():
                    break
                self._listening.clear()
                lost = True
                failures += 1
                log.warning("live SUBSCRIBE link lost (%s); reconnecting", exc)
                _close(pubsub)
                _close(client)
                pubsub = client = None
                self._closed.wait(min(RECONNECT_MAX, 0.2 * 2 ** failures))
        _close(pubsub)
        _close(client)

    def _dispatch(self, payload: Any) -> None:
        try:
            text = payload.decode() if isinstance(payload, bytes) else str(payload)
            event = LiveEvent.from_json(json.loads(text))
        except (ValueError, KeyError, TypeError, UnicodeDecodeError):
            log.info("ignored an unreadable live message")
            return
        if self._local.subscriber_count(event.user_id):
            self._local.publish(event)


def _close(thing: Any) -> None:
    if thing is not None:
        try:
            thing.close()
        except Exception:
            log.debug("closing a live Redis connection failed", exc_info=True)
