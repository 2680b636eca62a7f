"""What a rule is made of, as plain values: conditions and actions, read from (and written to)
the JSON a Rule row stores and an export file carries. Reading checks everything and raises
`Invalid` with a message fit to show; nothing here touches the database.

A new condition or action (e.g. "add to the inbox") is a new name in
CONDITIONS or ACTIONS, its reading in `condition_from`/`action_from`, and its test in
matcher._Check / matcher._apply. "person" names People (hubbub.people) by id; compiling turns
it into an author check of all their accounts (matcher._check_of).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from django.utils.dateparse import parse_datetime

from hubbub.listening.text import author_key, fold, host_of

# name -> label. Conditions with values hold when any of the values is found.
CONDITIONS: dict[str, str] = {
    "author": "Author is (handle, DID or npub)",
    "person": "Author is one of your people (any of their accounts, every network)",
    "words": "Words or phrases",
    "hashtag": "Hashtags",
    "domain": "Links to a domain (and its subdomains)",
    "language": "Language (as the post says it: Mastodon, Bluesky, Nostr labels)",
    "has_media": "Has pictures or video",
    "no_alt": "Has a picture without alt text",
    "kind": "Is a reply, repost or quote",
    "network": "Network",
    "connection": "Read by the account",
    "column": "Read into the column",
}
FLAG_CONDITIONS = frozenset({"has_media", "no_alt"})
ID_CONDITIONS = frozenset({"connection", "column", "person"})
INDEXED = frozenset({"words", "author", "hashtag", "domain"})
KINDS = ("reply", "repost", "quote")
ACTIONS: dict[str, str] = {
    "hide": "Hide",
    "hide_until": "Hide until a date",
    "priority": "Mark priority",
    "send_to": "Also show in a column",
    "mark_read": "Mark read",
    "notify": "Notify me on the deck",
    "inbox": "Add to the inbox",
}
MAX_VALUES = 200
MAX_VALUE_CHARS = 300
MAX_ID = 2**63 - 1


# The moments a rule may name (hide until, ends on): the databases' and the clocks' range, in UTC.
EARLIEST = datetime(1970, 1, 1, tzinfo=UTC)
LATEST = datetime(9999, 12, 30, tzinfo=UTC)


def moment(raw: object, what: str) -> datetime:
    """A date and time with its zone, from a form or a file, within EARLIEST..LATEST (year 1 in
    Tokyo is year 0 in UTC, which no database stores): Invalid otherwise, saying `what`."""
    when: datetime | None = None
    if isinstance(raw, datetime):
        when = raw
    elif isinstance(raw, str) and len(raw) < 40:
        try:
            when = parse_datetime(raw)
        except (ValueError, OverflowError):  # well formed but no such day: 2024-02-30
            when = None
    if when is None or when.tzinfo is None:
        raise Invalid(f"{what}: a date and time with its time zone is needed")
    try:
        in_utc = when.astimezone(UTC)
    except (OverflowError, ValueError):
        in_utc = None
    if in_utc is None or not EARLIEST <= in_utc <= LATEST:
        raise Invalid(f"{what}: a date between 1970 and 9999 is needed")
    return when


class Invalid(ValueError):
    """A rule that cannot be used; the message says what and where."""


@dataclass(frozen=True, slots=True)
class Condition:
    kind: str
    values: tuple[Any, ...] = ()
    negate: bool = False

    def as_json(self) -> dict[str, Any]:
        return {"kind": self.kind, "values": list(self.values), "negate": self.negate}


@dataclass(frozen=True, slots=True)
class Action:
    kind: str
    until: datetime | None = None
    column: int | None = None

    def as_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {"kind": self.kind}
        if self.until is not None:
            data["until"] = self.until.isoformat()
        if self.column is not None:
            data["column"] = self.column
        return data


@dataclass(frozen=True, slots=True)
class RuleSpec:
    rule_id: int
    position: int
    conditions: tuple[Condition, ...]
    actions: tuple[Action, ...]
    paused: bool = False
    expires_at: datetime | None = None


def _id(value: Any, what: str) -> int:
    text = str(value).strip()
    if not (text.isascii() and text.isdigit()) or len(text) > 19 or not 0 < int(text) <= MAX_ID:
        raise Invalid(f"{what}: not an id")
    return int(text)


def plain_text(value: str, what: str) -> str:
    """Text without NUL, stripped; Invalid when it holds a lone surrogate (from a JSON
    "\\ud800": no database or page can carry it)."""
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise Invalid(f"{what}: a value holds a broken character (a lone surrogate)") from None
    return value.replace("\x00", "").strip()


def clean_values(kind: str, raw: Any) -> tuple[Any, ...]:
    """A condition's values, checked: a list (or a comma/line separated text)."""
    if isinstance(raw, str):
        raw = [v for line in raw.splitlines() for v in line.split(",")]
    if not isinstance(raw, list | tuple):
        raise Invalid(f"{CONDITIONS.get(kind, kind)}: a list of values is needed")
    values: list[Any] = []
    for value in raw:
        if isinstance(value, bool) or not isinstance(value, str | int):
            raise Invalid(f"{CONDITIONS[kind]}: values must be text")
        text = plain_text(str(value), CONDITIONS[kind])
        if not text:
            continue
        if len(text) > MAX_VALUE_CHARS:
            raise Invalid(f"{CONDITIONS[kind]}: a value is longer than {MAX_VALUE_CHARS} "
                          "characters")
        if kind in ID_CONDITIONS:
            values.append(_id(text, CONDITIONS[kind]))
        elif kind == "author":
            values.append(author_key(text))
        elif kind == "hashtag":
            values.append(fold(text.lstrip("#")))
        elif kind == "domain":
            host = host_of(text.split("://", 1)[-1].split("/", 1)[0])
            if "." not in host:
                raise Invalid(f"{CONDITIONS[kind]}: {host[:60]!r} is not a domain")
            values.append(host)
        elif kind == "language":
            values.append(fold(text).split("-", 1)[0])
        elif kind == "kind":
            if text.lower() not in KINDS:
                raise Invalid("Is a reply, repost or quote: choose reply, repost or quote")
            values.append(text.lower())
        elif kind == "network":
            values.append(text.lower())
        else:
            values.append(text)
    if len(values) > MAX_VALUES:
        raise Invalid(f"{CONDITIONS[kind]}: at most {MAX_VALUES} values")
    values = list(dict.fromkeys(values))
    if not values:
        raise Invalid(f"{CONDITIONS[kind]}: give at least one value")
    return tuple(values)


def condition_from(data: Any) -> Condition:
    if not isinstance(data, Mapping):
        raise Invalid("A condition must be an object")
    kind = data.get("kind")
    if kind not in CONDITIONS:
        raise Invalid(f"Unknown condition {str(kind)[:40]!r}")
    negate = data.get("negate", False)
    if not isinstance(negate, bool):
        raise Invalid("negate must be true or false")
    if kind in FLAG_CONDITIONS:
        return Condition(kind, (), negate)
    return Condition(kind, clean_values(kind, data.get("values")), negate)


def action_from(data: Any) -> Action:
    if not isinstance(data, Mapping):
        raise Invalid("An action must be an object")
    kind = data.get("kind")
    if kind not in ACTIONS:
        raise Invalid(f"Unknown action {str(kind)[:40]!r}")
    if kind == "hide_until":
        return Action(kind, until=moment(data.get("until"), "Hide until"))
    if kind == "send_to":
        return Action(kind, column=_id(data.get("column"), "Also show in a column"))
    return Action(kind)


def spec_from(data: Mapping[str, Any], *, rule_id: int = 0, position: int = 0) -> RuleSpec:
    """A rule's conditions and actions (the JSON a Rule stores), checked."""
    conditions = data.get("conditions")
    actions = data.get("actions")
    if not isinstance(conditions, list) or not conditions:
        raise Invalid("A rule needs at least one condition")
    if not isinstance(actions, list) or not actions:
        raise Invalid("A rule needs at least one action")
    if len(conditions) > 20 or len(actions) > 10:
        raise Invalid("At most 20 conditions and 10 actions a rule")
    return RuleSpec(rule_id, position, tuple(condition_from(c) for c in conditions),
                    tuple(action_from(a) for a in actions))


def conditions_json(conditions: Sequence[Condition]) -> list[dict[str, Any]]:
    return [c.as_json() for c in conditions]


def actions_json(actions: Sequence[Action]) -> list[dict[str, Any]]:
    return [a.as_json() for a in actions]
