"""The deck's one door to the data side (selectors, live channel, polling).

The data side is built at the same time as the deck. Until its modules land, the small local
versions below stand in for them with the agreed signatures; each call goes to the real one as
soon as its module exists, and this file goes away once all of them do."""

from __future__ import annotations

import importlib
from collections.abc import AsyncIterator, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from typing import TYPE_CHECKING, Any

from django.db.models import Q, QuerySet
from django.utils import timezone

from hubbub.timeline.models import Column, Feed, FeedEntry, Item

if TYPE_CHECKING:
    from hubbub.connections.models import Connection

Cursor = tuple[datetime, int]


def _entries(column: Column) -> QuerySet[FeedEntry]:
    return FeedEntry.objects.filter(feed__in=column.feeds.all())


def _unique(entries: Iterable[FeedEntry], limit: int) -> list[Item]:
    seen: set[int] = set()
    found: list[Item] = []
    for entry in entries:
        if entry.item_id not in seen:
            seen.add(entry.item_id)
            found.append(entry.item)
            if len(found) >= limit:
                break
    return found


def _local_column_page(column: Column, *, before: Cursor | None = None,
                       limit: int = 40) -> list[Item]:
    qs = _entries(column)
    if before is not None:
        at, pk = before
        qs = qs.filter(Q(created_at__lt=at) | Q(created_at=at, item_id__lt=pk))
    rows = qs.select_related("item").order_by("-created_at", "-item_id")[: limit * 2]
    return _unique(rows, limit)


def _local_items_after(column: Column, after: Cursor) -> list[Item]:
    at, pk = after
    qs = _entries(column).filter(Q(created_at__gt=at) | Q(created_at=at, item_id__gt=pk))
    rows = list(qs.select_related("item").order_by("created_at", "item_id")[:400])
    return list(reversed(_unique(rows, 200)))


def _local_ensure_feed(connection: Connection, key: str) -> Feed:
    feed, _ = Feed.objects.get_or_create(connection=connection, key=key)
    return feed


def _local_mark_watched(feeds: Iterable[Feed]) -> None:
    Feed.objects.filter(pk__in=[f.pk for f in feeds]).update(watched_at=timezone.now())


def _local_load_older(feed: Feed) -> int:
    return 0


class _QuietChannel:
    async def subscribe(self, user_id: int, *, heartbeat: float | None = None,
                        ready: bool = False) -> AsyncIterator[Any]:
        import asyncio

        while True:
            await asyncio.sleep(heartbeat or 3600)
            yield _Ping(user_id)


@dataclass(frozen=True)
class _Ping:
    user_id: int
    kind: str = "ping"
    feed_ids: tuple[int, ...] = ()
    item_ids: tuple[int, ...] = ()
    detail: str = ""


@cache
def _real(module: str, name: str) -> Any:
    """The data side's function, or None while its module has not landed."""
    try:
        return getattr(importlib.import_module(f"hubbub.timeline.{module}"), name)
    except (ImportError, AttributeError):
        return None


def column_page(column: Column, *, before: Cursor | None = None, limit: int = 40) -> list[Item]:
    real = _real("selectors", "column_page")
    if real is not None:
        return list(real(column, before=before, limit=limit))
    return _local_column_page(column, before=before, limit=limit)


def items_after(column: Column, after: Cursor) -> list[Item]:
    real = _real("selectors", "items_after")
    return list(real(column, after)) if real is not None else _local_items_after(column, after)


def ensure_feed(connection: Connection, key: str) -> Feed:
    real = _real("selectors", "ensure_feed")
    if real is not None:
        feed: Feed = real(connection, key)
        return feed
    return _local_ensure_feed(connection, key)


def mark_watched(feeds: Sequence[Feed]) -> None:
    real = _real("polling", "mark_watched")
    if real is not None:
        real(feeds)
    else:
        _local_mark_watched(feeds)


def load_older(feed: Feed) -> int:
    real = _real("polling", "load_older")
    return int(real(feed)) if real is not None else _local_load_older(feed)


def get_channel() -> Any:
    real = _real("live", "get_channel")
    return real() if real is not None else _QUIET


_QUIET = _QuietChannel()
