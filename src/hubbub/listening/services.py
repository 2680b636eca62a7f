"""Writes to a person's rules and allow-lists. Every change bumps the person's version and, after
the commit, the background job applies the rules again to what is stored (apply.recompute)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from django.contrib.auth.models import User
from django.db import transaction
from django.db.models import F, Max

from hubbub.jobs import kept
from hubbub.listening import effects
from hubbub.listening.conditions import (
    Invalid,
    RuleSpec,
    actions_json,
    conditions_json,
    moment,
    plain_text,
    spec_from,
)
from hubbub.listening.models import ListeningState, Rule
from hubbub.listening.tasks import recompute_rules
from hubbub.listening.text import author_key
from hubbub.timeline.models import Column

EXPORT_VERSION = 1
MAX_RULES = 1000
MAX_ALLOW = 500


def bump(user_id: int) -> None:
    """A change of rules or allow-lists: a new version, applied after the commit."""
    ListeningState.objects.get_or_create(user_id=user_id)
    ListeningState.objects.filter(user_id=user_id).update(version=F("version") + 1)
    effects.forget(user_id)
    transaction.on_commit(lambda: effects.forget(user_id))
    # After the commit: on Celery a broker that is down refuses the message, and the change is
    # saved by then. The recompute is kept and enqueued again once the broker is back
    # (jobs/kept.py), and the request answers as usual.
    transaction.on_commit(lambda: kept.enqueue_or_keep(recompute_rules, user_id))


def check_columns(user: User, spec: RuleSpec) -> None:
    """Columns a rule names must be the person's own."""
    named = {a.column for a in spec.actions if a.column is not None}
    for condition in spec.conditions:
        if condition.kind == "column":
            named.update(condition.values)
    if named:
        own = set(Column.objects.filter(deck__user=user, pk__in=named)
                  .values_list("pk", flat=True))
        if named - own:
            raise Invalid("A column named by the rule is not one of yours")


def check_connections(user: User, spec: RuleSpec) -> None:
    from hubbub.connections.models import Connection

    named = {v for c in spec.conditions if c.kind == "connection" for v in c.values}
    if named and named - set(Connection.objects.filter(user=user, pk__in=named)
                             .values_list("pk", flat=True)):
        raise Invalid("An account named by the rule is not one of yours")


def check_people(user: User, spec: RuleSpec) -> None:
    from hubbub.people.models import Person

    named = {v for c in spec.conditions if c.kind == "person" for v in c.values}
    if named and named - set(Person.objects.filter(user=user, pk__in=named)
                             .values_list("pk", flat=True)):
        raise Invalid("A person named by the rule is not one of yours")


def save_rule(user: User, spec: RuleSpec, *, name: str, expires_at: datetime | None,
              rule: Rule | None = None) -> Rule:
    check_columns(user, spec)
    check_connections(user, spec)
    check_people(user, spec)
    with transaction.atomic():
        if rule is None:
            if Rule.objects.filter(user=user).count() >= MAX_RULES:
                raise Invalid(f"At most {MAX_RULES} rules")
            top = Rule.objects.filter(user=user).aggregate(top=Max("position"))["top"]
            rule = Rule(user=user, position=0 if top is None else top + 1)
        rule.name = name[:200]
        rule.expires_at = expires_at
        rule.conditions = conditions_json(spec.conditions)
        rule.actions = actions_json(spec.actions)
        rule.save()
        bump(user.pk)
    return rule


def set_paused(rule: Rule, paused: bool) -> None:
    with transaction.atomic():
        Rule.objects.filter(pk=rule.pk).update(paused=paused)
        bump(rule.user_id)


def delete_rule(rule: Rule) -> None:
    with transaction.atomic():
        user_id = rule.user_id
        rule.delete()
        bump(user_id)


def move_rule(rule: Rule, step: int) -> None:
    """One place up (-1) or down (+1) in the person's order."""
    with transaction.atomic():
        rules = list(Rule.objects.select_for_update().filter(user_id=rule.user_id))
        index = next(i for i, r in enumerate(rules) if r.pk == rule.pk)
        other = index + step
        if not 0 <= other < len(rules):
            return
        rules[index], rules[other] = rules[other], rules[index]
        for position, item in enumerate(rules):
            if item.position != position:
                Rule.objects.filter(pk=item.pk).update(position=position)
        bump(rule.user_id)


def set_allow_list(column: Column, authors: Sequence[str]) -> None:
    """The column shows only these authors' items (handles, DIDs, npubs); none: everything."""
    keys = list(dict.fromkeys(author_key(a) for a in authors if a.strip()))
    if len(keys) > MAX_ALLOW:
        raise Invalid(f"At most {MAX_ALLOW} people a column")
    if any(len(k) > 300 for k in keys):
        raise Invalid("A handle is longer than 300 characters")
    with transaction.atomic():
        column = Column.objects.select_for_update().get(pk=column.pk)
        filters = dict(column.filters) if isinstance(column.filters, dict) else {}
        if keys:
            filters["only"] = keys
        else:
            filters.pop("only", None)
        Column.objects.filter(pk=column.pk).update(filters=filters)
        user_id = Column.objects.filter(pk=column.pk).values_list("deck__user_id", flat=True)[0]
        bump(user_id)


# --- export / import --------------------------------------------------------------------------


def export(user: User) -> str:
    rules = [
        {"name": r.name, "paused": r.paused,
         "expires_at": r.expires_at.isoformat() if r.expires_at else None,
         "conditions": r.conditions, "actions": r.actions}
        for r in Rule.objects.filter(user=user)
    ]
    return json.dumps({"hubbub_rules": EXPORT_VERSION, "rules": rules}, indent=2,
                      ensure_ascii=False)


def import_rules(user: User, raw: bytes) -> int:
    """Add the rules of an exported file after the person's own (see `import_rules_counted`);
    how many were added."""
    return import_rules_counted(user, raw)[0]


def _same_key(conditions: Any, actions: Any, expires: datetime | None) -> str:
    """What makes two rules the same rule: their conditions, actions and end (not their name
    or pause)."""
    end = expires.astimezone(UTC).isoformat() if expires else None
    return json.dumps([conditions, actions, end], sort_keys=True, default=str)


def import_rules_counted(user: User, raw: bytes) -> tuple[int, int]:
    """Add the rules of an exported file after the person's own. All or nothing: a file with
    anything wrong raises Invalid (saying where) and changes nothing. A rule the person already
    has (the same conditions, actions and end: importing one's own export again) is not added
    twice. Returns (added, already there)."""
    try:
        data = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError) as exc:  # [[[[... nested too deep
        raise Invalid("The file is not a rules file (not JSON text)") from exc
    if not isinstance(data, dict) or data.get("hubbub_rules") != EXPORT_VERSION:
        raise Invalid(f"The file is not a hubbub rules file of version {EXPORT_VERSION}")
    rules = data.get("rules")
    if not isinstance(rules, list):
        raise Invalid("The file has no list of rules")
    read: list[tuple[RuleSpec, str, bool, datetime | None]] = []
    for number, entry in enumerate(rules, start=1):
        try:
            if not isinstance(entry, dict):
                raise Invalid("not an object")
            spec = spec_from(entry)
            check_columns(user, spec)
            check_connections(user, spec)
            check_people(user, spec)
            name = entry.get("name") or ""
            paused = entry.get("paused", False)
            expires: Any = entry.get("expires_at")
            if not isinstance(name, str) or not isinstance(paused, bool):
                raise Invalid("name must be text and paused true or false")
            name = plain_text(name, "name")
            when = None if expires is None else moment(expires, "expires_at")
        except Invalid as exc:
            raise Invalid(f"Rule {number}: {exc}") from exc
        read.append((spec, name[:200], paused, when))
    with transaction.atomic():
        had = {_same_key(r.conditions, r.actions, r.expires_at)
               for r in Rule.objects.filter(user=user).select_for_update()}
        fresh: list[tuple[RuleSpec, str, bool, datetime | None]] = []
        for spec, name, paused, when in read:
            key = _same_key(conditions_json(spec.conditions), actions_json(spec.actions), when)
            if key not in had:
                had.add(key)
                fresh.append((spec, name, paused, when))
        already = len(read) - len(fresh)
        read = fresh
        count = Rule.objects.filter(user=user).count()
        if count + len(read) > MAX_RULES:
            raise Invalid(f"At most {MAX_RULES} rules: the file would make {count + len(read)}")
        top = Rule.objects.filter(user=user).aggregate(top=Max("position"))["top"]
        start = 0 if top is None else top + 1
        Rule.objects.bulk_create([
            Rule(user=user, name=name, paused=paused, expires_at=when, position=start + n,
                 conditions=conditions_json(spec.conditions), actions=actions_json(spec.actions))
            for n, (spec, name, paused, when) in enumerate(read)
        ])
        if read:
            bump(user.pk)
    return len(read), already
