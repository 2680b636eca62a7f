"""Mentions that name a Person: `@[Ana]` in the composer's text becomes, in each target's
version, Ana's account on that network as the network writes a mention (the connector's
`mention`: Mastodon @user@host, Bluesky @handle, Nostr nostr:npub1...). Where Ana has no
account on a target's network (or none it can name), her name is written as typed and the
preview says so.

Written once per target where every draft is made (target_drafts: what is checked, counted,
previewed and sent), so the counters and the previews count what is actually sent. The post
keeps `@[Ana]` as typed: a draft or a scheduled post is written when it is first sent, naming
her accounts as they are then, and the engine keeps those words for every retry and check
(`Delivery.written`, target_drafts.frozen_part_drafts). Splitting a thread measures parts as
written and never cuts an @[name] (customize.split_for).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

import regex
from django.db.models import Q

from hubbub.connections.models import Connection
from hubbub.listening.text import fold
from hubbub.networks.base import Draft
from hubbub.networks.registry import UnknownNetwork, get_connector, network_name
from hubbub.people.selectors import accounts_by_person, names_of_people

# @[name]: a name of 1-200 characters without brackets or line breaks, as People keep names;
# not glued to a word before it (an address like user@[192.0.2.1] is no mention).
PERSON_MENTION = regex.compile(r"(?<![\w@])@\[([^\[\]\r\n]{1,200})\]")


@dataclass(frozen=True)
class Known:
    """One of the user's people, as mentions need them."""

    name: str
    accounts: tuple[tuple[str, str], ...]  # (network, handle), in People's order


@dataclass(frozen=True)
class Written:
    text: str
    notes: tuple[str, ...]  # what the preview says: "Ana has no Bluesky account: ..."
    named: tuple[str, ...] = ()  # the people written as their account on this network


def people_of(user_id: int) -> dict[str, Known]:
    """The user's people by folded name (two of the same name: the first, by name and id)."""
    names = names_of_people(user_id)
    if not names:
        return {}
    accounts = accounts_by_person(user_id)
    found: dict[str, Known] = {}
    for pk, name in sorted(names.items(), key=lambda pair: (pair[1], pair[0])):
        found.setdefault(fold(name.strip()), Known(name, tuple(
            (str(a["network"]), str(a["handle"])) for a in accounts.get(pk, ()))))
    return found


def has_mentions(text: str) -> bool:
    return "@[" in text and PERSON_MENTION.search(text) is not None


def write(text: str, connection: Connection, people: dict[str, Known]) -> Written:
    """`text` with each @[name] written for `connection`'s network, and what was not named."""
    if not has_mentions(text):
        return Written(text, ())
    try:
        connector = get_connector(connection.network)
    except (UnknownNetwork, ImportError):
        connector = None
    notes: list[str] = []
    named: list[str] = []

    def one(match: regex.Match[str]) -> str:
        typed = match.group(1).strip()
        known = people.get(fold(typed))
        if known is None:
            note = f"No person is called “{typed}”: written as “{typed}”."
            if note not in notes:
                notes.append(note)
            return typed
        for network, handle in known.accounts:
            if network == connection.network and connector is not None:
                written = connector.mention(handle, connection.handle)
                if written:
                    if known.name not in named:
                        named.append(known.name)
                    return written
        where = connector.name if connector is not None else connection.network
        note = f"{known.name} has no {where} account here: written as “{known.name}”."
        if note not in notes:
            notes.append(note)
        return known.name

    return Written(PERSON_MENTION.sub(one, text), tuple(notes), tuple(named))


def write_drafts(drafts: Sequence[Draft], connection: Connection,
                 people: dict[str, Known] | None = None) -> tuple[list[Draft], tuple[str, ...]]:
    """Each draft (a post or a thread's parts) written for `connection`, and the notes. The
    people are read once when a draft names one and `people` was not given."""
    if not any(has_mentions(d.text) for d in drafts):
        return list(drafts), ()
    if people is None:
        people = people_of(connection.user_id)
    out: list[Draft] = []
    notes: list[str] = []
    for draft in drafts:
        written = write(draft.text, connection, people)
        out.append(draft if written.text == draft.text else replace(draft, text=written.text))
        notes += [n for n in written.notes if n not in notes]
    return out, tuple(notes)


# --- suggestions as the person types "@" ------------------------------------------------------
SUGGESTIONS = 8
RECENT_AUTHORS = 5000  # known accounts: the authors of the user's newest stored items


@dataclass(frozen=True)
class Suggestion:
    label: str  # what the list shows
    detail: str  # "Person: Mastodon, Nostr" or "Mastodon account"
    insert: str  # what goes into the text: "@[Ana Lima]" or "@ana@social.example"


def suggestions(user_id: int, typed: str, network: str = "") -> list[Suggestion]:
    """People whose name has a word starting with `typed` (all of them, by name, when nothing
    is typed yet), then known accounts whose handle or name contains it: the authors of the
    user's newest stored items. Only the user's own people and items are read.

    `network`: the text goes to that network only (an answer from the inbox): a person with no
    account there says so ("written as the name"), and only that network's accounts are
    offered, as another network's handle would be mere text there."""
    from hubbub.timeline.models import Item  # the composer reads what the deck stored

    query = fold(typed.strip().lstrip("@[").strip())[:100]
    found: list[Suggestion] = []
    for folded, known in people_of(user_id).items():
        if query and not any(word.startswith(query) for word in (folded, *folded.split())):
            continue
        networks = sorted({_network_name(n) for n, _h in known.accounts})
        detail = "Person: " + (", ".join(networks) or "no accounts")
        if network and all(n != network for n, _h in known.accounts):
            detail += (f" (no {_network_name(network)} account: written as "
                       f"“{known.name}”)")
        found.append(Suggestion(known.name, detail, f"@[{known.name}]"))
        if len(found) >= SUGGESTIONS:
            return found
    if not query or "\x00" in query:
        return found
    newest = Item.objects.filter(connection__user_id=user_id).order_by("-pk").values("pk")
    if network:
        newest = newest.filter(network=network)
    seen: set[str] = set()
    for handle, name, network in (
            Item.objects.filter(pk__in=newest[:RECENT_AUTHORS])
            .filter(Q(author_handle__icontains=query) | Q(author_name__icontains=query))
            .values_list("author_handle", "author_name", "network").order_by("-pk")[:200]):
        key = handle.lower()
        if key in seen or not handle:
            continue
        seen.add(key)
        shown = handle if handle.startswith("@") or handle.startswith("npub") else f"@{handle}"
        insert = shown if not shown.startswith("npub") else f"nostr:{shown}"
        found.append(Suggestion(name or shown, f"{_network_name(network)} account {shown}",
                                insert))
        if len(found) >= SUGGESTIONS:
            break
    return found


def _network_name(network: str) -> str:
    try:  # the registry's table: no connector imported to name one
        return network_name(network)
    except (UnknownNetwork, ImportError):
        return network
