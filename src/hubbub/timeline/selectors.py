"""Reads for the deck: column pages, what is new above them, a person's feeds.

Built for millions of rows. A column page is one index range scan per feed on
FeedEntry(feed, -created_at, -item): a merged column is a UNION ALL of per-feed scans, each
LIMITed, so its cost grows with the number of feeds and the page size, never with the history.
Items are then read by primary key.

Every selector keeps to the column's owner: only feeds of connections that belong to the user
who owns the column's deck are read, whatever the column's feed list says.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from django.contrib.auth.models import User
from django.db import connection as db
from django.db.models import QuerySet
from django.utils import timezone

from hubbub.connections.models import Connection
from hubbub.timeline.models import Column, Deck, Feed, FeedEntry, Item

Cursor = tuple[datetime, int]  # (created_at, item id) of an item: pages go strictly past it
PAGE_SIZE = 40
MAX_PAGE = 200


def feeds_for_user(user: User) -> QuerySet[Feed]:
    """The person's feeds, with their connections (disconnected ones included: their items
    stay readable)."""
    return Feed.objects.filter(connection__user=user).select_related("connection")


def ensure_feed(connection: Connection, key: str) -> Feed:
    """The feed `key` of this connection, made when missing. A new feed is due for its first
    poll at once."""
    feed, _created = Feed.objects.get_or_create(
        connection=connection, key=key, defaults={"next_poll_at": timezone.now()}
    )
    return feed


def column_feeds(column: Column) -> list[Feed]:
    """The column's feeds that belong to the column's owner, with their connections."""
    owner = Deck.objects.filter(pk=column.deck_id).values("user_id")[:1]
    return list(
        Feed.objects.filter(columns=column, connection__user_id=owner)
        .select_related("connection")
        .order_by("pk")
    )


def column_page(column: Column, *, before: Cursor | None = None,
                limit: int = PAGE_SIZE) -> list[Item]:
    """Items of the column, newest first: the first page, or the page after `before` (the
    cursor of the last item shown). Each Item has `.connection` loaded."""
    feeds = column_feeds(column)
    return _page(feeds, before=before, limit=limit)


def items_after(column: Column, after: Cursor, *, limit: int = MAX_PAGE) -> list[Item]:
    """Items newer than `after` (the top item shown), newest first; at most `limit`, the ones
    right above `after` when there are more (ask again from the newest of them for the rest)."""
    feeds = column_feeds(column)
    return _page(feeds, after=after, limit=limit)


def feed_page(feed: Feed, *, before: Cursor | None = None, limit: int = PAGE_SIZE,
              user: User | None = None) -> list[Item]:
    """One feed's items, newest first (for the benchmark and the API). With `user`, nothing
    unless the feed belongs to them."""
    if user is not None and not Feed.objects.filter(pk=feed.pk, connection__user=user).exists():
        return []
    return _page([feed], before=before, limit=limit)


def cursor_of(item: Item) -> Cursor:
    return (item.created_at, item.pk)


# --- the queries ------------------------------------------------------------------------------


def _page(feeds: Sequence[Feed], *, before: Cursor | None = None, after: Cursor | None = None,
          limit: int) -> list[Item]:
    if not feeds:
        return []
    limit = max(1, min(int(limit), MAX_PAGE))
    ids = _entry_item_ids([f.pk for f in feeds], before=before, after=after, limit=limit)
    if not ids:
        return []
    by_id = Item.objects.in_bulk(ids)
    connections = {f.connection_id: f.connection for f in feeds}
    items: list[Item] = []
    for pk in ids:
        item = by_id.get(pk)
        if item is None:  # deleted between the two reads
            continue
        item.connection = connections[item.connection_id]
        items.append(item)
    return items


def _entry_item_ids(feed_ids: Sequence[int], *, before: Cursor | None, after: Cursor | None,
                    limit: int) -> list[int]:
    """Item ids in column order (newest first), deduplicated, at most `limit`."""
    table = db.ops.quote_name(FeedEntry._meta.db_table)
    arms: list[str] = []
    params: list[Any] = []
    newer = after is not None
    for n, feed_id in enumerate(feed_ids):
        where, arm_params = _window(feed_id, before=before, after=after)
        order = "created_at ASC, item_id ASC" if newer else "created_at DESC, item_id DESC"
        # Only the quoted table name and fixed SQL are formatted in; every value is a parameter.
        inner = f"SELECT item_id, created_at FROM {table} WHERE {where} ORDER BY {order} LIMIT %s"  # noqa: S608
        if len(feed_ids) == 1:
            arms.append(inner)
        else:
            # Each arm is its own LIMITed index scan; SQLite allows no ORDER BY/LIMIT on the
            # arms of a compound SELECT themselves, hence the subquery.
            arms.append(f"SELECT item_id, created_at FROM ({inner}) AS arm{n}")  # noqa: S608
        params.extend([*arm_params, limit])
    sql = " UNION ALL ".join(arms)
    if len(feed_ids) > 1:
        sql += (" ORDER BY created_at ASC, item_id ASC" if newer
                else " ORDER BY created_at DESC, item_id DESC")
    with db.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    ids = _unique(row[0] for row in rows)
    if newer:
        # The `limit` items right after the cursor, shown newest first.
        return list(reversed(ids[:limit]))
    return ids[:limit]


def _window(feed_id: int, *, before: Cursor | None,
            after: Cursor | None) -> tuple[str, list[Any]]:
    """WHERE for one feed's range. `created_at <= t AND (created_at < t OR item_id < id)` lets
    the index seek to t and filter only the rows that share t."""
    if before is not None:
        at = db.ops.adapt_datetimefield_value(before[0])
        return ("feed_id = %s AND created_at <= %s AND (created_at < %s OR item_id < %s)",
                [feed_id, at, at, before[1]])
    if after is not None:
        at = db.ops.adapt_datetimefield_value(after[0])
        return ("feed_id = %s AND created_at >= %s AND (created_at > %s OR item_id > %s)",
                [feed_id, at, at, after[1]])
    return "feed_id = %s", [feed_id]


def _unique(ids: Iterable[int]) -> list[int]:
    return list(dict.fromkeys(ids))
