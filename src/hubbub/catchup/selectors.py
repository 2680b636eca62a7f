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
from hubbub.listening.labels import label
from hubbub.listening.models import ColumnEntry, ItemMark
from hubbub.timeline.models import Column, FeedEntry, Item

SCAN = 2000  # newest entries read per feed (or rules' entries) of a column
PRIORITY_LIMIT = 50
ENGAGED_LIMIT = 20
COUNT_NAMES = ("reply", "repost", "like", "quote")
COUNT_WORDS = {"reply": ("reply", "replies"), "repost": ("repost", "reposts"),
               "like": ("like", "likes"), "quote": ("quote", "quotes")}
# SQLite refuses a compound SELECT of more than 500 arms; stay below.
ARMS_PER_QUERY = 400


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
class _Scanned:
    """What one query found: per column (by its place in the deck order) how many items, the
    distinct total, the newest priority items and the most engaged others, each with the first
    column it shows in, and per network whether any new item carried counts."""

    counts: dict[int, int] = field(default_factory=dict)
    total: int = 0
    priority: dict[int, tuple[int, Any]] = field(default_factory=dict)  # item -> (col, at)
    engaged: dict[int, tuple[int, int, Any]] = field(default_factory=dict)  # (col, score, at)
    networks: dict[str, bool] = field(default_factory=dict)


def columns_of(user: User) -> list[Column]:
    """The person's columns in deck order, each with `.own_feeds`: the feeds of the person's
    own connections (whatever a column's feed list says), and `.label`: its title with those
    accounts and its deck ("Home · @ada@localhost (deck Main)": three accounts' "Home"s are
    told apart)."""
    columns = list(Column.objects.filter(deck__user=user).select_related("deck")
                   .order_by("deck__position", "deck__pk", "position", "pk"))
    links = (Column.feeds.through.objects
             .filter(column__deck__user=user, feed__connection__user=user)
             .order_by("feed__connection__handle", "feed__connection__network")
             .values_list("column_id", "feed_id", "feed__connection__handle"))
    by_column: dict[int, list[int]] = {}
    handles: dict[int, list[str]] = {}
    for column_id, feed_id, handle in links:
        by_column.setdefault(column_id, []).append(feed_id)
        handles.setdefault(column_id, []).append(handle)
    for column in columns:
        column.own_feeds = sorted(by_column.get(column.pk, []))  # type: ignore[attr-defined]
        column.label = label(column, handles.get(column.pk, ()))  # type: ignore[attr-defined]
    return columns


def catch_up(user: User, since: datetime, *, now: datetime | None = None) -> CatchUp:
    columns = columns_of(user)
    chunks: list[list[tuple[int, str, int]]] = [[]]  # (column's place, "feed" | "column", key)
    for place, column in enumerate(columns):
        only = isinstance(column.filters, dict) and bool(column.filters.get("only"))
        arms = [] if only else [(place, "feed", f) for f in column.own_feeds]  # type: ignore[attr-defined]
        arms.append((place, "column", column.pk))
        if chunks[-1] and len(chunks[-1]) + len(arms) > ARMS_PER_QUERY:
            chunks.append([])  # a column's arms stay in one query, so its count is exact
        chunks[-1].extend(arms)
    moment = now or timezone.now()
    scanned = _Scanned()
    for arms in chunks:
        _merge(scanned, _scan(arms, since, moment, user.pk))
    return _gather(columns, scanned, since)


def _merge(into: _Scanned, part: _Scanned) -> None:
    into.counts.update(part.counts)
    into.total += part.total  # exact within a query; over several, an item may count twice
    for item_id, (place, at) in part.priority.items():
        known = into.priority.get(item_id)
        into.priority[item_id] = (min(place, known[0]) if known else place, at)
    for item_id, (place, score, at) in part.engaged.items():
        had = into.engaged.get(item_id)
        into.engaged[item_id] = (min(place, had[0]) if had else place, score, at)
    for network, has in part.networks.items():
        into.networks[network] = into.networks.get(network, False) or has


def _gather(columns: Sequence[Column], scanned: _Scanned, since: datetime) -> CatchUp:
    counts = [ColumnCount(column=c, count=min(scanned.counts.get(n, 0), SCAN),
                          more=scanned.counts.get(n, 0) > SCAN)  # a scan stopped at SCAN + 1
              for n, c in enumerate(columns)]
    priority = sorted(scanned.priority.items(), key=lambda kv: (kv[1][1], kv[0]), reverse=True)
    engaged = sorted(((k, v) for k, v in scanned.engaged.items() if k not in scanned.priority),
                     key=lambda kv: (kv[1][1], kv[1][2], kv[0]), reverse=True)
    chosen = [(k, v[0], True, 0) for k, v in priority[:PRIORITY_LIMIT]]
    chosen += [(k, v[0], False, v[1]) for k, v in engaged[:ENGAGED_LIMIT]]
    items = _items([c[0] for c in chosen])
    found: list[Found] = []
    for item_id, place, is_priority, score in chosen:
        item = items.get(item_id)
        if item is None:  # deleted between the two reads
            continue
        found.append(Found(item=item, column=columns[place], priority=is_priority, score=score,
                           counts=counts_of(item)))
    return CatchUp(
        since=since,
        columns=counts,
        priority=[f for f in found if f.priority],
        engaged=[f for f in found if not f.priority],
        total=scanned.total,
        more=any(c.more for c in counts),
        uncounted=sorted(n for n, has in scanned.networks.items() if not has),
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
          user_id: int) -> _Scanned:
    """One query: the arms' range scans gathered once (a CTE used several times is
    materialized by SQLite and PostgreSQL) and summed up inside the database, so only a few
    rows come back however many items arrived."""
    if not arms:
        return _Scanned()
    quote = db.ops.quote_name
    tables = {"feed": (quote(FeedEntry._meta.db_table), "feed_id"),
              "column": (quote(ColumnEntry._meta.db_table), "column_id")}
    mark_table = quote(ItemMark._meta.db_table)
    item_table = quote(Item._meta.db_table)
    connection_table = quote(Connection._meta.db_table)
    score, has = _score_sql()
    at_type = "TIMESTAMP WITH TIME ZONE" if db.vendor == "postgresql" else "TEXT"
    since_value = db.ops.adapt_datetimefield_value(since)
    now_value = db.ops.adapt_datetimefield_value(now)
    parts: list[str] = []
    params: list[Any] = []
    for n, (place, kind, key) in enumerate(arms):
        table, key_column = tables[kind]
        # Items a rule sent to a column are the column owner's only (defence in depth).
        owner = (f" AND i.connection_id IN (SELECT c.id FROM {connection_table} c "  # noqa: S608
                 f"WHERE c.user_id = %s)" if kind == "column" else "")
        # Only quoted table names and fixed SQL are formatted in; every value is a parameter.
        inner = (f"SELECT e.item_id, e.created_at, "  # noqa: S608
                 f"CASE WHEN m.priority THEN 1 ELSE 0 END AS priority, "
                 f"{score} AS score, CASE WHEN {has} THEN 1 ELSE 0 END AS has_counts, "
                 f"i.network AS network "
                 f"FROM {table} e LEFT JOIN {mark_table} m ON m.item_id = e.item_id "
                 f"JOIN {item_table} i ON i.id = e.item_id "
                 f"WHERE e.{key_column} = %s AND e.created_at > %s "
                 f"AND (m.hidden_until IS NULL OR m.hidden_until <= %s){owner} "
                 f"ORDER BY e.created_at DESC, e.item_id DESC LIMIT %s")
        parts.append(f"SELECT {int(place)} AS place, item_id, created_at, priority, "  # noqa: S608
                     f"score, has_counts, network FROM ({inner}) AS arm{n}")
        params.extend([key, since_value, now_value])
        if kind == "column":
            params.append(user_id)
        params.append(SCAN + 1)
    # Typed NULLs: PostgreSQL types a UNION's columns arm by arm, and a bare NULL in a
    # subquery's output as text.
    no_int, no_num, no_text = "CAST(NULL AS BIGINT)", "CAST(NULL AS NUMERIC)", "CAST(NULL AS TEXT)"
    no_at = f"CAST(NULL AS {at_type})"
    sql = (f"WITH seen AS ({' UNION ALL '.join(parts)}) "  # noqa: S608
           f"SELECT 'n', place, COUNT(DISTINCT item_id), {no_num}, {no_text}, {no_at} "
           f"FROM seen GROUP BY place "
           f"UNION ALL SELECT 't', {no_int}, COUNT(DISTINCT item_id), {no_num}, {no_text}, "
           f"{no_at} FROM seen "
           f"UNION ALL SELECT * FROM (SELECT 'p', MIN(place), item_id, {no_num}, {no_text}, "
           f"MAX(created_at) AS at FROM seen WHERE priority = 1 GROUP BY item_id "
           f"ORDER BY at DESC, item_id DESC LIMIT %s) AS p "
           f"UNION ALL SELECT * FROM (SELECT 'e', MIN(place), item_id, MAX(score) AS s, "
           f"{no_text}, MAX(created_at) AS at FROM seen WHERE priority = 0 AND score > 0 "
           f"GROUP BY item_id ORDER BY s DESC, at DESC, item_id DESC LIMIT %s) AS e "
           f"UNION ALL SELECT 'w', MAX(has_counts), {no_int}, {no_num}, network, {no_at} "
           f"FROM seen GROUP BY network")
    params.extend([PRIORITY_LIMIT, ENGAGED_LIMIT])
    with db.cursor() as cursor:
        cursor.execute(sql, params)
        fetched = cursor.fetchall()
    found = _Scanned()
    for kind, place, number, score_value, network, at in fetched:
        if kind == "n":
            found.counts[int(place)] = int(number)
        elif kind == "t":
            found.total = int(number)
        elif kind == "p":
            found.priority[int(number)] = (int(place), at)
        elif kind == "e":
            found.engaged[int(number)] = (int(place), _whole(score_value), at)
        else:
            found.networks[str(network)] = bool(place)
    return found


def _whole(value: Any) -> int:
    try:
        return max(0, int(value or 0))
    except (TypeError, ValueError, OverflowError):  # inf from an absurd count
        return 0
