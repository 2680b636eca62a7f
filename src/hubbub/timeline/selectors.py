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
from hubbub.listening.models import ColumnEntry, ItemMark
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
                limit: int = PAGE_SIZE, feeds: Sequence[Feed] | None = None) -> list[Item]:
    """Items of the column, newest first: the first page, or the page after `before` (the
    cursor of the last item shown). Each Item has `.connection` loaded. `feeds`: what
    column_feeds(column) gave, when the caller read them already (the column's page shows
    them too); never any other list."""
    if feeds is None:
        feeds = column_feeds(column)
    return _page(feeds, before=before, limit=limit, column=column)


def items_after(column: Column, after: Cursor, *, limit: int = MAX_PAGE) -> list[Item]:
    """Items newer than `after` (the top item shown), newest first; at most `limit`, the ones
    right above `after` when there are more (ask again from the newest of them for the rest)."""
    feeds = column_feeds(column)
    return _page(feeds, after=after, limit=limit, column=column)


def items_among(column: Column, ids: Sequence[int], *, limit: int = MAX_PAGE) -> list[Item]:
    """Those of `ids` that the column shows, newest first; at most `limit` of them. For items the
    live deck heard were stored but that are older than its newest item (a poll that brought
    them after the stream brought newer ones): items_after cannot see them."""
    wanted = _unique(ids)[:limit]
    if not wanted:
        return []
    return _page(column_feeds(column), among=wanted, limit=len(wanted), column=column)


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
          among: Sequence[int] = (), limit: int, column: Column | None = None) -> list[Item]:
    """A page of the feeds' items; with `column`, also the items rules sent to it, and for an
    allow-list column only those the list let through (listening/). Items a rule hides are
    left out inside each range scan (a primary-key probe of the rules' marks a row)."""
    if column is not None and _allow_list(column):
        sources = [("column", column.pk)]
    else:
        sources = [("feed", f.pk) for f in feeds]
        if column is not None:
            sources.append(("column", column.pk))
    if not feeds and column is None:
        return []
    limit = max(1, min(int(limit), MAX_PAGE))
    rows = _entry_rows(sources, before=before, after=after, among=among, limit=limit)
    if not rows:
        return []
    ids = list(rows)
    by_id = Item.objects.in_bulk(ids)
    connections = {f.connection_id: f.connection for f in feeds}
    missing = {i.connection_id for i in by_id.values()} - set(connections)
    if missing and column is not None:  # items a rule sent here from the person's other accounts
        owner = Deck.objects.filter(pk=column.deck_id).values("user_id")[:1]
        connections.update(Connection.objects.filter(user_id=owner).in_bulk(missing))
    items: list[Item] = []
    for pk in ids:
        item = by_id.get(pk)
        # Deleted between the two reads, or (never written so, but never shown either) an item
        # of a connection that is not the column owner's.
        if item is None or item.connection_id not in connections:
            continue
        item.connection = connections[item.connection_id]
        item.rule_priority, item.rule_read = rows[pk]  # type: ignore[attr-defined]
        items.append(item)
    return items


def _allow_list(column: Column) -> bool:
    return isinstance(column.filters, dict) and bool(column.filters.get("only"))


def _entry_rows(sources: Sequence[tuple[str, int]], *, before: Cursor | None,
                after: Cursor | None, among: Sequence[int] = (),
                limit: int) -> dict[int, tuple[bool, bool]]:
    """Item id -> (priority, read) by the rules, in column order (newest first), at most
    `limit`. A source is ("feed", feed id): FeedEntry, or ("column", column id): the rules'
    ColumnEntry. With `among`, only those items (each a probe of the source's (source, item)
    unique index)."""
    tables = {"feed": (db.ops.quote_name(FeedEntry._meta.db_table), "feed_id"),
              "column": (db.ops.quote_name(ColumnEntry._meta.db_table), "column_id")}
    mark_table = db.ops.quote_name(ItemMark._meta.db_table)
    now = db.ops.adapt_datetimefield_value(timezone.now())
    arms: list[str] = []
    params: list[Any] = []
    newer = after is not None
    for n, (kind, key) in enumerate(sources):
        table, key_column = tables[kind]
        where, arm_params = _window(key_column, key, before=before, after=after, among=among)
        order = ("e.created_at ASC, e.item_id ASC" if newer
                 else "e.created_at DESC, e.item_id DESC")
        # Only quoted table names and fixed SQL are formatted in; every value is a parameter.
        inner = (f"SELECT e.item_id, e.created_at, m.priority, m.read FROM {table} e "  # noqa: S608
                 f"LEFT JOIN {mark_table} m ON m.item_id = e.item_id WHERE {where} "
                 f"AND (m.hidden_until IS NULL OR m.hidden_until <= %s) "
                 f"ORDER BY {order} LIMIT %s")
        if len(sources) == 1:
            arms.append(inner)
        else:
            # Each arm is its own LIMITed index scan; SQLite allows no ORDER BY/LIMIT on the
            # arms of a compound SELECT themselves, hence the subquery.
            arms.append(f"SELECT item_id, created_at, priority, read "  # noqa: S608
                        f"FROM ({inner}) AS arm{n}")
        params.extend([*arm_params, now, limit])
    sql = " UNION ALL ".join(arms)
    if len(sources) > 1:
        sql += (" ORDER BY created_at ASC, item_id ASC" if newer
                else " ORDER BY created_at DESC, item_id DESC")
    with db.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    marks: dict[int, tuple[bool, bool]] = {row[0]: (bool(row[2]), bool(row[3])) for row in rows}
    ids = _unique(row[0] for row in rows)
    # With `after`: the `limit` items right after the cursor, shown newest first.
    chosen = list(reversed(ids[:limit])) if newer else ids[:limit]
    return {pk: marks[pk] for pk in chosen}


def _window(key_column: str, key: int, *, before: Cursor | None,
            after: Cursor | None, among: Sequence[int] = ()) -> tuple[str, list[Any]]:
    """WHERE for one feed's (or column's) range. `created_at <= t AND (created_at < t OR
    item_id < id)` lets the index seek to t and filter only the rows that share t."""
    if among:
        marks = ", ".join(["%s"] * len(among))
        return f"e.{key_column} = %s AND e.item_id IN ({marks})", [key, *among]
    if before is not None:
        at = db.ops.adapt_datetimefield_value(before[0])
        return (f"e.{key_column} = %s AND e.created_at <= %s "
                "AND (e.created_at < %s OR e.item_id < %s)", [key, at, at, before[1]])
    if after is not None:
        at = db.ops.adapt_datetimefield_value(after[0])
        return (f"e.{key_column} = %s AND e.created_at >= %s "
                "AND (e.created_at > %s OR e.item_id > %s)", [key, at, at, after[1]])
    return f"e.{key_column} = %s", [key]


def _unique(ids: Iterable[int]) -> list[int]:
    return list(dict.fromkeys(ids))
