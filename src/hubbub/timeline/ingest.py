"""Items from a network into the store: normalize -> sanitize -> dedupe -> store -> tell.

`ingest(feed, items)` is the one way items enter the timeline, from polling, streaming and
paging back alike. Items are deduplicated on (connection, remote id): a known item is rewritten
only when what a re-read can change (text, media, counts, flags...) differs, which its digest
tells without reading the row. A batch is a few statements in one transaction: one SELECT of
the known items (with whether each is in this feed already), INSERT ... ON CONFLICT DO UPDATE
... RETURNING for the new and changed ones (one per power of two in their count, so that
sqlite3's statement cache keeps them prepared), and one INSERT for the feed entries. After the
commit one live event per kind of change goes to the feed's owner.
"""

from __future__ import annotations

import json
import logging
import sqlite3
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cache
from typing import Any

from django.conf import settings
from django.db import connection as db
from django.db import transaction
from django.utils import timezone

from hubbub.listening import apply as listening
from hubbub.networks import base
from hubbub.timeline import live
from hubbub.timeline.models import CONVERSATION_FEED_KEY, Feed, FeedEntry, Item
from hubbub.timeline.normalize import FEED_SPECIFIC, FLAGS, dumps, normalize, normalize_many

__all__ = ["IngestResult", "ingest", "normalize"]

log = logging.getLogger(__name__)

# What a re-read may change. kind, created_at, author handle and reply/repost context stay as
# first read, except that a `post` newly read by another feed as a `mention` becomes one
# (UPGRADES): a note of someone followed that names the account is read by home first, then by
# mentions, and only a mention reaches the inbox. A feed's own re-read changes no kind.
MUTABLE = ("text", "html", "content_warning", "sensitive", "media", "card", "quote", "extra",
           "author_name", "author_avatar", "author_url", "url", "digest", *FLAGS)
IN_CHUNK = 512  # ids per IN (...) list
UPGRADES = {"post": frozenset({"mention"})}  # stored kind -> the kinds a re-read may make it


@dataclass(frozen=True)
class IngestResult:
    item_ids: tuple[int, ...]  # the batch's items in the store, in input order
    new_item_ids: tuple[int, ...]  # not in the store before
    updated_item_ids: tuple[int, ...]  # in the store, and changed by this read
    entry_item_ids: tuple[int, ...]  # newly in this feed: what its columns show as new
    known_in_feed: int  # already in this feed before (a poll overlapping what it had)
    skipped: int  # unusable items (no id, no time)

    @property
    def new_in_feed(self) -> int:
        return len(self.entry_item_ids)


# --- store ------------------------------------------------------------------------------------


def _chunks(values: Sequence[Any], size: int = IN_CHUNK) -> Iterable[Sequence[Any]]:
    for start in range(0, len(values), size):
        yield values[start:start + size]


# Statements are written for a number of rows, and sqlite3 keeps only 128 prepared statements a
# connection: with one statement per batch size, polls of 40-100 items re-prepared a
# 2,700-parameter INSERT nearly every time. So sizes are powers of two: a SELECT's IN list and
# the entries' INSERT ... DO NOTHING are padded by repeating their last value (harmless), and
# the item upsert, where a row may not be written twice, is split (75 rows: 64 + 8 + 2 + 1).
def _padded(values: Sequence[Any]) -> list[Any]:
    size = 1 << (len(values) - 1).bit_length()
    return [*values, *[values[-1]] * (size - len(values))]


def _power_chunks(values: Sequence[Any], limit: int) -> Iterable[Sequence[Any]]:
    start = 0
    while start < len(values):
        size = min(1 << ((len(values) - start).bit_length() - 1), limit)
        yield values[start:start + size]
        start += size


@dataclass(slots=True)
class _Known:
    """An item already in the store, as the batch's one SELECT found it."""

    pk: int
    digest: str
    flags: tuple[bool, bool, bool]  # liked, reposted, bookmarked
    extra: Any  # stored `extra`: JSON text on SQLite, a dict on PostgreSQL
    in_feed: bool  # already an entry of the feed being ingested
    kind: str


def _known(feed_id: int, connection_id: int, remote_ids: Sequence[str]) -> dict[str, _Known]:
    """The batch's items already stored, by remote id, with whether each is in the feed."""
    known: dict[str, _Known] = {}
    for chunk in _chunks(remote_ids):
        padded = _padded(chunk)
        rows = _execute(_known_sql(db.vendor, len(padded)), [feed_id, connection_id, *padded])
        for remote_id, pk, digest, liked, reposted, bookmarked, extra, in_feed, kind in rows:
            known[remote_id] = _Known(pk, digest, (bool(liked), bool(reposted),
                                                   bool(bookmarked)), extra, bool(in_feed), kind)
    return known


def ingest(feed: Feed, items: Sequence[base.Item]) -> IngestResult:
    """Store a batch of one feed's items; tell the feed's owner what changed (after commit)."""
    now = timezone.now()
    rows: dict[str, dict[str, Any]] = {}
    skipped = 0
    for item, row in zip(items, normalize_many(items, now=now), strict=True):
        if row is None:
            skipped += 1
            log.debug("skipped an unusable item from feed %s: %r", feed.pk, item.remote_id)
            continue
        rows.setdefault(row["remote_id"], row)  # a batch naming one item twice keeps the first
    if not rows:
        return IngestResult((), (), (), (), 0, skipped)

    at = _datetime_adapter()
    for row in rows.values():
        row["created_db"] = at(row["created_at"])
    connection_id = feed.connection_id
    network, user_id = _connection_facts(feed)
    with transaction.atomic():
        known = _known(feed.pk, connection_id, list(rows))
        writes: list[dict[str, Any]] = []
        changed_ids: list[int] = []
        upgrades: dict[str, list[int]] = {}
        for remote_id, row in rows.items():
            seen = known.get(remote_id)
            if seen is None:
                writes.append(row)
                continue
            # Newly in this feed, so announced as its new entry: not an update of the item.
            if not seen.in_feed and row["kind"] in UPGRADES.get(seen.kind, ()):
                upgrades.setdefault(row["kind"], []).append(seen.pk)
            for flag, stored in zip(FLAGS, seen.flags, strict=True):
                row.setdefault(flag, stored)
            if seen.digest != row["digest"] or any(
                row[flag] != stored for flag, stored in zip(FLAGS, seen.flags, strict=True)
            ) or _names_a_new_conversation(row, seen.extra):
                _keep_feed_specific(row, seen.extra)
                writes.append(row)
                changed_ids.append(seen.pk)
        written = _upsert(connection_id, network, writes, now) if writes else {}
        for kind, pks in upgrades.items():
            Item.objects.filter(pk__in=pks).update(kind=kind)
        ids = {rid: (written[rid] if rid in written else known[rid].pk) for rid in rows}
        # Only items known before can already be in the feed.
        entries = [(ids[rid], row["created_db"]) for rid, row in rows.items()
                   if rid not in known or not known[rid].in_feed]
        if entries:
            _insert_entries(feed.pk, entries)
        listening.on_ingest(feed.pk, user_id, network, connection_id, rows, ids,
                            entry_ids=[item_id for item_id, _at in entries],
                            changed_ids=changed_ids,
                            known_ids=[seen.pk for seen in known.values()],
                            notify=feed.key != CONVERSATION_FEED_KEY)
        result = IngestResult(
            item_ids=tuple(ids.values()),
            new_item_ids=tuple(written[rid] for rid in rows if rid in written
                               and rid not in known),
            updated_item_ids=tuple(changed_ids),
            entry_item_ids=tuple(item_id for item_id, _at in entries),
            known_in_feed=sum(1 for seen in known.values() if seen.in_feed),
            skipped=skipped,
        )
        transaction.on_commit(lambda: _announce(user_id, feed.pk, result))
    return result


def _connection_facts(feed: Feed) -> tuple[str, int]:
    """(network, owner's user id) of the feed's connection, without a query when loaded."""
    if Feed.connection.is_cached(feed):
        return str(feed.connection.network), int(feed.connection.user_id)
    from hubbub.connections.models import Connection

    network, user_id = Connection.objects.values_list("network", "user_id").get(
        pk=feed.connection_id)
    return str(network), int(user_id)


def _names_a_new_conversation(row: dict[str, Any], stored: Any) -> bool:
    """A direct message read from the feed "direct" names its conversation, which the same
    status read first from a mentions feed did not: store it (the digest leaves it out)."""
    conversation = row["extra"].get("conversation")
    if conversation is None:
        return False
    if isinstance(stored, str):  # SQLite hands JSON back as text
        return '"conversation"' not in stored
    return not isinstance(stored, Mapping) or stored.get("conversation") != conversation


def _keep_feed_specific(row: dict[str, Any], stored: Any) -> None:
    """A changed item read without its feed-specific details keeps the stored ones."""
    if isinstance(stored, str):  # SQLite hands JSON back as text
        if not any(f'"{k}"' in stored for k in FEED_SPECIFIC):
            return
        stored = json.loads(stored)
    if not isinstance(stored, Mapping):
        return
    kept = {k: stored[k] for k in FEED_SPECIFIC if k in stored and k not in row["extra"]}
    if kept:
        row["extra"] = {**kept, **row["extra"]}
        row["extra_json"] = dumps(row["extra"])


# Columns written for an item, in order; JSON ones are serialized here.
_COLUMNS = ("connection_id", "network", "remote_id", "kind", "created_at", "url", "author_handle",
            "author_name", "author_avatar", "author_url", "text", "html", "content_warning",
            "sensitive", "reposted_by", "reposted_by_name", "in_reply_to", "in_reply_to_handle",
            "media", "card", "quote", "extra", "liked", "reposted", "bookmarked", "ingested_at",
            "digest")
_JSON = frozenset({"media", "card", "quote", "extra"})
ROWS_PER_INSERT = 256  # 27 parameters a row: far below SQLite's 32766


def _upsert(connection_id: int, network: str, writes: Sequence[dict[str, Any]],
            now: datetime) -> dict[str, int]:
    """INSERT the rows, updating the mutable fields of rows already there; remote id -> pk.

    Written by hand rather than through bulk_create, which spends most of ingest's time
    preparing 27 values a row field by field. Same SQL on SQLite (3.35+) and PostgreSQL."""
    at = _datetime_adapter()
    ingested = at(now)
    ids: dict[str, int] = {}
    for chunk in _power_chunks(writes, ROWS_PER_INSERT):
        params: list[Any] = []
        for row in chunk:
            params.extend((
                connection_id, network, row["remote_id"], row["kind"], row["created_db"],
                row["url"], row["author_handle"], row["author_name"], row["author_avatar"],
                row["author_url"], row["text"], row["html"], row["content_warning"],
                row["sensitive"], row["reposted_by"], row["reposted_by_name"],
                row["in_reply_to"], row["in_reply_to_handle"], row["media_json"],
                row["card_json"], row["quote_json"], row["extra_json"], row.get("liked", False),
                row.get("reposted", False), row.get("bookmarked", False), ingested, row["digest"],
            ))
        rows = _execute(_upsert_sql(db.vendor, len(chunk)), params)
        ids.update((remote_id, pk) for pk, remote_id in rows)
    return ids


def _insert_entries(feed_id: int, entries: Sequence[tuple[int, Any]]) -> None:
    """(item id, created_at as the database takes it) rows into the feed."""
    for chunk in _chunks(entries, ROWS_PER_INSERT):
        params: list[Any] = []
        for item_id, created_at in _padded(chunk):
            params.extend((feed_id, item_id, created_at))
        _execute(_entries_sql(db.vendor, len(params) // 3), params)


def _execute(sql: str, params: Sequence[Any]) -> list[tuple[Any, ...]]:
    """Run SQL written with the driver's own placeholders; return its rows.

    On SQLite this goes past Django's cursor wrapper, which rewrites every %s to ? with a
    regular expression: on a 100-row insert (2,700 parameters) that alone cost ~9 µs an item.
    Errors are still Django's (wrap_database_errors)."""
    with db.cursor() as cursor:
        if db.vendor == "sqlite":
            raw = cursor.cursor
            with db.wrap_database_errors:
                sqlite3.Cursor.execute(raw, sql, params)
                return list(raw.fetchall())
        cursor.execute(sql, params)
        return list(cursor.fetchall()) if cursor.description else []


def _sqlite_datetime(value: datetime) -> str:
    """An aware datetime as Django's SQLite backend stores it with USE_TZ and a UTC database
    time zone (naive UTC, str() form), without its per-value checks: ~4x cheaper."""
    if value.utcoffset():
        value = value.astimezone(UTC)
    return str(value.replace(tzinfo=None))


def _datetime_adapter() -> Any:
    """How this connection's database takes an aware datetime parameter."""
    if db.vendor == "sqlite" and settings.USE_TZ and db.timezone_name == "UTC":
        return _sqlite_datetime
    return db.ops.adapt_datetimefield_value


def _mark(vendor: str) -> str:
    return "?" if vendor == "sqlite" else "%s"


@cache
def _upsert_sql(vendor: str, rows: int) -> str:
    quote = db.ops.quote_name
    mark = _mark(vendor)
    cast_json = "::jsonb" if vendor == "postgresql" else ""
    row_sql = "(" + ", ".join(
        f"{mark}{cast_json}" if column in _JSON else mark for column in _COLUMNS) + ")"
    columns = ", ".join(quote(c) for c in _COLUMNS)
    updates = ", ".join(f"{quote(c)} = excluded.{quote(c)}" for c in MUTABLE)
    return (
        f"INSERT INTO {quote(Item._meta.db_table)} ({columns}) "  # noqa: S608
        f"VALUES {', '.join([row_sql] * rows)} "
        f"ON CONFLICT (connection_id, remote_id) DO UPDATE SET {updates} "
        "RETURNING id, remote_id"
    )


@cache
def _entries_sql(vendor: str, rows: int) -> str:
    mark = _mark(vendor)
    return (
        f"INSERT INTO {db.ops.quote_name(FeedEntry._meta.db_table)} "  # noqa: S608
        f"(feed_id, item_id, created_at) VALUES {', '.join([f'({mark}, {mark}, {mark})'] * rows)} "
        "ON CONFLICT (feed_id, item_id) DO NOTHING"
    )


@cache
def _known_sql(vendor: str, count: int) -> str:
    mark = _mark(vendor)
    items = db.ops.quote_name(Item._meta.db_table)
    entries = db.ops.quote_name(FeedEntry._meta.db_table)
    # The EXISTS is one probe of the (feed, item) unique index a known item.
    return (
        "SELECT i.remote_id, i.id, i.digest, i.liked, i.reposted, i.bookmarked, i.extra, "  # noqa: S608
        f"EXISTS (SELECT 1 FROM {entries} e WHERE e.feed_id = {mark} AND e.item_id = i.id), "
        "i.kind "
        f"FROM {items} i "
        f"WHERE i.connection_id = {mark} AND i.remote_id IN ({', '.join([mark] * count)})"
    )


def _announce(user_id: int, feed_id: int, result: IngestResult) -> None:
    if result.entry_item_ids:
        live.publish(live.LiveEvent("items", user_id, feed_ids=(feed_id,),
                                    item_ids=result.entry_item_ids))
    if result.updated_item_ids:
        live.publish(live.LiveEvent("updated", user_id, feed_ids=(feed_id,),
                                    item_ids=result.updated_item_ids))
