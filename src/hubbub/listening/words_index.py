"""Items' words and authors kept in the database (models.ItemWords), so that the preview of a
words or author rule lets the database make the first cut.

A row holds what the matcher compares (`Doc.joined`, " w1 w2 ... ", and the author keys as
" k1 k2 "): a rule's word w can only hold for an item whose row's words contain " w ", a phrase
only where its " w1 w2 " is, an author only where " key " is. `cut()` turns a rule into that
condition (a substring test: SQLite instr, PostgreSQL strpos); the candidates it lets through
are then matched in Python exactly as the saved rule is (unless the test is the rule's own
check: a rule of words alone), so the preview's count stays what the rule does.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db import connection as db

from hubbub.listening.matcher import Doc, RuleSet
from hubbub.listening.models import ItemWords
from hubbub.timeline.models import FeedEntry, Item

# What doc_of must make for a row (besides what the rules need).
PARTS = frozenset({"words", "author"})
BATCH = 500
MAX_NEEDLES = 4000  # a rule naming more (many people's accounts): no cut, all checked in Python


def row_of(item_id: int, doc: Doc, digest: str) -> tuple[int, str, str, str]:
    """The row of an item as stored (`doc` made from the stored fields, `digest` the stored
    item's): a row is trusted only while its digest is still the item's."""
    authors = doc.authors
    if len(authors) == 1:  # the usual case: one handle
        (only,) = authors
        return item_id, doc.joined, f" {only} ", digest
    return item_id, doc.joined, " " + " ".join(sorted(authors)) + " ", digest


def _table() -> str:
    return db.ops.quote_name(ItemWords._meta.db_table)


def write(rows: Sequence[tuple[int, str, str, str]]) -> None:
    """Store (replace) these items' rows: one prepared statement (executemany). A row written
    from an older read of an item (the recompute's chunk, read before an edit's ingest) may
    replace a newer one: its digest then differs from the item's and `window` ignores it."""
    if not rows:
        return
    # Only the table's quoted name and placeholders are formatted in: values are parameters.
    sql = (f"INSERT INTO {_table()} (item_id, words, authors, digest) "  # noqa: S608
           "VALUES (%s, %s, %s, %s) "
           "ON CONFLICT (item_id) DO UPDATE SET words = excluded.words, "
           "authors = excluded.authors, digest = excluded.digest")
    with db.cursor() as cursor:
        cursor.executemany(sql, list(rows))


def forget(item_ids: Iterable[int]) -> None:
    """These items changed while nothing kept their rows: drop them (the preview then checks
    the items in Python)."""
    ids = list(item_ids)
    with db.cursor() as cursor:
        for start in range(0, len(ids), BATCH):
            part = ids[start:start + BATCH]
            cursor.execute(f"DELETE FROM {_table()} WHERE item_id IN "  # noqa: S608
                           f"({', '.join(['%s'] * len(part))})", part)


def _contains(column: str) -> str:
    """`column` holds the parameter as a substring, case and all (SQLite instr, PostgreSQL
    strpos): no pattern characters to escape, and exact where LIKE would ignore case."""
    function = "strpos" if db.vendor == "postgresql" else "instr"
    return f"{function}({column}, %s) > 0"


@dataclass(frozen=True)
class Cut:
    """An SQL condition on a row's `words` and `authors` that holds for every item the rule
    can match. `exact`: it holds for those items only (a rule of one words condition), so the
    rows it passes need no check in Python."""

    where: str
    params: list[Any]
    exact: bool


def cut(rules: RuleSet) -> Cut | None:
    """For a ruleset of one rule: the rows its items can have, or None when the rule names no
    word or author to cut by (or only negated: "not these words" holds for almost everything)."""
    if len(rules.rules) != 1:
        return None
    checks = rules.rules[0].checks
    terms: list[str] = []
    params: list[Any] = []
    for check in checks:
        if check.negate or check.kind not in ("words", "author"):
            continue
        column = "w.words" if check.kind == "words" else "w.authors"
        needles = [f" {v} " for v in sorted(check.values)] + list(check.phrases)
        if not needles:
            terms.append("1 = 0")  # e.g. a person without accounts: holds for nothing
            continue
        terms.append("(" + " OR ".join([_contains(column)] * len(needles)) + ")")
        params += needles
    if not terms or len(params) > MAX_NEEDLES:
        return None
    # " w " in " w1 w2 ... " exactly when w is one of the words (words hold no space), and a
    # phrase's " w1 w2 " is what Doc.joined is searched for: the Python check, in SQL.
    exact = len(checks) == 1 and checks[0].kind == "words" and not checks[0].negate
    return Cut(" AND ".join(terms), params, exact)


def window(feed_ids: Sequence[int], since: datetime, rule_cut: Cut
           ) -> tuple[list[tuple[Any, int]], list[int]]:
    """The items of these feeds dated since `since` (a range of the feeds' (feed, created_at)
    index): [(created_at, id)] of those whose row passes the cut, and the ids of those that
    have no row, or a row made from another version of the item (its digest is not the
    item's), to be checked in Python."""
    if not feed_ids:
        return [], []
    entries = db.ops.quote_name(FeedEntry._meta.db_table)
    items = db.ops.quote_name(Item._meta.db_table)
    feeds = ", ".join(["%s"] * len(feed_ids))
    at = db.ops.adapt_datetimefield_value(since)
    # One pass over the range: each entry's item and row by primary key, keeping the rows
    # that pass the cut and the items whose row is missing or stale. Formatted in: quoted
    # table names, placeholders and the cut's own SQL (its values are parameters).
    stale = "(w.item_id IS NULL OR w.digest <> i.digest)"
    with db.cursor() as cursor:
        cursor.execute(f"SELECT DISTINCT e.created_at, e.item_id, "  # noqa: S608
                       f"CASE WHEN {stale} THEN 1 ELSE 0 END "
                       f"FROM {entries} e JOIN {items} i ON i.id = e.item_id "
                       f"LEFT JOIN {_table()} w ON w.item_id = e.item_id "
                       f"WHERE e.feed_id IN ({feeds}) AND e.created_at >= %s "
                       f"AND ({stale} OR ({rule_cut.where}))",
                       [*feed_ids, at, *rule_cut.params])
        hits: list[tuple[Any, int]] = []
        missing: list[int] = []
        for created, item_id, is_stale in cursor.fetchall():
            if is_stale:
                missing.append(item_id)
            else:
                hits.append((_datetime(created), item_id))
    return hits, missing


def _datetime(value: Any) -> Any:
    """A datetime column's value as the ORM gives it (SQLite hands back text)."""
    if isinstance(value, str):
        return db.ops.convert_datetimefield_value(value, None, db)  # type: ignore[attr-defined]
    return value
