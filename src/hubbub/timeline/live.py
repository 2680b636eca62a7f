"""The live channel: what changed in a person's feeds, from the threads that ingest to the
async views that hold open screens (SSE).

One interface, `LiveChannel`: `publish(event)` from any thread, never blocking, and
`subscribe(user_id)`, an async iterator for an async view. The engine is chosen by the setting
`HUBBUB_LIVE_BACKEND`:

- "inprocess" (default): asyncio queues per subscriber inside this process. Right for
  `hubbub serve`, where the web server and the worker threads share one process.
- "postgres": for web and worker in different processes or machines (`hubbub web` +
  `hubbub worker` on PostgreSQL). Events cross as `LiveEvent.to_json()` through NOTIFY on one
  channel; every process that has subscribers LISTENs and fans them out locally exactly as the
  in-process engine does (live_postgres.py).
- "redis": the same through Redis pub/sub (HUBBUB_REDIS_URL; live_redis.py), for web and worker
  apart on any database.

Events say what changed, never what to show: the view asks the selectors for the items, so an
event that is lost costs a moment's delay, never a wrong screen. A subscriber that falls too far
behind gets one "resync" event instead of an ever-growing queue.
"""

from __future__ import annotations

import logging
from functools import cache

from django.conf import settings

from hubbub.timeline.live_local import (
    QUEUE_SIZE,
    EventKind,
    InProcessChannel,
    LiveChannel,
    LiveEvent,
)
from hubbub.timeline.live_postgres import PostgresChannel
from hubbub.timeline.live_redis import RedisChannel

__all__ = ["QUEUE_SIZE", "EventKind", "InProcessChannel", "LiveChannel", "LiveEvent",
           "get_channel", "publish", "publish_feed_state"]
log = logging.getLogger(__name__)


@cache
def get_channel() -> LiveChannel:
    """The process's channel, as HUBBUB_LIVE_BACKEND chooses."""
    backend = str(getattr(settings, "HUBBUB_LIVE_BACKEND", "inprocess") or "inprocess")
    if backend == "inprocess":
        return InProcessChannel()
    if backend == "postgres":
        return PostgresChannel()
    if backend == "redis":
        return RedisChannel()
    raise ValueError(
        f"HUBBUB_LIVE_BACKEND={backend!r} is not available: use 'inprocess' (one process serves "
        "web and worker), 'postgres' (web and worker apart, on PostgreSQL) or 'redis' (web and "
        "worker apart, through Redis at HUBBUB_REDIS_URL)."
    )


def publish(event: LiveEvent) -> None:
    """Publish on the process's channel; a failing channel never fails the caller."""
    try:
        get_channel().publish(event)
    except Exception:
        log.exception("live event for user %s was not published", event.user_id)


def publish_feed_state(user_id: int, feed_id: int, detail: str) -> None:
    publish(LiveEvent("feed", user_id, feed_ids=(feed_id,), detail=detail))
