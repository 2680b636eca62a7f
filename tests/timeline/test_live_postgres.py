"""The live channel across processes through PostgreSQL LISTEN/NOTIFY (HUBBUB_LIVE_BACKEND=
postgres): two channels stand for the worker and the web process."""

from __future__ import annotations

import asyncio
import json
import secrets
from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest

from hubbub.timeline.live import LiveEvent
from hubbub.timeline.live_postgres import MAX_IDS, PostgresChannel, encode

psycopg = pytest.importorskip("psycopg")
URL = "postgresql://root@127.0.0.1:5432/postgres"


def _connect() -> Any:
    return psycopg.connect(URL, autocommit=True)


@pytest.fixture
def pair() -> Iterator[tuple[PostgresChannel, PostgresChannel]]:
    try:
        _connect().close()
    except psycopg.OperationalError:
        pytest.skip("PostgreSQL does not answer on 127.0.0.1:5432")
    name = f"hubbub_live_test_{secrets.token_hex(4)}"
    worker, web = PostgresChannel(_connect, channel=name), PostgresChannel(_connect, channel=name)
    yield worker, web
    worker.close()
    web.close()


async def _next(events: AsyncIterator[LiveEvent], timeout: float = 5.0) -> LiveEvent:
    return await asyncio.wait_for(anext(events), timeout)


def test_an_event_published_in_one_process_reaches_a_subscriber_in_another(
        pair: tuple[PostgresChannel, PostgresChannel]) -> None:
    worker, web = pair

    async def main() -> None:
        events = web.subscribe(41, ready=True)
        assert (await _next(events)).kind == "ready"
        worker.publish(LiveEvent("items", 99, feed_ids=(1,)))  # someone else's
        worker.publish(LiveEvent("items", 41, feed_ids=(3,), item_ids=(7, 8)))
        got = await _next(events)
        assert (got.kind, got.user_id, got.feed_ids, got.item_ids) == ("items", 41, (3,), (7, 8))
        with pytest.raises(TimeoutError):
            await _next(events, 0.3)
        await events.aclose()

    asyncio.run(main())


def test_a_lost_link_is_found_again_and_subscribers_resync(
        pair: tuple[PostgresChannel, PostgresChannel]) -> None:
    worker, web = pair

    async def main() -> None:
        events = web.subscribe(42, ready=True)
        await _next(events)
        with _connect() as admin:
            admin.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE query LIKE %s AND pid <> pg_backend_pid()",
                (f"LISTEN {web._channel}",),
            )
        assert (await _next(events, 10)).kind == "resync"
        worker.publish(LiveEvent("items", 42, feed_ids=(5,)))
        assert (await _next(events)).feed_ids == (5,)
        await events.aclose()

    asyncio.run(main())


def test_big_events_fit_in_a_notification() -> None:
    event = LiveEvent("items", 1, feed_ids=(1,), item_ids=tuple(range(10**12, 10**12 + 5000)))
    payload = encode(event)
    assert len(payload.encode()) < 8000
    assert len(LiveEvent.from_json(json.loads(payload)).item_ids) == MAX_IDS


def test_the_backend_needs_postgresql(settings: Any) -> None:
    from django.db import connections

    if connections["default"].vendor == "postgresql":
        pytest.skip("this run is on PostgreSQL")
    with pytest.raises(ValueError, match="PostgreSQL"):
        PostgresChannel()
