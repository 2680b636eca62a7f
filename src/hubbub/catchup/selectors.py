"""What arrived in the person's columns since a moment: how many items each column got, the
items the rules marked priority, and the most-engaged ones. The page and the Atom feed both
read it here.

Read as the deck reads (timeline/selectors.py): per column, one index range scan per feed on
FeedEntry(feed, -created_at, -item), plus the rules' ColumnEntry range (or only that, for an
allow-list column), with the rules' ItemMark joined by primary key so hidden items are neither
counted nor shown. Each scan stops after the newest `SCAN` entries since the moment, so the
cost is bounded by the number of columns and feeds, never by the history: a column that got
more shows "2,000 or more", and its priority and engaged items are looked for among its
newest 2,000.

Engagement is the sum of the reply, repost, like and quote counts the networks report with an
item (`extra["counts"]`, as of the last time the hub read it). Items without counts rank
nowhere; `CatchUp.uncounted` names the networks whose items came without any.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.contrib.auth.models import User
from django.db import connection as db
from django.utils import timezone

from hubbub.connections.models import Connection
from hubbub.listening.models import ColumnEntry, ItemMark
from hubbub.timeline.models import Column, FeedEntry, Item

SCAN = 2000  # newest entries read per feed (or rules' entries) of a column
PRIORITY_LIMIT = 50
ENGAGED_LIMIT = 20
COUNT_NAMES = ("reply", "repost", "like", "quote")
COUNT_WORDS = {"reply": ("reply", "replies"), "repost": ("repost", "reposts"),
               "like": ("like", "likes"), "quote": ("quote", "quotes")}
# SQLite refuses a compound SELECT of more than 500 arms; stay well below.
ARMS_PER_QUERY = 100


@dataclass(frozen=True)
class ColumnCount:
    column: Column
    count: int
    more: bool  # the scan stopped: at least `count`


@dataclass(frozen=True)
class Found:
    item: Item
    column: Column  # the first of the person's columns it shows in
    priority: bool
    score: int
    counts: dict[str, int] = field(default_factory=dict)

    @property
    def count_words(self) -> list[str]:
        """The counts that are not zero, in words: "3 replies", "1 like"."""
        return [f"{n:,} {COUNT_WORDS[name][n != 1]}" for name, n in self.counts.items() if n]


@dataclass(frozen=True)
class CatchUp:
    since: datetime
    columns: list[ColumnCount]
    priority: list[Found]
    engaged: list[Found]
    total: int  # distinct items over every column (at most what the scans read)
    more: bool  # some column's scan stopped
    uncounted: list[str]  # networks whose new items carried no counts

    @property
    def found(self) -> list[Found]:
        """Priority first, then the most engaged: what the page lists and the feed serves."""
        return [*self.priority, *self.engaged]


@dataclass
class _Row:
    column_id: int
    item_id: int
    created_at: Any
    priority: bool
    score: int
    has_counts: bool
    network: str


def columns_of(user: User) -> list[Column]:
    """The person's columns in deck order, each with `.own_feeds`: the feeds of the person's
    own connections (whatever a column's feed list says)."""
    columns = list(Column.objects.filter(deck__user=user).select_related("deck")
                   .order_by("deck__position", "deck__pk", "position", "pk"))
    links = (Column.feeds.through.objects
             .filter(column__deck__user=user, feed__connection__user=user)
             .values_list("column_id", "feed_id"))
    by_column: dict[int, list[int]] = {}
    for column_id, feed_id in links:
        by_column.setdefault(column_id, []).append(feed_id)
    for column in columns:
        column.own_feeds = sorted(by_column.get(column.pk, []))  # type: ignore[attr-defined]
    return columns


def catch_up(user: User, since: datetime, *, now: datetime | None = None) -> CatchUp:
    columns = columns_of(user)
    arms: list[tuple[int, str, int]] = []  # (column id, "feed" | "column", key)
    for column in columns:
        only = isinstance(column.filters, dict) and bool(column.filters.get("only"))
        if not only:
            arms.extend((column.pk, "feed", f) for f in column.own_feeds)  # type: ignore[attr-defined]
        arms.append((column.pk, "column", column.pk))
    rows: list[_Row] = []
    moment = now or timezone.now()
    for start in range(0, len(arms), ARMS_PER_QUERY):
        rows.extend(_scan(arms[start:start + ARMS_PER_QUERY], since, moment, user.pk))
    return _gather(columns, rows, since)


def _gather(columns: Sequence[Column], rows: Sequence[_Row], since: datetime) -> CatchUp:
    per_column: dict[int, set[int]] = {}
    truncated: set[int] = set()
    first_column: dict[int, int] = {}
    order = {c.pk: n for n, c in enumerate(columns)}
    best: dict[int, _Row] = {}
    counted: set[str] = set()
    seen_networks: set[str] = set()
    for row in rows:
        per_column.setdefault(row.column_id, set()).add(row.item_id)
        seen_networks.add(row.network)
        if row.has_counts:
            counted.add(row.network)
        known = first_column.get(row.item_id)
        if known is None or order[row.column_id] < order[known]:
            first_column[row.item_id] = row.column_id
        if row.item_id not in best or row.priority:
            best[row.item_id] = row
    for column_id, ids in per_column.items():
        if len(ids) > SCAN:  # one of its scans read SCAN + 1 entries: it stopped there
            truncated.add(column_id)
    counts = [ColumnCount(column=c, count=min(len(per_column.get(c.pk, ())), SCAN),
                          more=c.pk in truncated) for c in columns]
    priority_rows = sorted((r for r in best.values() if r.priority),
                           key=lambda r: (r.created_at, r.item_id), reverse=True)
    engaged_rows = sorted((r for r in best.values() if not r.priority and r.score > 0),
                          key=lambda r: (r.score, r.created_at, r.item_id), reverse=True)
    chosen = priority_rows[:PRIORITY_LIMIT] + engaged_rows[:ENGAGED_LIMIT]
    items = _items([r.item_id for r in chosen])
    by_pk = {c.pk: c for c in columns}
    found: list[Found] = []
    for row in chosen:
        item = items.get(row.item_id)
        if item is None:  # deleted between the two reads
            continue
        found.append(Found(item=item, column=by_pk[first_column[row.item_id]],
                           priority=row.priority, score=row.score, counts=counts_of(item)))
    return CatchUp(
        since=since,
        columns=counts,
        priority=[f for f in found if f.priority],
        engaged=[f for f in found if not f.priority],
        total=len(best),
        more=bool(truncated),
        uncounted=sorted(seen_networks - counted),
    )


def counts_of(item: Item) -> dict[str, int]:
    """The item's reply/repost/like/quote counts as stored: whole numbers, at least 0."""
    extra = item.extra if isinstance(item.extra, dict) else {}
    raw = extra.get("counts")
    if not isinstance(raw, dict):
        return {}
    return {name: max(0, value) for name in COUNT_NAMES
            if isinstance(value := raw.get(name), int) and not isinstance(value, bool)}


def _items(ids: Sequence[int]) -> dict[int, Item]:
    return Item.objects.select_related("connection").in_bulk(list(ids))


# --- the query --------------------------------------------------------------------------------


def _score_sql() -> tuple[str, str]:
    """SQL for an item's engagement (sum of its counts) and whether it has counts at all."""
    if db.vendor == "postgresql":
        terms = [f"CASE WHEN jsonb_typeof(i.extra #> '{{counts,{n}}}') = 'number' "
                 f"THEN (i.extra #>> '{{counts,{n}}}')::numeric ELSE 0 END" for n in COUNT_NAMES]
        has = "jsonb_typeof(i.extra -> 'counts') = 'object'"
    else:
        terms = [f"CASE WHEN json_type(i.extra, '$.counts.{n}') = 'integer' "
                 f"THEN MAX(json_extract(i.extra, '$.counts.{n}'), 0) ELSE 0 END"
                 for n in COUNT_NAMES]
        has = "json_type(i.extra, '$.counts') = 'object'"
    return " + ".join(terms), has


def _scan(arms: Sequence[tuple[int, str, int]], since: datetime, now: datetime,
          user_id: int) -> list[_Row]:
    if not arms:
        return []
    quote = db.ops.quote_name
    tables = {"feed": (quote(FeedEntry._meta.db_table), "feed_id"),
              "column": (quote(ColumnEntry._meta.db_table), "column_id")}
    mark_table = quote(ItemMark._meta.db_table)
    item_table = quote(Item._meta.db_table)
    connection_table = quote(Connection._meta.db_table)
    score, has = _score_sql()
    since_value = db.ops.adapt_datetimefield_value(since)
    now_value = db.ops.adapt_datetimefield_value(now)
    parts: list[str] = []
    params: list[Any] = []
    for n, (column_id, kind, key) in enumerate(arms):
        table, key_column = tables[kind]
        # Items a rule sent to a column are the column owner's only (defence in depth).
        owner = (f" AND i.connection_id IN (SELECT c.id FROM {connection_table} c "  # noqa: S608
                 f"WHERE c.user_id = %s)" if kind == "column" else "")
        # Only quoted table names and fixed SQL are formatted in; every value is a parameter.
        inner = (f"SELECT e.item_id, e.created_at, m.priority AS priority, "  # noqa: S608
                 f"{score} AS score, {has} AS has_counts, i.network AS network "
                 f"FROM {table} e LEFT JOIN {mark_table} m ON m.item_id = e.item_id "
                 f"JOIN {item_table} i ON i.id = e.item_id "
                 f"WHERE e.{key_column} = %s AND e.created_at > %s "
                 f"AND (m.hidden_until IS NULL OR m.hidden_until <= %s){owner} "
                 f"ORDER BY e.created_at DESC, e.item_id DESC LIMIT %s")
        parts.append(f"SELECT %s AS col, item_id, created_at, priority, score, "  # noqa: S608
                     f"has_counts, network FROM ({inner}) AS arm{n}")
        params.extend([column_id, key, since_value, now_value])
        if kind == "column":
            params.append(user_id)
        params.append(SCAN + 1)
    with db.cursor() as cursor:
        cursor.execute(" UNION ALL ".join(parts), params)
        fetched = cursor.fetchall()
    return [_Row(column_id=int(r[0]), item_id=int(r[1]), created_at=r[2], priority=bool(r[3]),
                 score=_whole(r[4]), has_counts=bool(r[5]), network=str(r[6]))
            for r in fetched]


def _whole(value: Any) -> int:
    try:
        return max(0, int(value or 0))
    except (TypeError, ValueError, OverflowError):  # inf from an absurd count
        return 0
