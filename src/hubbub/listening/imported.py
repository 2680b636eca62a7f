"""Import what a person already muted on a network (Mastodon filters, mutes and blocks; Bluesky
muted words and mutes; a Nostr NIP-51 mute list) as hide rules: one rule per kind of thing
(and per end date), named "Imported from <handle>: …". Importing again from the same account
replaces the rules of that name instead of adding to them. All or nothing, as importing a rules
file: whatever fails (the network, a value no rule can hold), nothing changes."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.contrib.auth.models import User
from django.db import transaction
from django.db.models import Max

from hubbub.accounts.templatetags.hubbub_ui import short_id
from hubbub.connections.models import Connection
from hubbub.connections.services import account_for
from hubbub.listening.conditions import (
    EARLIEST,
    MAX_VALUE_CHARS,
    MAX_VALUES,
    Invalid,
    RuleSpec,
    actions_json,
    conditions_json,
    spec_from,
)
from hubbub.listening.models import Rule
from hubbub.listening.services import MAX_RULES, bump
from hubbub.networks.base import Account
from hubbub.networks.errors import AuthExpired, ConnectorError
from hubbub.networks.mutes import Found, Muted

NETWORKS = ("mastodon", "bluesky", "nostr")
_NOUNS = {"words": "muted words", "hashtag": "muted hashtags", "author": "muted accounts"}
EXAMPLES = 5


def _reader(network: str) -> Callable[[Account], Found]:
    if network == "mastodon":
        from hubbub.networks.mastodon import mutes as mastodon

        return mastodon.read_account
    if network == "bluesky":
        from hubbub.networks.bluesky import mutes as bluesky

        return bluesky.read_account
    if network == "nostr":
        from hubbub.networks.nostr import mutes as nostr

        return nostr.read_account
    raise Invalid("Only Mastodon, Bluesky and Nostr accounts have mutes to import")


def read_found(connection: Connection) -> Found:
    """What the connection's account mutes, refreshing expired credentials once."""
    from hubbub.networks.registry import get_connector
    from hubbub.timeline.polling import refresh_credentials

    read = _reader(connection.network)
    try:
        return read(account_for(connection))
    except AuthExpired:
        if not refresh_credentials(get_connector(connection.network), connection):
            raise
        return read(account_for(connection))


@dataclass(slots=True)
class Group:
    """What became one rule: its name, how many things and a few of them."""

    name: str
    count: int
    examples: list[str]
    until: datetime | None = None


@dataclass(slots=True)
class Report:
    handle: str
    groups: list[Group] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    replaced: int = 0

    @property
    def total(self) -> int:
        return sum(g.count for g in self.groups)


def prefix(connection: Connection) -> str:
    """What the names of a connection's imported rules start with (a Nostr npub shortened, as
    the pages show it: the whole key would not fit a phone's width)."""
    return f"Imported from {short_id(connection.handle)}: "


def _plan(connection: Connection, found: Found) -> tuple[list[tuple[RuleSpec, str]], Report]:
    report = Report(short_id(connection.handle), notes=list(found.notes),
                    skipped=list(found.skipped))
    grouped: dict[tuple[str, datetime | None], list[Muted]] = {}
    for entry in found.entries:
        if len(entry.value) > MAX_VALUE_CHARS:
            report.skipped.append(f"{entry.what} “{entry.value[:40]}…”: longer than "
                                  f"{MAX_VALUE_CHARS} characters")
            continue
        grouped.setdefault((entry.kind, entry.until), []).append(entry)
    planned: list[tuple[RuleSpec, str]] = []
    for (kind, until), entries in sorted(grouped.items(), key=lambda g: (
            list(_NOUNS).index(g[0][0]), g[0][1] is not None, g[0][1] or EARLIEST)):
        values = list(dict.fromkeys(e.value for e in entries))
        chunks = [values[i:i + MAX_VALUES] for i in range(0, len(values), MAX_VALUES)]
        for number, chunk in enumerate(chunks, start=1):
            noun = _NOUNS[kind] if len(chunk) != 1 else _NOUNS[kind].removesuffix("s")
            name = prefix(connection) + f"{len(chunk)} {noun}"
            if until is not None:
                name += f" until {until:%Y-%m-%d}"
            if len(chunks) > 1:
                name += f" (part {number} of {len(chunks)})"
            action: dict[str, Any] = ({"kind": "hide_until", "until": until.isoformat()}
                                      if until is not None else {"kind": "hide"})
            try:
                spec = spec_from({"conditions": [{"kind": kind, "values": chunk}],
                                  "actions": [action]})
            except Invalid as exc:
                raise Invalid(f"{_NOUNS[kind]}: {exc}") from exc
            planned.append((spec, name[:200]))
            shown = [short_id(v) for v in spec.conditions[0].values[:EXAMPLES]]
            report.groups.append(Group(name[:200], len(chunk), shown, until))
    return planned, report


def import_mutes(user: User, connection: Connection) -> Report:
    """Read the connection's mutes and replace its earlier imported rules with them. Raises
    ConnectorError (the network's sentence) or Invalid, and then nothing has changed."""
    if connection.user_id != user.pk or connection.network not in NETWORKS:
        raise Invalid("Only your Mastodon, Bluesky and Nostr accounts have mutes to import")
    found = read_found(connection)
    planned, report = _plan(connection, found)
    with transaction.atomic():
        earlier = Rule.objects.select_for_update().filter(
            user=user, name__startswith=prefix(connection))
        report.replaced = len(earlier)
        count = Rule.objects.filter(user=user).count() - report.replaced
        if count + len(planned) > MAX_RULES:
            raise Invalid(f"At most {MAX_RULES} rules: the import would make "
                          f"{count + len(planned)}")
        earlier.delete()
        top = Rule.objects.filter(user=user).aggregate(top=Max("position"))["top"]
        start = 0 if top is None else top + 1
        Rule.objects.bulk_create([
            Rule(user=user, name=name, position=start + n,
                 conditions=conditions_json(spec.conditions), actions=actions_json(spec.actions))
            for n, (spec, name) in enumerate(planned)
        ])
        bump(user.pk)
    return report


__all__ = ["ConnectorError", "Report", "import_mutes", "read_found"]
