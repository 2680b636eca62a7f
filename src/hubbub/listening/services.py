"""Writes to a person's rules and allow-lists. Every change bumps the person's version and, after
the commit, the background job applies the rules again to what is stored (apply.recompute)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any

from django.contrib.auth.models import User
from django.db import transaction
from django.db.models import F, Max

from hubbub.core.ids import parse_id
from hubbub.jobs import kept
from hubbub.listening import effects
from hubbub.listening.conditions import (
    CONDITIONS,
    ID_CONDITIONS,
    Action,
    Condition,
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
#
# A file names what a rule points at twice: by id (`values`, `column`), as the rule stores it,
# and by name beside it, which is what survives a move to another hub or a deleted and remade
# column: a condition on columns, accounts or people carries `names`, one object a value in the
# values' order (a column {"title", "deck"}, an account {"network", "handle"}, a person
# {"name"}; null for one deleted since), a "send to" action `column_name` {"title", "deck"}.
# Import takes an id that is one of the person's own and whose name (when the file gives one)
# is that thing's; else the one thing of the person's of that name; else the id if it is the
# person's own (a column renamed since the export). A rule naming something found neither way
# is skipped, whole: without that condition it would act on more items than it said, without
# that action it would do something else. The rest of the file is imported, and the answer
# names each rule skipped and what was missing. Files of ids alone (before names) still import.

UNTITLED = "Untitled rule"
NAME_CHARS = 300


def shown_name(name: str) -> str:
    """A rule as every Rules page and message names it: its name, or "Untitled rule"."""
    return name or UNTITLED


@dataclass(frozen=True, slots=True)
class Owned:
    """What a person's rules may point at, by id, with the names the export file carries."""

    columns: dict[int, dict[str, str]]
    connections: dict[int, dict[str, str]]
    people: dict[int, dict[str, str]]

    @classmethod
    def of(cls, user_id: int) -> Owned:
        from hubbub.connections.models import Connection
        from hubbub.people.models import Person

        return cls(
            columns={pk: {"title": title, "deck": deck} for pk, title, deck in
                     Column.objects.filter(deck__user_id=user_id)
                     .order_by("deck__position", "deck_id", "position", "pk")
                     .values_list("pk", "title", "deck__name")},
            connections={pk: {"network": network, "handle": handle} for pk, network, handle in
                         Connection.objects.filter(user_id=user_id).order_by("pk")
                         .values_list("pk", "network", "handle")},
            people={pk: {"name": name} for pk, name in
                    Person.objects.filter(user_id=user_id).order_by("pk")
                    .values_list("pk", "name")},
        )

    def kind(self, kind: str) -> dict[int, dict[str, str]]:
        return {"column": self.columns, "connection": self.connections,
                "person": self.people}[kind]


_NAME_KEYS = {"column": ("title", "deck"), "connection": ("network", "handle"),
              "person": ("name",)}


def _name_of(kind: str, raw: Any) -> dict[str, str] | None:
    """A name as a file gives it, or None when it is absent or not of the expected shape (a
    file's names are a help, never a reason to refuse it)."""
    if not isinstance(raw, dict):
        return None
    try:
        found = {k: plain_text(v, "name")[:NAME_CHARS] for k in _NAME_KEYS[kind]
                 if isinstance(v := raw.get(k), str)}
    except Invalid:  # a lone surrogate
        return None
    main = _NAME_KEYS[kind][-1] if kind == "connection" else _NAME_KEYS[kind][0]
    return found if found.get(main) else None


def _same(kind: str, want: dict[str, str], have: dict[str, str]) -> bool:
    if kind == "connection":
        return (author_key(want["handle"]) == author_key(have["handle"])
                and want.get("network", have["network"]).lower() == have["network"])
    return all(have.get(k) == v for k, v in want.items())


def _find(kind: str, ref: int, name: dict[str, str] | None, owned: Owned) -> int | None:
    """The person's own thing a file's reference means (see above), or None."""
    own = owned.kind(kind)
    if ref in own and (name is None or _same(kind, name, own[ref])):
        return ref
    if name is not None:
        found = [pk for pk, have in own.items() if _same(kind, name, have)]
        if not found and kind == "column" and "deck" in name:  # the deck was renamed
            found = [pk for pk, have in own.items() if have["title"] == name["title"]]
        if found:
            return found[0]
    return ref if ref in own else None


def _missing(kind: str, ref: int, name: dict[str, str] | None) -> str:
    if name is None:
        what = {"column": "column", "connection": "account", "person": "person"}[kind]
        return f"the {what} {ref} (the file gives no name) is not one of yours"
    if kind == "column":
        deck = f" (deck {name['deck']})" if name.get("deck") else ""
        return f"the column “{name['title']}”{deck} is not one of yours"
    if kind == "connection":
        network = f" ({name['network'].capitalize()})" if name.get("network") else ""
        return f"the account {name['handle']}{network} is not one of yours"
    return f"the person “{name['name']}” is not one of yours"


def _names_given(kind: str, entry: Any) -> dict[int, dict[str, str]]:
    """A file condition's id -> name, from its `values` and `names` side by side."""
    if not isinstance(entry, dict):
        return {}
    values, names = entry.get("values"), entry.get("names")
    if not isinstance(values, list) or not isinstance(names, list):
        return {}
    found: dict[int, dict[str, str]] = {}
    for value, raw in zip(values, names, strict=False):
        ref = parse_id(value.strip() if isinstance(value, str) else value)
        name = _name_of(kind, raw)
        if name is not None and ref is not None:
            found.setdefault(ref, name)
    return found


def _resolved(spec: RuleSpec, entry: dict[str, Any], owned: Owned) -> tuple[RuleSpec, list[str]]:
    """The rule with every reference made the person's own, and what could not be (said)."""
    missing: list[str] = []
    raw_conditions = entry.get("conditions") or []
    conditions: list[Condition] = []
    for index, condition in enumerate(spec.conditions):
        if condition.kind not in ID_CONDITIONS:
            conditions.append(condition)
            continue
        names = _names_given(condition.kind, raw_conditions[index])
        values: list[int] = []
        for ref in condition.values:
            found = _find(condition.kind, ref, names.get(ref), owned)
            if found is None:
                missing.append(_missing(condition.kind, ref, names.get(ref)))
            else:
                values.append(found)
        conditions.append(replace(condition, values=tuple(dict.fromkeys(values))))
    raw_actions = entry.get("actions") or []
    actions: list[Action] = []
    for index, action in enumerate(spec.actions):
        if action.column is None:
            actions.append(action)
            continue
        raw = raw_actions[index]
        name = _name_of("column", raw.get("column_name") if isinstance(raw, dict) else None)
        found = _find("column", action.column, name, owned)
        if found is None:
            missing.append(_missing("column", action.column, name))
        else:
            actions.append(replace(action, column=found))
    return replace(spec, conditions=tuple(conditions), actions=tuple(actions)), missing


def _named_values(condition: dict[str, Any], owned: Owned) -> dict[str, Any]:
    """A stored condition as a file carries it: with the names of the things its ids are."""
    kind = condition.get("kind")
    if kind not in ID_CONDITIONS:
        return condition
    own = owned.kind(kind)
    return {**condition, "names": [own.get(v) for v in condition.get("values") or []]}


def _named_action(action: dict[str, Any], owned: Owned) -> dict[str, Any]:
    if action.get("column") is None:
        return action
    return {**action, "column_name": owned.columns.get(action["column"])}


def export(user: User) -> str:
    owned = Owned.of(user.pk)
    rules = [
        {"name": r.name, "paused": r.paused,
         "expires_at": r.expires_at.isoformat() if r.expires_at else None,
         "conditions": [_named_values(c, owned) for c in r.conditions],
         "actions": [_named_action(a, owned) for a in r.actions]}
        for r in Rule.objects.filter(user=user)
    ]
    return json.dumps({"hubbub_rules": EXPORT_VERSION, "rules": rules}, indent=2,
                      ensure_ascii=False)


@dataclass(frozen=True, slots=True)
class Imported:
    """What importing a file did: rules added, rules of the file the person had already, and
    each rule skipped, as "“its name”: what was missing"."""

    added: int
    already: int
    skipped: tuple[str, ...] = ()


def import_rules(user: User, raw: bytes) -> int:
    """Add the rules of an exported file after the person's own (see `import_file`); how many
    were added."""
    return import_file(user, raw).added


def _same_key(conditions: Any, actions: Any, expires: datetime | None) -> str:
    """What makes two rules the same rule: their conditions, actions and end (not their name
    or pause)."""
    end = expires.astimezone(UTC).isoformat() if expires else None
    return json.dumps([conditions, actions, end], sort_keys=True, default=str)


def _rule_called(name: str, spec: RuleSpec) -> str:
    """A rule of a file, as the import's answer names it: “its name”, or “Untitled rule” with
    what its first condition looks for."""
    if name:
        return f"“{name}”"
    first = spec.conditions[0]
    values = ", ".join(str(v) for v in first.values[:3]) if first.kind not in ID_CONDITIONS else ""
    return f"“{UNTITLED}” ({CONDITIONS[first.kind]}{': ' + values if values else ''})"


def _surrogate(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


def import_file(user: User, raw: bytes) -> Imported:
    """Add the rules of an exported file after the person's own. A malformed file (not JSON,
    another version, an unknown condition, a broken date…) raises Invalid (saying which rule
    and why) and changes nothing. A rule naming a column, account or person the person has
    not (by id nor by name, see above) is skipped and said; the others are added. A rule the
    person already has (the same conditions, actions and end: importing one's own export
    again) is not added twice."""
    try:
        data = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError) as exc:  # [[[[... nested too deep
        raise Invalid("The file is not a rules file (not JSON text)") from exc
    if not isinstance(data, dict) or data.get("hubbub_rules") != EXPORT_VERSION:
        raise Invalid(f"The file is not a hubbub rules file of version {EXPORT_VERSION}")
    rules = data.get("rules")
    if not isinstance(rules, list):
        raise Invalid("The file has no list of rules")
    owned = Owned.of(user.pk)
    read: list[tuple[RuleSpec, str, bool, datetime | None]] = []
    skipped: list[str] = []
    for number, entry in enumerate(rules, start=1):
        try:
            if not isinstance(entry, dict):
                raise Invalid("not an object")
            spec = spec_from(entry)
            name = entry.get("name") or ""
            paused = entry.get("paused", False)
            expires: Any = entry.get("expires_at")
            if not isinstance(name, str) or not isinstance(paused, bool):
                raise Invalid("name must be text and paused true or false")
            name = plain_text(name, "name")[:200]
            when = None if expires is None else moment(expires, "expires_at")
        except Invalid as exc:
            called = entry.get("name") if isinstance(entry, dict) else None
            called = (f" (“{called[:80]}”)" if isinstance(called, str) and called.strip()
                      and called.isprintable() and not _surrogate(called) else "")
            raise Invalid(f"Rule {number}{called}: {exc}") from exc
        spec, missing = _resolved(spec, entry, owned)
        if missing:
            skipped.append(f"{_rule_called(name, spec)}: {'; '.join(missing)}")
            continue
        read.append((spec, name, paused, when))
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
    return Imported(len(read), already, tuple(skipped))
