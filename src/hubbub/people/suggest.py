"""Suggested people: accounts on different networks whose profiles link each other, or whose
display names match.

Profile links (people/links.py): an author's public profile, read in the background
(people/profiles.py) and stored as AuthorProfile, that links to another network's account among
the authors seen (or among the user's people) makes the two one suggestion, with the reason in
words ("Ana's Mastodon profile links to their Bluesky …"); both profiles linking each other
(or a link the network verified) is a stronger one. Such a suggestion comes first, and its
accounts are not suggested again by name.

Names are read from the authors of the items already stored (Item.author_handle/name/url of
the user's own connections, the newest SCAN_ITEMS of them), so a page never waits on a network.
Names are compared folded (case, accents), with everything but letters and digits dropped
("Ana Lima 🌻" and "ana lima" match). A group of accounts on two networks or more is a
suggestion; an account already in one of the user's people is not suggested again, and a group
named like an existing person is offered as "add to" that person. A dismissed suggestion (its
key) is never offered again, nor a profile-link group made only of pairs of accounts dismissed
before (each pair a link joined is kept with the dismissal).
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.contrib.auth.models import User
from django.db import transaction
from django.db.models import F, Max, Q
from django.utils import timezone

from hubbub.listening.conditions import Invalid
from hubbub.listening.text import author_key, words_of
from hubbub.networks.registry import get_connector
from hubbub.people import links, services
from hubbub.people.models import (
    AuthorProfile,
    DismissedSuggestion,
    Person,
    PersonAccount,
    SuggestionCache,
)
from hubbub.timeline.models import Item

SCAN_ITEMS = 20_000
MAX_SUGGESTIONS = 30
MAX_ACCOUNTS = 20  # of one suggestion (a common name seen on many accounts)


@dataclass(frozen=True, slots=True)
class Candidate:
    network: str
    handle: str  # author key
    name: str
    profile_url: str

    @property
    def value(self) -> str:
        """How a form names this account: "network handle"."""
        return f"{self.network} {self.handle}"


@dataclass(slots=True)
class Suggestion:
    key: str  # "name:<folded name>", or "links:<digest of its accounts>"
    name: str  # as one of the accounts shows it
    accounts: list[Candidate] = field(default_factory=list)
    person: Person | None = None  # an existing person of that name (or linked): add to them
    reasons: list[str] = field(default_factory=list)  # why, in words (profile links)
    strong: bool = False  # the profiles link each other, or the network verified the link
    pairs: list[str] = field(default_factory=list)  # pair_key of each link joining its accounts

    @property
    def networks(self) -> list[str]:
        return sorted({a.network for a in self.accounts})


def name_key(name: str) -> str:
    """A display name as compared: folded words, one space apart ("" when it has none)."""
    return " ".join(words_of(name.replace("_", " ")))


def _authors(user: User) -> dict[tuple[str, str], Candidate]:
    """(network, author key) -> the newest name and profile seen, from the newest stored items."""
    found: dict[tuple[str, str], Candidate] = {}
    # Authors without a display name count too: a profile may link to them (names that are
    # empty fold to nothing and are never matched by name).
    newest = Item.objects.filter(connection__user=user).order_by("-pk").values("pk")[:SCAN_ITEMS]
    # Each author once (the database drops the repeats), newest first.
    rows = Item.objects.filter(pk__in=newest).values_list(
        "network", "author_handle", "author_name", "author_url").annotate(
        newest=Max("pk")).order_by("-newest")
    for network, handle, name, url, _newest in rows:
        key = author_key(handle)
        if key and (network, key) not in found:
            found[(network, key)] = Candidate(network, key, name, url)
    return found


def _label(network: str) -> str:
    try:
        return get_connector(network).name
    except (KeyError, LookupError, ImportError):
        return network.capitalize()


def _profiles(user: User) -> tuple[dict[tuple[str, str], list[dict[str, object]]],
                                   dict[tuple[str, str], list[str]]]:
    """(network, author key) -> the links its profile has, and its other names, as read
    through any of the user's connections (a profile that was not found has none)."""
    found: dict[tuple[str, str], list[dict[str, object]]] = {}
    aliases: dict[tuple[str, str], list[str]] = {}
    for network, handle, kept, names in AuthorProfile.objects.filter(
            connection__user=user, found=True).values_list("network", "handle", "links",
                                                           "aliases"):
        found.setdefault((network, handle), []).extend(
            link for link in kept or () if isinstance(link, dict))
        aliases.setdefault((network, handle), []).extend(str(n) for n in names or ())
    return found, aliases


def _a_name(name: str | None, handle: str) -> bool:
    """Whether an author's display name names them, rather than repeating their key or handle
    (what a network shows before it knows a profile)."""
    if not name:
        return False
    bare = name.strip().lstrip("@").lower()
    return not (bare.startswith(("npub1", "nostr:npub1")) or bare == handle.lstrip("@").lower())


def _reason(edge: links.Edge, back: bool, names: dict[tuple[str, str], str]) -> str:
    source = names.get(edge.source) or edge.source[1]
    if back:
        return (f"{source}'s {_label(edge.source[0])} and {_label(edge.target[0])} profiles "
                "link to each other")
    if edge.where == "bio" and not edge.verified:
        # Words in a bio name anyone (a friend, a co-host): not said to be their own account.
        return (f"{source}'s {_label(edge.source[0])} bio mentions the "
                f"{_label(edge.target[0])} account {edge.target[1]}")
    checked = f", verified by {_label(edge.source[0])}" if edge.verified else ""
    return (f"{source}'s {_label(edge.source[0])} profile links to their "
            f"{_label(edge.target[0])} ({edge.target[1]}; {edge.where}{checked})")


def pair_key(a: tuple[str, str], b: tuple[str, str]) -> str:
    """How a dismissed pair of accounts is kept (either order): "pair:<digest>"."""
    first, second = sorted((a, b))
    text = f"{first[0]} {first[1]}|{second[0]} {second[1]}"
    return "pair:" + hashlib.sha256(text.encode()).hexdigest()[:32]


def _linked(user: User, authors: dict[tuple[str, str], Candidate],
            owners: dict[tuple[str, str], Person], dismissed: set[str]) -> list[Suggestion]:
    """Suggestions from profiles that link each other: accounts joined by links, each group
    one suggestion (with an existing person's accounts: add to them)."""
    profiles, aliases = _profiles(user)
    if not profiles:
        return []
    nodes: dict[tuple[str, str], set[str]] = {}
    names: dict[tuple[str, str], str] = {}
    for node, candidate in authors.items():
        nodes[node] = links.account_keys(node[1], candidate.profile_url, aliases.get(node, ()))
        names[node] = candidate.name
    for account in PersonAccount.objects.filter(person__user=user):
        node = (account.network, account.handle)
        nodes.setdefault(node, set()).update(links.account_keys(
            account.handle, account.profile_url, aliases.get(node, ())))
        names.setdefault(node, account.name)
    found_edges = links.edges(nodes, profiles)
    pairs = {(e.source, e.target) for e in found_edges}
    # Groups: accounts joined by strong links (both ways, or verified by the network), through
    # a third too (union-find). A one-way link the network did not check (a bio naming a friend)
    # joins nothing: it is a pair of its own.
    parent: dict[tuple[str, str], tuple[str, str]] = {}

    def root(node: tuple[str, str]) -> tuple[str, str]:
        while parent.get(node, node) != node:
            node = parent[node]
        return node

    for edge in found_edges:
        if edge.verified or (edge.target, edge.source) in pairs:
            a, b = root(edge.source), root(edge.target)
            if a != b:
                parent[max(a, b)] = min(a, b)
    groups: dict[object, list[links.Edge]] = {}
    for edge in found_edges:
        a, b = root(edge.source), root(edge.target)
        group = a if a == b else ("pair", edge.source, edge.target)
        groups.setdefault(group, []).append(edge)
    found: list[Suggestion] = []
    for group_edges in groups.values():
        members = sorted({n for e in group_edges for n in (e.source, e.target)})
        people = {owners[n].pk: owners[n] for n in members if n in owners}
        if len(people) > 1:
            continue  # accounts of two people already: not ours to merge
        person = next(iter(people.values()), None)
        fresh = [n for n in members if n not in owners and n in authors][:MAX_ACCOUNTS]
        if not fresh or (person is None and len({n[0] for n in fresh}) < 2):
            continue
        digest = hashlib.sha256("|".join(f"{n[0]} {n[1]}" for n in members).encode()).hexdigest()
        key = f"links:{digest[:32]}"
        joined = sorted({pair_key(e.source, e.target) for e in group_edges})
        if key in dismissed or dismissed.issuperset(joined):
            continue  # dismissed, or made only of pairs dismissed before
        reasons: list[str] = []
        strong = False
        for edge in group_edges:
            back = (edge.target, edge.source) in pairs
            if back and edge.source > edge.target:
                continue  # said once, by the other direction
            strong = strong or back or edge.verified
            reasons.append(_reason(edge, back, names))
        # Named as the profile that links shows its name (the first that has one that is a
        # name: a Nostr author whose profile was not read yet is "named" by its npub).
        sources = [e.source for e in group_edges] + members
        name = person.name if person else next(
            (names[n] for n in sources if _a_name(names.get(n), n[1])),
            next((names[n] for n in sources if names.get(n)), members[0][1]))
        found.append(Suggestion(key, name, [authors[n] for n in fresh], person, reasons, strong,
                                joined))
    return found


def suggestions(user: User, limit: int | None = MAX_SUGGESTIONS) -> list[Suggestion]:
    owners = {(a.network, a.handle): a.person for a in PersonAccount.objects.filter(
        person__user=user).select_related("person")}
    dismissed = set(DismissedSuggestion.objects.filter(user=user).values_list("key", flat=True))
    people: dict[str, Person] = {}
    for person in Person.objects.filter(user=user):
        people.setdefault(name_key(person.name), person)
    authors = _authors(user)
    linked = _linked(user, authors, owners, dismissed)
    in_links = {(a.network, a.handle) for s in linked for a in s.accounts}
    groups: dict[str, Suggestion] = {}
    for (network, handle), candidate in authors.items():
        if (network, handle) in owners or (network, handle) in in_links:
            continue
        folded = name_key(candidate.name)
        if not folded or f"name:{folded}" in dismissed:
            continue
        group = groups.setdefault(folded, Suggestion(f"name:{folded}", candidate.name))
        if len(group.accounts) < MAX_ACCOUNTS:
            group.accounts.append(candidate)
    found: list[Suggestion] = []
    for folded, group in groups.items():
        group.person = people.get(folded)
        if group.person is not None or len(group.networks) >= 2:
            group.accounts.sort(key=lambda a: (a.network, a.handle))
            found.append(group)
    found.sort(key=lambda s: (s.person is None, -len(s.networks), s.key))
    linked.sort(key=lambda s: (not s.strong, s.person is None, s.key))
    return (linked + found)[:limit]


# --- kept for the page ---------------------------------------------------------------------
# The People page reads the suggestions as last computed (SuggestionCache) instead of computing
# them (0.44 s on 30,000 items): computed on the first look, then again in the background
# (tasks.compute_suggestions) when they are older than FRESH and were looked at since, or
# something that changes them happened (a profile read, a confirm, a dismissal). What was
# linked or dismissed since is left out as they are read.
FRESH = timedelta(seconds=60)


def _to_json(found: list[Suggestion]) -> list[dict[str, Any]]:
    return [{"key": s.key, "name": s.name, "person": s.person.pk if s.person else None,
             "reasons": s.reasons, "strong": s.strong, "pairs": s.pairs,
             "accounts": [[a.network, a.handle, a.name, a.profile_url] for a in s.accounts]}
            for s in found]


def _from_json(user: User, data: object) -> list[Suggestion]:
    rows = [row for row in data if isinstance(row, dict)] if isinstance(data, list) else []
    owners = set(PersonAccount.objects.filter(person__user=user).values_list("network",
                                                                             "handle"))
    dismissed = set(DismissedSuggestion.objects.filter(user=user).values_list("key", flat=True))
    people = {p.pk: p for p in Person.objects.filter(
        user=user, pk__in=[row.get("person") for row in rows if row.get("person")])}
    found: list[Suggestion] = []
    for row in rows:
        if row.get("key") in dismissed or (row.get("person") and row["person"] not in people):
            continue
        joined = [str(p) for p in row.get("pairs") or () if isinstance(p, str)]
        if joined and dismissed.issuperset(joined):
            continue
        accounts = [Candidate(*map(str, a)) for a in row.get("accounts") or ()
                    if isinstance(a, list) and len(a) == 4]
        accounts = [a for a in accounts if (a.network, a.handle) not in owners]
        person = people.get(row["person"]) if row.get("person") else None
        if not accounts or (person is None and len({a.network for a in accounts}) < 2):
            continue
        found.append(Suggestion(str(row["key"]), str(row.get("name") or ""), accounts, person,
                                [str(r) for r in row.get("reasons") or ()],
                                bool(row.get("strong")), joined))
    return found


def _newest_item(user_id: int) -> int:
    # Walked from the newest pk down (the user's items are among the newest), not a MAX over
    # every item of theirs.
    newest = Item.objects.filter(connection__user_id=user_id).order_by("-pk").values_list(
        "pk", flat=True).first()
    return newest or 0


def recompute(user_id: int) -> None:
    """Compute the user's suggestions and keep them (the background task)."""
    user = User.objects.filter(pk=user_id).first()
    if user is None:
        return
    now = timezone.now()
    newest = _newest_item(user_id)
    # The row exists before computing begins, and computing never writes `dirty`: it is cleared
    # only as a stale copy is claimed (claim_stale, before this runs), so a change marked while
    # computing (a profile read, a confirm) stays marked and the copy is computed again.
    row, _made = SuggestionCache.objects.get_or_create(user=user, defaults={
        "data": [], "computed_at": now, "newest_item": 0, "viewed_at": now, "dirty": False})
    data = _to_json(suggestions(user))
    SuggestionCache.objects.filter(pk=row.pk).update(data=data, computed_at=now,
                                                     newest_item=newest)


def claim_stale(now: datetime | None = None) -> list[int]:
    """Users whose kept suggestions are stale (older than FRESH with new items, or changed)
    and were looked at since they were computed; each claimed by moving computed_at
    (compare-and-set), so one worker computes them."""
    now = now or timezone.now()
    claimed: list[int] = []
    for pk, user_id, computed_at, newest, dirty in SuggestionCache.objects.filter(
            viewed_at__gte=F("computed_at")).filter(
            Q(dirty=True) | Q(computed_at__lt=now - FRESH)).values_list(
            "pk", "user_id", "computed_at", "newest_item", "dirty")[:50]:
        if not dirty and _newest_item(user_id) == newest:
            # Nothing arrived: only says it was checked now.
            SuggestionCache.objects.filter(pk=pk, computed_at=computed_at).update(
                computed_at=now)
            continue
        if SuggestionCache.objects.filter(pk=pk, computed_at=computed_at).update(
                computed_at=now, dirty=False):
            claimed.append(user_id)
    return claimed


def for_page(user: User) -> list[Suggestion]:
    """The suggestions as kept (computed now only the first time the user looks)."""
    row = SuggestionCache.objects.filter(user=user).first()
    if row is None:
        recompute(user.pk)
        row = SuggestionCache.objects.get(user=user)
    else:
        SuggestionCache.objects.filter(pk=row.pk).update(viewed_at=timezone.now())
    return _from_json(user, row.data)[:MAX_SUGGESTIONS]


def _changed(user: User) -> None:
    SuggestionCache.objects.filter(user=user).update(dirty=True)


def find(user: User, key: str) -> Suggestion | None:
    """The suggestion as the page showed it (kept), else as computed now."""
    shown = SuggestionCache.objects.filter(user=user).values_list("data", flat=True).first()
    found = _from_json(user, shown) if shown is not None else suggestions(user, None)
    return next((s for s in found if s.key == key), None)


def confirm(user: User, key: str, chosen: Sequence[str]) -> Person:
    """Make the suggested person (or add to the existing one) with the accounts ticked among
    the suggestion's own; Invalid when the suggestion is gone or nothing of it was ticked."""
    suggestion = find(user, key)
    if suggestion is None:
        raise Invalid("That suggestion is no longer there (the accounts may already be linked).")
    wanted = set(chosen)
    accounts = [a for a in suggestion.accounts if a.value in wanted]
    if not accounts:
        raise Invalid("Tick at least one account to link.")
    with transaction.atomic():
        person = suggestion.person or services.create_person(user, suggestion.name)
        for account in accounts:
            services.add_account(person, account.network, account.handle, account.profile_url,
                                 name=account.name)
    _changed(user)
    return person


def dismiss(user: User, key: str) -> None:
    """Never offer that suggestion again: a name, or linked accounts. For linked accounts each
    pair a link joined is kept too, so a later link that brings one more account (a bio naming
    one of them) does not bring the dismissed pair back under a new key."""
    # A key is a name the page offered: printable text (no NUL, which PostgreSQL refuses, nor
    # other controls or lone surrogates).
    if not (key.startswith(("name:", "links:")) and len(key) <= 400 and key.isprintable()):
        return
    found = find(user, key) if key.startswith("links:") else None
    with transaction.atomic():
        for kept in (key, *(found.pairs if found else ())):
            DismissedSuggestion.objects.get_or_create(user=user, key=kept)
    _changed(user)
