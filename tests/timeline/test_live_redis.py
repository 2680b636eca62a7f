"""The live channel across processes through Redis pub/sub (HUBBUB_LIVE_BACKEND=redis), against
the local Redis at 127.0.0.1:6379: two channels stand for the worker and the web process. The
same checks the PostgreSQL backend passes, plus its choice by setting."""

from __future__ import annotations

import asyncio
import secrets
import threading
from collections.abc import AsyncGenerator, AsyncIterator, Iterator
from typing import Any, cast

import pytest

from hubbub.timeline import live
from hubbub.timeline.live import LiveEvent
from hubbub.timeline.live_redis import RedisChannel, redis_connect

redis = pytest.importorskip("redis")
URL = "redis://127.0.0.1:6379/0"


@pytest.fixture
def pair() -> Iterator[tuple[RedisChannel, RedisChannel]]:
    try:
        redis.Redis.from_url(URL, socket_connect_timeout=2).ping()
    except redis.RedisError:
        pytest.skip("Redis does not answer on 127.0.0.1:6379")
    name = f"hubbub_live_test_{secrets.token_hex(4)}"
    worker = RedisChannel(redis_connect(URL), channel=name)
    web = RedisChannel(redis_connect(URL), channel=name)
    yield worker, web
    worker.close()
    web.close()


async def _next(events: AsyncIterator[LiveEvent], timeout: float = 5.0) -> LiveEvent:
    return await asyncio.wait_for(anext(events), timeout)


def _subscribe(channel: RedisChannel, user_id: int) -> AsyncGenerator[LiveEvent]:
    return cast(AsyncGenerator[LiveEvent], channel.subscribe(user_id, ready=True))


def test_an_event_published_in_one_process_reaches_a_subscriber_in_another(
        pair: tuple[RedisChannel, RedisChannel]) -> None:
    worker, web = pair

    async def main() -> None:
        events = _subscribe(web, 41)
        assert (await _next(events)).kind == "ready"
        worker.publish(LiveEvent("items", 99, feed_ids=(1,)))  # someone else's
        worker.publish(LiveEvent("items", 41, feed_ids=(3,), item_ids=(7, 8)))
        worker.publish(LiveEvent("removed", 41, feed_ids=(3,), item_ids=(7,)))
        got = await _next(events)
        assert (got.kind, got.user_id, got.feed_ids, got.item_ids) == ("items", 41, (3,), (7, 8))
        assert (await _next(events)).kind == "removed"
        with pytest.raises(TimeoutError):
            await _next(events, 0.3)
        await events.aclose()

    asyncio.run(main())


def test_events_from_worker_threads_keep_their_order_per_publisher(
        pair: tuple[RedisChannel, RedisChannel]) -> None:
    worker, web = pair

    async def main() -> None:
        events = _subscribe(web, 5)
        await _next(events)

        def burst() -> None:
            for n in range(50):
                worker.publish(LiveEvent("items", 5, item_ids=(n,)))

        thread = threading.Thread(target=burst)
        thread.start()
        got = [(await _next(events)).item_ids[0] for _ in range(50)]
        thread.join()
        assert got == list(range(50))
        await events.aclose()

    asyncio.run(main())


def test_a_lost_link_is_found_again_and_subscribers_resync(
        pair: tuple[RedisChannel, RedisChannel]) -> None:
    worker, _ = pair
    tag = secrets.token_hex(4)
    web = RedisChannel(redis_connect(URL, tag), channel=worker._channel)

    async def main() -> None:
        events = _subscribe(web, 42)
        await _next(events)
        admin = redis.Redis.from_url(URL)
        # Only this listener, by its name: whatever else uses this Redis is left alone.
        [listener] = [c for c in admin.client_list()
                      if c.get("name") == f"hubbub-live-listen-{tag}"]
        assert admin.client_kill_filter(_id=listener["id"]) == 1
        assert (await _next(events, 10)).kind == "resync"
        worker.publish(LiveEvent("items", 42, feed_ids=(5,)))
        assert (await _next(events)).feed_ids == (5,)
        await events.aclose()
        admin.close()

    try:
        asyncio.run(main())
    finally:
        web.close()


def test_the_backend_is_chosen_by_setting(settings: Any) -> None:
    settings.HUBBUB_LIVE_BACKEND = "redis"
    settings.HUBBUB_REDIS_CHANNEL = f"hubbub_live_test_{secrets.token_hex(4)}"
    live.get_channel.cache_clear()
    try:
        channel = live.get_channel()
        assert isinstance(channel, RedisChannel)
        assert channel._channel == settings.HUBBUB_REDIS_CHANNEL
    finally:
        live.get_channel.cache_clear()
