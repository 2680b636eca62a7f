"""Items' words and authors kept in the database (models.ItemWords), so that the preview of a
words or author rule lets the database make the first cut.

A row holds what the matcher compares (`Doc.joined`, " w1 w2 ... ", and the author keys as
" k1 k2 "): a rule's word w can only hold for an item whose row's words contain " w ", a phrase
only where its " w1 w2 " is, an author only where " key " is. `cut()` turns a rule into that
condition (LIKE, on SQLite and PostgreSQL alike); the candidates it lets through are then
matched in Python exactly as the saved rule is, so the preview's count stays what the rule does.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from django.db import connection as db

from hubbub.listening.matcher import Doc, RuleSet
from hubbub.listening.models import ItemWords

# What doc_of must make for a row (besides what the rules need).
PARTS = frozenset({"words", "author"})
BATCH = 500
MAX_NEEDLES = 4000  # a rule naming more (many people's accounts): no cut, all checked in Python


def row_of(item_id: int, doc: Doc) -> tuple[int, str, str]:
    return item_id, doc.joined, " " + " ".join(sorted(doc.authors)) + " "


def _table() -> str:
    return db.ops.quote_name(ItemWords._meta.db_table)


def write(rows: Sequence[tuple[int, str, str]]) -> None:
    """Store (replace) these items' rows: one prepared statement (executemany)."""
    if not rows:
        return
    # Only the table's quoted name and placeholders are formatted in: values are parameters.
    sql = (f"INSERT INTO {_table()} (item_id, words, authors) VALUES (%s, %s, %s) "  # noqa: S608
           "ON CONFLICT (item_id) DO UPDATE SET words = excluded.words, "
           "authors = excluded.authors")
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


def _like(value: str) -> str:
    return "%" + value.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


def cut(rules: RuleSet) -> tuple[str, list[Any]] | None:
    """For a ruleset of one rule: an SQL condition on a row's `words` and `authors` that holds
    for every item the rule can match, or None when the rule names no word or author to cut by
    (or is negated there: "not these words" holds for almost everything)."""
    if len(rules.rules) != 1:
        return None
    terms: list[str] = []
    params: list[Any] = []
    for check in rules.rules[0].checks:
        if check.negate or check.kind not in ("words", "author"):
            continue
        column = "words" if check.kind == "words" else "authors"
        needles = [f" {v} " for v in sorted(check.values)] + list(check.phrases)
        if not needles:
            terms.append("1 = 0")  # e.g. a person without accounts: holds for nothing
            continue
        terms.append("(" + " OR ".join([f"{column} LIKE %s ESCAPE '\\'"] * len(needles)) + ")")
        params += [_like(n) for n in needles]
    if not terms or len(params) > MAX_NEEDLES:
        return None
    return " AND ".join(terms), params


def candidates(item_ids: Sequence[int], condition: tuple[str, list[Any]]) -> list[int]:
    """Of these items, those whose row passes the condition, and those without a row."""
    if not item_ids:
        return []
    where, params = condition
    sql = (f"SELECT item_id, CASE WHEN {where} THEN 1 ELSE 0 END FROM {_table()} "  # noqa: S608
           f"WHERE item_id IN ({', '.join(['%s'] * len(item_ids))})")
    with db.cursor() as cursor:
        cursor.execute(sql, [*params, *item_ids])
        found = dict(cursor.fetchall())
    return [i for i in item_ids if found.get(i, 1)]
