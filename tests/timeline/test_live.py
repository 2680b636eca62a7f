"""The in-process live channel: publish from worker threads, subscribe on an event loop."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import AsyncIterator

import pytest

from hubbub.timeline import live
from hubbub.timeline.live import QUEUE_SIZE, InProcessChannel, LiveEvent


async def _next(events: AsyncIterator[LiveEvent], timeout: float = 2.0) -> LiveEvent:
    return await asyncio.wait_for(anext(events), timeout)


def test_events_published_from_threads_reach_the_right_subscriber() -> None:
    channel = InProcessChannel()

    async def main() -> None:
        mine = channel.subscribe(1, ready=True)
        theirs = channel.subscribe(2, ready=True)
        assert (await _next(mine)).kind == "ready"
        assert (await _next(theirs)).kind == "ready"
        threads = [
            threading.Thread(target=channel.publish,
                             args=(LiveEvent("items", 1, feed_ids=(n,), item_ids=(n,)),))
            for n in range(20)
        ]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        channel.publish(LiveEvent("items", 2, feed_ids=(99,)))
        got = {(await _next(mine)).feed_ids[0] for _ in range(20)}
        assert got == set(range(20))
        assert (await _next(theirs)).feed_ids == (99,)
        with pytest.raises(TimeoutError):
            await _next(theirs, 0.1)
        await mine.aclose()
        await theirs.aclose()
        assert channel.subscriber_count(1) == channel.subscriber_count(2) == 0

    asyncio.run(main())


def test_publish_never_blocks_and_a_slow_subscriber_gets_one_resync() -> None:
    channel = InProcessChannel()

    async def main() -> None:
        events = channel.subscribe(7, ready=True)
        await _next(events)
        for n in range(QUEUE_SIZE * 3):
            channel.publish(LiveEvent("items", 7, item_ids=(n,)))
        await asyncio.sleep(0.05)  # let the loop run the deliveries
        first = await _next(events)
        assert first.kind == "resync"
        # What arrived after the overflow follows the resync; nothing piled up beyond the bound.
        rest = []
        while True:
            try:
                rest.append(await _next(events, 0.05))
            except TimeoutError:
                break
        assert len(rest) < QUEUE_SIZE
        await events.aclose()

    asyncio.run(main())


def test_heartbeat_pings_come_on_time_even_while_events_flow() -> None:
    channel = InProcessChannel()

    async def main() -> None:
        events = channel.subscribe(8, heartbeat=0.1, ready=True)
        await _next(events)
        stop = asyncio.Event()

        async def chatter() -> None:
            while not stop.is_set():
                channel.publish(LiveEvent("items", 8))
                await asyncio.sleep(0.01)

        task = asyncio.create_task(chatter())
        kinds = []
        started = asyncio.get_running_loop().time()
        while asyncio.get_running_loop().time() - started < 0.55:
            kinds.append((await _next(events)).kind)
        stop.set()
        await task
        await events.aclose()
        assert kinds.count("items") > 20
        assert 4 <= kinds.count("ping") <= 6

    asyncio.run(main())


def test_heartbeat_pings_when_idle_and_cancel_unsubscribes() -> None:
    channel = InProcessChannel()

    async def main() -> None:
        async def consume(out: list[LiveEvent]) -> None:
            async for event in channel.subscribe(3, heartbeat=0.05):
                out.append(event)

        seen: list[LiveEvent] = []
        task = asyncio.create_task(consume(seen))
        await asyncio.sleep(0.2)
        assert channel.subscriber_count(3) == 1
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        assert channel.subscriber_count(3) == 0
        assert seen
        assert all(e.kind == "ping" for e in seen)

    asyncio.run(main())


def test_publishing_to_a_closed_loop_drops_that_subscriber() -> None:
    channel = InProcessChannel()
    loop = asyncio.new_event_loop()
    events = channel.subscribe(5, ready=True)
    loop.run_until_complete(anext(events))
    loop.close()
    channel.publish(LiveEvent("items", 5))  # no error, no block
    assert channel.subscriber_count(5) == 0


def test_events_round_trip_as_json_and_the_backend_is_chosen_by_setting(
        settings: object) -> None:
    event = LiveEvent("items", 4, feed_ids=(1, 2), item_ids=(3,), detail="x")
    assert LiveEvent.from_json(event.to_json()) == event
    live.get_channel.cache_clear()
    try:
        assert isinstance(live.get_channel(), InProcessChannel)
        live.get_channel.cache_clear()
        settings.HUBBUB_LIVE_BACKEND = "carrier-pigeon"  # type: ignore[attr-defined]
        with pytest.raises(ValueError, match="carrier-pigeon"):
            live.get_channel()
    finally:
        live.get_channel.cache_clear()
