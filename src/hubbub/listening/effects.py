"""A person's rules as the matcher uses them, and what they do written beside the items.

`ruleset_for(user_id)` compiles the active rules and the allow-list columns once per change
(keyed by ListeningState.version, one small SELECT a call); `write(...)` stores the effects of
a set of items: their ItemMark rows, their ColumnEntry rows, and notices.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterable, Mapping, Sequence
from collections.abc import Set as AbstractSet
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from typing import Any

from django.db import connection as db
from django.db import transaction
from django.utils import timezone

from hubbub.listening.conditions import Invalid, RuleSpec, action_from, condition_from
from hubbub.listening.matcher import HIDE_FOREVER, Doc, Effect, RuleSet, compile_rules
from hubbub.listening.models import ColumnEntry, ItemMark, ListeningState, Notice, Rule
from hubbub.listening.text import author_key
from hubbub.timeline.models import Column

CACHE_SECONDS = 60.0  # columns' feeds can change without a rule change: read again this often


@dataclass(frozen=True)
class Listening:
    """Everything that decides what a person's new items get."""

    version: int
    rules: RuleSet
    # feed id -> [(allow-list column id, its authors)]
    allow: Mapping[int, tuple[tuple[int, frozenset[str]], ...]]

    @property
    def idle(self) -> bool:
        return not self.rules.rules and not self.allow

    @property
    def needs(self) -> frozenset[str]:
        """What doc_of must make for the rules and the allow-lists (which look at authors)."""
        return self.rules.needs | {"author"} if self.allow else self.rules.needs

    def allowed_columns(self, doc: Doc, feed_ids: Iterable[int]) -> set[int]:
        found: set[int] = set()
        for feed_id in feed_ids:
            for column_id, authors in self.allow.get(feed_id, ()):
                if not authors.isdisjoint(doc.authors):
                    found.add(column_id)
        return found


_cache: dict[int, tuple[int, float, Listening]] = {}
_lock = threading.Lock()


VERSION_SECONDS = 5.0  # how long ingest trusts the version it read (another process's change)
_versions: dict[int, tuple[float, int | None]] = {}


def version_of(user_id: int) -> int | None:
    return ListeningState.objects.filter(user_id=user_id).values_list(
        "version", flat=True).first()


def _recent_version(user_id: int, now: float) -> int | None:
    """The person's version as read in the last VERSION_SECONDS (a change made in this process
    is seen at once: `forget`), so ingest does not ask for it with every batch."""
    with _lock:
        seen = _versions.get(user_id)
    if seen is not None and now - seen[0] < VERSION_SECONDS:
        return seen[1]
    version = version_of(user_id)
    with _lock:
        _versions[user_id] = (now, version)
    return version


def ruleset_for(user_id: int, *, fresh: bool = False) -> Listening | None:
    """The person's compiled rules; None when they never made a rule or an allow-list."""
    now = time.monotonic()
    version = version_of(user_id) if fresh else _recent_version(user_id, now)
    if version is None:
        return None
    with _lock:
        cached = _cache.get(user_id)
    if not fresh and cached and cached[0] == version:
        if now - cached[1] < CACHE_SECONDS:
            return cached[2]
        if _still_current(user_id, cached[2]):
            with _lock:
                _cache[user_id] = (version, now, cached[2])
            return cached[2]
    listening = load(user_id, version)
    with _lock:
        _cache[user_id] = (version, now, listening)
    return listening


def _still_current(user_id: int, listening: Listening) -> bool:
    """Whether rules compiled CACHE_SECONDS ago still hold as compiled: what changes without a
    new version is the columns' feeds (and a rule's end passing). One small query instead of
    compiling every rule again (500 rules: tens of ms, every minute, for every person whose
    items arrive)."""
    ends = [rule.expires_at for rule in listening.rules.rules if rule.expires_at is not None]
    if ends and min(ends) <= timezone.now():
        return False
    return column_feeds_of(user_id) == listening.rules.column_feeds


def specs_of(rules: Iterable[Rule]) -> list[RuleSpec]:
    """Stored rules as specs; a stored rule that no longer reads (a hand-edited row) is left
    out rather than stopping the others."""
    specs = []
    for rule in rules:
        try:
            conditions = tuple(condition_from(c) for c in rule.conditions)
            actions = tuple(action_from(a) for a in rule.actions)
        except Invalid:
            continue
        specs.append(RuleSpec(rule.pk, rule.position, conditions, actions, rule.paused,
                              rule.expires_at))
    return specs


def column_feeds_of(user_id: int) -> dict[int, frozenset[int]]:
    """Column id -> its feeds, for the person's columns (only their own feeds)."""
    through = Column.feeds.through
    pairs: dict[int, set[int]] = {}
    for column_id, feed_id in through.objects.filter(
        column__deck__user_id=user_id, feed__connection__user_id=user_id,
    ).values_list("column_id", "feed_id"):
        pairs.setdefault(column_id, set()).add(feed_id)
    return {c: frozenset(f) for c, f in pairs.items()}


def allow_lists_of(user_id: int) -> dict[int, list[str]]:
    """Allow-list columns: column id -> the authors only whom it shows."""
    found: dict[int, list[str]] = {}
    for pk, filters in Column.objects.filter(deck__user_id=user_id).values_list("pk", "filters"):
        only = filters.get("only") if isinstance(filters, dict) else None
        if isinstance(only, list) and only:
            found[pk] = [str(v) for v in only]
    return found


def load(user_id: int, version: int) -> Listening:
    from hubbub.people.selectors import PERSON_PREFIX, authors_of_people, person_id_of

    column_feeds = column_feeds_of(user_id)
    people = authors_of_people(user_id)
    rules = compile_rules(specs_of(Rule.objects.filter(user_id=user_id)), column_feeds,
                          now=timezone.now(), people=people)
    allow: dict[int, list[tuple[int, frozenset[str]]]] = {}
    for column_id, only in allow_lists_of(user_id).items():
        authors = frozenset(key for v in only for key in (
            people.get(person_id_of(v) or 0, frozenset()) if v.startswith(PERSON_PREFIX)
            else (author_key(v),)))
        for feed_id in column_feeds.get(column_id, ()):
            allow.setdefault(feed_id, []).append((column_id, authors))
    return Listening(version, rules, {f: tuple(v) for f, v in allow.items()})


def forget_all() -> None:
    with _lock:
        _cache.clear()
        _versions.clear()


def forget(user_id: int) -> None:
    with _lock:
        _cache.pop(user_id, None)
        _versions.pop(user_id, None)


# --- writing effects ------------------------------------------------------------------------


@dataclass(slots=True)
class Outcome:
    """An item's effect and allow-list columns, with its time (for ColumnEntry)."""

    item_id: int
    created_at: Any  # as the database takes it, or a datetime
    effect: Effect
    allowed: AbstractSet[int]


def write(outcomes: Sequence[Outcome], *, replace_entries: bool, user_id: int,
          notify_ids: Iterable[int] = ()) -> None:
    """Store the outcomes of these items, all of them `user_id`'s (each mark is written with
    its owner): their marks are replaced (an item no rule matches loses its mark); their
    ColumnEntry rows are replaced too when `replace_entries` (a recompute), else only added
    (ingest). Notices for `notify_ids` that a rule wants noticed.
    An outcome's `created_at` may be given as the database takes it already (ingest's rows).

    A few statements whatever the count, none through the ORM's query building, which cost
    more than the database's work for a poll's few marks (bench/rules.py): the marks and the
    entries one prepared statement each (executemany), the stale marks one DELETE a 500."""
    ids = [o.item_id for o in outcomes]
    if not ids:
        return
    adapt = _adapter()
    marks = [
        (o.item_id, user_id, adapt(o.effect.hidden_until), o.effect.priority, o.effect.read,
         o.effect.inbox, _ids_json(o.effect.rule_ids))
        for o in outcomes if o.effect.rule_ids
    ]
    # A column deleted since the rules were compiled takes nothing: the INSERT's own
    # EXISTS test (no query of its own).
    entries = [
        (column_id, o.item_id, adapt(o.created_at), via, column_id)
        for o in outcomes if o.effect.send_to or o.allowed
        for column_ids, via in ((o.effect.send_to, ColumnEntry.ROUTE),
                                (o.allowed, ColumnEntry.ALLOW))
        for column_id in column_ids
    ]
    wanted = set(notify_ids)
    notices = [Notice(user_id=user_id, item_id=o.item_id, rule_id=o.effect.rule_ids[0])
               for o in outcomes if o.effect.notify and o.item_id in wanted]
    # Inside ingest's or the recompute's transaction: no savepoint of its own.
    with transaction.atomic(savepoint=False), db.cursor() as cursor:
        stale = [o.item_id for o in outcomes if not o.effect.rule_ids]
        _delete_in(cursor, ItemMark, "item_id", stale)
        if replace_entries:
            _delete_in(cursor, ColumnEntry, "item_id", ids)
        if marks:
            cursor.executemany(_marks_sql(db.vendor), marks)
        if entries:
            cursor.executemany(_entries_sql(db.vendor), entries)
        if notices:
            Notice.objects.bulk_create(notices, ignore_conflicts=True)


def _delete_in(cursor: Any, model: Any, column: str, ids: Sequence[int]) -> None:
    """DELETE the model's rows whose `column` is one of `ids` (no rows depend on these)."""
    table = db.ops.quote_name(model._meta.db_table)
    for start in range(0, len(ids), 500):
        part = ids[start:start + 500]
        cursor.execute(f"DELETE FROM {table} WHERE {column} IN "  # noqa: S608
                       f"({', '.join(['%s'] * len(part))})", part)


def _ids_json(ids: list[int]) -> str:
    """A rule id list as JSON (ints only: no json.dumps needed)."""
    return "[" + ",".join(map(str, ids)) + "]"


def _adapter() -> Any:
    """A datetime (or None, or a value already as the database takes it) as a parameter;
    the one "hidden for good" date adapted once."""
    adapt = db.ops.adapt_datetimefield_value
    forever = adapt(HIDE_FOREVER)

    def value(at: Any) -> Any:
        if at is None or type(at) is str:
            return at
        if at is HIDE_FOREVER:
            return forever
        return adapt(at)

    return value


@cache
def _marks_sql(vendor: str) -> str:
    table = db.ops.quote_name(ItemMark._meta.db_table)
    cast = "::jsonb" if vendor == "postgresql" else ""
    read = db.ops.quote_name("read")
    # An item's owner never changes: a mark written again keeps its user_id.
    return (f"INSERT INTO {table} (item_id, user_id, hidden_until, priority, {read},"  # noqa: S608
            f" inbox, rule_ids) VALUES (%s, %s, %s, %s, %s, %s, %s{cast}) "
            "ON CONFLICT (item_id) DO "
            "UPDATE SET hidden_until = excluded.hidden_until, priority = excluded.priority, "
            f"{read} = excluded.{read}, inbox = excluded.inbox, rule_ids = excluded.rule_ids")


@cache
def _entries_sql(vendor: str) -> str:
    table = db.ops.quote_name(ColumnEntry._meta.db_table)
    columns = db.ops.quote_name(Column._meta.db_table)
    # INSERT ... SELECT: the WHERE keeps SQLite from reading ON CONFLICT as a join's.
    return (f"INSERT INTO {table} (column_id, item_id, created_at, via) "  # noqa: S608
            f"SELECT %s, %s, %s, %s WHERE EXISTS (SELECT 1 FROM {columns} WHERE id = %s) "
            "ON CONFLICT (column_id, item_id, via) DO NOTHING")


def to_datetime(value: Any) -> datetime:
    return value if isinstance(value, datetime) else datetime.fromisoformat(str(value))
