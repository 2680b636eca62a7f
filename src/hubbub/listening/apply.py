"""Rules applied: to items as they arrive (`on_ingest`, called once by timeline/ingest.py inside
its transaction), to everything stored (`recompute`, the background job after a change of
rules), and as a preview of one rule over the last days (`preview`), which reads and matches
exactly as `recompute` does, so its count is what the saved rule then does. Ingest (while the
person has rules) and the recompute also keep the items' words (words_index) that let the
database make the preview's first cut.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from django.db import IntegrityError, OperationalError, transaction
from django.db import connection as db
from django.db.models import Q
from django.utils import timezone

from hubbub.listening import effects, words_index
from hubbub.listening.conditions import RuleSpec
from hubbub.listening.matcher import Effect, RuleSet, compile_rules, doc_of, words_text
from hubbub.listening.matcher import _apply as apply_action
from hubbub.listening.models import ListeningState, Rule
from hubbub.timeline.models import FeedEntry, Item

log = logging.getLogger(__name__)
CHUNK = 2000  # items read, matched and written at a time (bounds the job's memory)
ITEM_FIELDS = ("pk", "network", "connection_id", "remote_id", "kind", "created_at",
               "author_handle", "text", "html", "content_warning", "media", "card", "quote",
               "extra", "in_reply_to", "reposted_by", "digest")


def on_ingest(feed_id: int, user_id: int, network: str, connection_id: int,
              rows: Mapping[str, Mapping[str, Any]], ids: Mapping[str, int], *,
              entry_ids: Sequence[int], changed_ids: Sequence[int],
              known_ids: Iterable[int] = (), notify: bool = True) -> None:
    """Match the batch's new and changed items and store what the rules do to them. Costs one
    small SELECT when the person has no rules. Without `notify` (a conversation read: old
    posts), notify rules mark the items but raise no notice.

    `known_ids`: the batch's items that were stored before it. A re-read does not rewrite
    everything: ingest keeps the first handle, kind, reply and repost context (FIRST_READ), so
    for those of them matched here these are read back from the store, and the rest of the
    re-read is what is stored (the item was rewritten, or its digest, which covers the rest,
    is unchanged): what the rules and the kept words see is what the recompute and the preview
    read."""
    touched = set(entry_ids).union(changed_ids)
    if not touched:
        return
    listening = effects.ruleset_for(user_id)
    if listening is None or listening.idle:
        if changed_ids:  # their words may have changed: the preview reads them again
            _take_turns(user_id)
            words_index.forget(changed_ids)
        return
    _take_turns(user_id)
    rules = listening.rules
    needs = listening.needs | words_index.PARTS
    feeds = frozenset((feed_id,))
    changed = set(changed_ids)
    first_read = _first_read(touched.intersection(known_ids))
    outcomes: list[effects.Outcome] = []
    indexed: list[tuple[int, str, str, str]] = []
    had_effect = False
    match = rules.match
    allow = listening.allowed_columns if listening.allow else None
    for remote_id, fresh in rows.items():
        item_id = ids[remote_id]
        if item_id not in touched:
            continue
        stored = first_read.get(item_id)
        row = fresh if stored is None else {**fresh, **stored}
        doc = doc_of(row, feeds, network=network, connection_id=connection_id, needs=needs)
        indexed.append(words_index.row_of(item_id, doc, row["digest"]))
        effect = match(doc)
        allowed = allow(doc, feeds) if allow is not None else _NO_COLUMNS
        if not effect.rule_ids and not allowed and item_id not in changed:
            continue  # a new item nothing matched: nothing to write or clear
        had_effect = had_effect or bool(effect.rule_ids) or bool(allowed)
        # The date as the database takes it (ingest adapted it already), when there.
        outcomes.append(effects.Outcome(item_id, row.get("created_db", row["created_at"]),
                                        effect, allowed))
    words_index.write(indexed)
    if outcomes and (had_effect or changed):
        effects.write(outcomes, replace_entries=False, user_id=user_id,
                      notify_ids=_arrived(entry_ids, known_ids, rows, ids) if notify else ())


# An item older than this when first stored is a feed's backlog (a column added, an account
# connected, a feed read for the first time), not news: no notice.
NOTIFY_WITHIN = timedelta(days=1)


def _arrived(entry_ids: Sequence[int], known_ids: Iterable[int],
             rows: Mapping[str, Mapping[str, Any]], ids: Mapping[str, int]) -> list[int]:
    """The items a notify rule may notice: stored for the first time by this batch (an item
    already stored that enters another feed, or a column added later, is not news again), and
    written lately."""
    entries = set(entry_ids).difference(known_ids)
    if not entries:
        return []
    since = timezone.now() - NOTIFY_WITHIN
    return [ids[remote_id] for remote_id, row in rows.items()
            if ids[remote_id] in entries and row["created_at"] >= since]


_NO_COLUMNS: frozenset[int] = frozenset()


# What ingest writes when it first stores an item and never rewrites (timeline/ingest.py
# MUTABLE names the rest) and the rules look at. (The date a column entry takes is the one
# the feed's own entry takes: this read's.)
FIRST_READ = ("kind", "author_handle", "in_reply_to", "reposted_by")


def _first_read(item_ids: set[int]) -> dict[int, dict[str, Any]]:
    """These items' FIRST_READ fields as stored, by id."""
    found: dict[int, dict[str, Any]] = {}
    if not item_ids:
        return found
    # Plain text columns: one SELECT by primary key, without the ORM's query building (50
    # known items entering another feed, 500 rules: +14 µs an item through values_list, +3-8
    # µs this way). Formatted in: quoted names and placeholders.
    columns = ", ".join(db.ops.quote_name(name) for name in ("id", *FIRST_READ))
    table = db.ops.quote_name(Item._meta.db_table)
    with db.cursor() as cursor:
        for ids in _chunked(sorted(item_ids)):
            cursor.execute(f"SELECT {columns} FROM {table} "  # noqa: S608
                           f"WHERE id IN ({', '.join(['%s'] * len(ids))})", ids)
            for pk, *values in cursor.fetchall():
                found[pk] = dict(zip(FIRST_READ, values, strict=True))
    return found


# --- the stored items -------------------------------------------------------------------------


def _user_items(user_id: int, *, since: Any = None) -> Iterable[list[dict[str, Any]]]:
    """The person's items, CHUNK at a time by primary key (all of them, or those dated since)."""
    query = Item.objects.filter(connection__user_id=user_id)
    if since is not None:
        query = query.filter(created_at__gte=since)
    last = 0
    while True:
        chunk = list(query.filter(pk__gt=last).order_by("pk").values(*ITEM_FIELDS)[:CHUNK])
        if not chunk:
            return
        last = chunk[-1]["pk"]
        yield chunk


def _feeds_of(item_ids: Sequence[int]) -> dict[int, set[int]]:
    feeds: dict[int, set[int]] = {}
    for item_id, feed_id in FeedEntry.objects.filter(item_id__in=item_ids).values_list(
            "item_id", "feed_id"):
        feeds.setdefault(item_id, set()).add(feed_id)
    return feeds


def recompute(user_id: int) -> int:
    """Apply the person's rules to every stored item of theirs, again; until the version the
    job read is still the latest. Returns the version applied."""
    while True:
        version = effects.version_of(user_id)
        if version is None:
            return 0
        listening = effects.load(user_id, version)
        needs = listening.needs | words_index.PARTS
        for chunk in _user_items(user_id):
            read = {row["pk"]: row["digest"] for row in chunk}
            feeds = _feeds_of(list(read))
            outcomes, indexed = _matched(listening, chunk, feeds, needs)
            for attempt in range(1, WRITE_ATTEMPTS + 1):
                try:
                    _write_chunk(user_id, listening, needs, read, feeds, outcomes, indexed)
                    break
                except (IntegrityError, OperationalError) as error:
                    if attempt == WRITE_ATTEMPTS or not _lost_a_race(error):
                        raise
                    log.info("recompute of user %s: chunk write lost a race (%s): again",
                             user_id, error)
        with transaction.atomic():
            done = ListeningState.objects.filter(user_id=user_id, version=version).update(
                applied_version=version)
        effects.forget(user_id)
        if done:
            return version
        log.info("rules of user %s changed during the recompute: again", user_id)


# A chunk's write transaction can lose a race with a deletion the network reported
# (timeline/services.py remove_deleted, which does not take the person's turn: ingest takes the
# turn after storing its items, so a deletion taking it would deadlock with ingest). On
# PostgreSQL, an item deleted after the write's second read makes its ItemMark insert fail the
# foreign key (IntegrityError), and the two transactions locking the same ItemMark/ItemWords
# rows in other orders can deadlock (PostgreSQL aborts one: 40P01; 40001 for a serialization
# failure). The write is then done again, reading the chunk again in a new transaction; the
# deletion, if it was the one aborted, is retried by its caller (streaming._remove_retrying).
WRITE_ATTEMPTS = 3
_RACE_CODES = frozenset({"40P01", "40001"})


def _lost_a_race(error: Exception) -> bool:
    if isinstance(error, IntegrityError):
        return True
    return getattr(error.__cause__, "pgcode", None) in _RACE_CODES or \
        getattr(error.__cause__, "sqlstate", None) in _RACE_CODES


def _write_chunk(user_id: int, listening: effects.Listening, needs: Any,
                 read: Mapping[int, str], feeds: Mapping[int, set[int]],
                 outcomes: list[effects.Outcome],
                 indexed: list[tuple[int, str, str, str]]) -> None:
    """Write what the rules do to one chunk of items read before (`read`: their digests), in
    one transaction that takes the person's turn and reads the chunk again."""
    with transaction.atomic():
        _take_turns(user_id)
        # An ingest since the chunk was read (an edit, a new feed of an item, a
        # deletion) wrote what the rules do to its items: those are read and matched
        # again, not overwritten with what the chunk said.
        stored = dict(Item.objects.filter(pk__in=list(read)).values_list("pk", "digest"))
        now_in = _feeds_of(list(read))
        again = {pk for pk, digest in stored.items()
                 if digest != read[pk] or now_in.get(pk, set()) != feeds.get(pk, set())}
        if again or len(stored) < len(read):
            keep = stored.keys() - again
            outcomes = [o for o in outcomes if o.item_id in keep]
            indexed = [r for r in indexed if r[0] in keep]
            rows = list(Item.objects.filter(pk__in=sorted(again)).values(*ITEM_FIELDS))
            more, more_indexed = _matched(listening, rows, now_in, needs)
            outcomes = outcomes + more
            indexed = indexed + more_indexed
        effects.write(outcomes, replace_entries=True, user_id=user_id)
        words_index.write(indexed)


def _matched(listening: effects.Listening, rows: Iterable[Mapping[str, Any]],
             feeds: Mapping[int, set[int]], needs: Any
             ) -> tuple[list[effects.Outcome], list[tuple[int, str, str, str]]]:
    """What the rules do to these stored items, and their kept words."""
    outcomes = []
    indexed = []
    for row in rows:
        item_feeds = feeds.get(row["pk"], set())
        doc = doc_of(row, item_feeds, needs=needs)
        indexed.append(words_index.row_of(row["pk"], doc, row["digest"]))
        effect = listening.rules.match(doc)
        allowed = listening.allowed_columns(doc, item_feeds)
        outcomes.append(effects.Outcome(row["pk"], row["created_at"], effect, allowed))
    return outcomes, indexed


def _take_turns(user_id: int) -> None:
    """Ingest's matching of a person's batch and the recompute's write of a chunk of their
    items take turns until the transaction ends, so that the recompute, reading again after
    its turn came, sees what an ingest before it wrote. SQLite's writers already take turns
    (IMMEDIATE transactions); on PostgreSQL a transaction-scoped advisory lock."""
    if db.vendor == "postgresql":
        with db.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(hashtext(%s))",
                           [f"hubbub.listening.items:{user_id}"])


# --- preview ----------------------------------------------------------------------------------


@dataclass
class Preview:
    days: int
    matched: int = 0  # the items the rule decides (hides, marks priority) or else matches
    examples: list[int] = field(default_factory=list)  # item ids, newest first
    hides: bool = False
    priority: bool = False  # marks priority (and does not hide)
    # Items the rule matches and would hide or mark priority, but an earlier rule decides first
    # (not in `matched`): by the id of the first earlier rule that hides or marks priority there.
    taken: dict[int, int] = field(default_factory=dict)

    @property
    def verb(self) -> str:
        return "hides" if self.hides else "marks as priority" if self.priority else "matches"

    @property
    def taken_count(self) -> int:
        return sum(self.taken.values())


MAX_EXAMPLES = 5
# The actions of which the first rule (in order) that has one decides (matcher._apply).
DECIDING = frozenset({"hide", "hide_until", "priority"})


def rules_before(user_id: int, rule_id: int | None = None) -> list[RuleSpec]:
    """The person's rules that come before a rule in their order (the Rules page's): all of
    them before a new rule, which goes last (services.save_rule); those above a stored one
    (`rule_id`). Paused and ended ones included: compile_rules leaves them out, as it does
    for the saved rules."""
    rules = Rule.objects.filter(user_id=user_id)
    if rule_id:
        place = Rule.objects.filter(user_id=user_id, pk=rule_id).values_list(
            "position", flat=True).first()
        if place is not None:
            rules = rules.filter(Q(position__lt=place) | Q(position=place, pk__lt=rule_id))
        rules = rules.exclude(pk=rule_id)
    return effects.specs_of(rules.order_by("position", "pk"))


def preview(user_id: int, spec: RuleSpec, *, days: int,
            earlier: Sequence[RuleSpec] = ()) -> Preview:
    """What this rule, active and placed after the `earlier` rules (rules_before: the rules
    above it on the Rules page), does to the person's items of the last `days` days: the same
    matching as `recompute`, on the items the feeds' (feed, created_at) index finds in the
    window, reading only the fields the conditions look at. A rule that hides (or marks
    priority) counts the items it decides: an item an earlier active rule that hides or marks
    priority also matches is decided there (matcher._apply) and counted in `taken` instead.
    Without `earlier`: the rule alone.

    The earlier rules are checked only on this rule's candidates (those the words index lets
    through and this rule matches), so they cost little whatever their number."""
    now = timezone.now()
    one = RuleSpec(spec.rule_id or 0, 0, spec.conditions, spec.actions)
    from hubbub.people.selectors import authors_of_people

    column_feeds = effects.column_feeds_of(user_id)
    people = authors_of_people(user_id)
    rules = compile_rules([one], column_feeds, now=now, people=people)
    result = Preview(days, hides=any(a.kind in ("hide", "hide_until") for a in spec.actions),
                     priority=any(a.kind == "priority" for a in spec.actions))
    if not rules.rules or (result.hides and not _hides_now(rules, now)):
        return result  # no condition, or it hides nothing now: it decides nothing
    deciders = [s for s in earlier if any(a.kind in DECIDING for a in s.actions)]
    above: RuleSet | None = None
    if deciders and (result.hides or result.priority):
        above = compile_rules(deciders, column_feeds, now=now, people=people)
        if not above.rules:  # all paused, ended or empty
            above = None
    since = now - timedelta(days=days)
    newest: list[tuple[Any, int]] = []

    def count(created_at: Any, item_id: int) -> None:
        nonlocal newest
        result.matched += 1
        newest.append((created_at, item_id))
        if len(newest) > 4 * MAX_EXAMPLES:
            newest = sorted(newest, reverse=True)[:MAX_EXAMPLES]

    def settle(found: list[tuple[Any, int]]) -> None:
        """Count these items this rule matches, less those an earlier rule decides first:
        those are checked on them only, reading the fields their conditions look at."""
        if above is None:
            for created_at, item_id in found:
                count(created_at, item_id)
            return
        at_of = {item_id: at for at, item_id in found}
        for row, feeds in _rows(list(at_of), above_fields, above_feeds):
            first = above.match(doc_of(row, feeds, needs=above.needs))
            if first.empty:
                count(at_of[row["pk"]], row["pk"])
            else:  # the first earlier rule that hides or marks priority decides
                taken = first.rule_ids[0]
                result.taken[taken] = result.taken.get(taken, 0) + 1

    above_fields = _fields_for(*deciders)
    above_feeds = _needs_feeds(*deciders)
    fields = _fields_for(spec)
    with_feeds = _needs_feeds(spec)
    cut = words_index.cut(rules)
    if cut is None:
        chunks: Iterable[list[int]] = _window_ids(user_id, since)
    else:  # the database's first cut: the items whose words or authors can match
        hits, missing = words_index.window(_feed_ids(user_id), since, cut)
        if cut.exact:  # ... and its test is the rule's: each hit matches
            settle(hits)
            chunks = _chunked(missing)
        else:
            chunks = _chunked([item_id for _at, item_id in hits] + missing)
    needles = rules.word_needles()
    for ids in chunks:
        found: list[tuple[Any, int]] = []
        for row, feeds in _rows(ids, fields, with_feeds):
            if needles is not None:
                # An ASCII text without any of the rule's words cannot match: skip the work.
                blob = words_text(row)
                if blob.isascii():
                    lowered = blob.lower()
                    if not any(needle in lowered for needle in needles):
                        continue
            if not rules.match(doc_of(row, feeds, needs=rules.needs)).empty:
                found.append((row["created_at"], row["pk"]))
        settle(found)
    result.examples = [pk for _at, pk in sorted(newest, reverse=True)[:MAX_EXAMPLES]]
    return result


def _rows(ids: list[int], fields: list[str], with_feeds: bool
          ) -> Iterable[tuple[dict[str, Any], Iterable[int]]]:
    """These items' `fields` (CHUNK at a time), each with its feeds when `with_feeds`."""
    for part in _chunked(ids):
        feeds = _feeds_of(part) if with_feeds else {}
        for row in Item.objects.filter(pk__in=part).values(*fields):
            yield row, feeds.get(row["pk"], ())


def _hides_now(rules: RuleSet, now: Any) -> bool:
    """Whether the one rule's actions hide an item it matches now (as matcher._apply makes
    its effect: the same for every item)."""
    effect = Effect()
    decided = False
    rule = rules.rules[0]
    for action in rule.actions:
        decided = apply_action(effect, action, rule, decided)
    return bool(effect.hidden_until and effect.hidden_until > now)


def _chunked(ids: Sequence[int]) -> Iterable[list[int]]:
    for start in range(0, len(ids), CHUNK):
        yield list(ids[start:start + CHUNK])


def _feed_ids(user_id: int) -> list[int]:
    from hubbub.timeline.models import Feed

    return list(Feed.objects.filter(connection__user_id=user_id).values_list("pk", flat=True))


_ALWAYS = ("pk", "created_at", "network", "connection_id", "kind")
_FIELDS = {
    "words": ("text", "content_warning", "media", "card"),
    "author": ("author_handle", "remote_id"),
    "person": ("author_handle", "remote_id"),
    "hashtag": ("text", "extra"),
    "domain": ("text", "html", "card"),
    "language": ("extra",),
    "has_media": ("media",),
    "no_alt": ("media",),
    "kind": ("in_reply_to", "reposted_by", "quote"),
}


def _fields_for(*specs: RuleSpec) -> list[str]:
    wanted = dict.fromkeys(_ALWAYS)
    for spec in specs:
        for condition in spec.conditions:
            wanted.update(dict.fromkeys(_FIELDS.get(condition.kind, ())))
    return list(wanted)


def _window_ids(user_id: int, since: Any) -> Iterable[list[int]]:
    """The person's item ids dated since `since`, CHUNK at a time: a range of the
    (feed, created_at) index a feed, as a column page reads."""
    from hubbub.timeline.models import Feed

    seen: set[int] = set()
    pending: list[int] = []
    for feed_id in Feed.objects.filter(connection__user_id=user_id).values_list("pk", flat=True):
        for item_id in FeedEntry.objects.filter(feed_id=feed_id, created_at__gte=since) \
                .values_list("item_id", flat=True).iterator(chunk_size=CHUNK):
            if item_id in seen:
                continue
            seen.add(item_id)
            pending.append(item_id)
            if len(pending) >= CHUNK:
                yield pending
                pending = []
    if pending:
        yield pending


def _needs_feeds(*specs: RuleSpec) -> bool:
    return any(c.kind == "column" for spec in specs for c in spec.conditions)
