"""Suggested people: accounts on different networks whose display names match.

Read from the authors of the items already stored (Item.author_handle/name/url of the user's
own connections, the newest SCAN_ITEMS of them), so a page never waits on a network. Names are
compared folded (case, accents), with everything but letters and digits dropped ("Ana Lima 🌻"
and "ana lima" match). A group of accounts on two networks or more is a suggestion; an account
already in one of the user's people is not suggested again, and a group named like an existing
person is offered as "add to" that person. A dismissed suggestion (its key) is never offered
again.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from django.contrib.auth.models import User
from django.db import transaction
from django.db.models import Max

from hubbub.listening.conditions import Invalid
from hubbub.listening.text import author_key, words_of
from hubbub.people import services
from hubbub.people.models import DismissedSuggestion, Person, PersonAccount
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
    key: str  # "name:<folded name>"
    name: str  # as one of the accounts shows it
    accounts: list[Candidate] = field(default_factory=list)
    person: Person | None = None  # an existing person of that name: add to them

    @property
    def networks(self) -> list[str]:
        return sorted({a.network for a in self.accounts})


def name_key(name: str) -> str:
    """A display name as compared: folded words, one space apart ("" when it has none)."""
    return " ".join(words_of(name.replace("_", " ")))


def _authors(user: User) -> dict[tuple[str, str], Candidate]:
    """(network, author key) -> the newest name and profile seen, from the newest stored items."""
    found: dict[tuple[str, str], Candidate] = {}
    newest = Item.objects.filter(connection__user=user).exclude(author_name="").order_by(
        "-pk").values("pk")[:SCAN_ITEMS]
    # Each author once (the database drops the repeats), newest first.
    rows = Item.objects.filter(pk__in=newest).values_list(
        "network", "author_handle", "author_name", "author_url").annotate(
        newest=Max("pk")).order_by("-newest")
    for network, handle, name, url, _newest in rows:
        key = author_key(handle)
        if key and (network, key) not in found:
            found[(network, key)] = Candidate(network, key, name, url)
    return found


def suggestions(user: User, limit: int | None = MAX_SUGGESTIONS) -> list[Suggestion]:
    taken = set(PersonAccount.objects.filter(person__user=user)
                .values_list("network", "handle"))
    dismissed = set(DismissedSuggestion.objects.filter(user=user).values_list("key", flat=True))
    people: dict[str, Person] = {}
    for person in Person.objects.filter(user=user):
        people.setdefault(name_key(person.name), person)
    groups: dict[str, Suggestion] = {}
    for (network, handle), candidate in _authors(user).items():
        if (network, handle) in taken:
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
    return found[:limit]


def find(user: User, key: str) -> Suggestion | None:
    return next((s for s in suggestions(user, None) if s.key == key), None)


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
    return person


def dismiss(user: User, key: str) -> None:
    # A key is a name the page offered: printable text (no NUL, which PostgreSQL refuses, nor
    # other controls or lone surrogates).
    if key.startswith("name:") and len(key) <= 400 and key.isprintable():
        DismissedSuggestion.objects.get_or_create(user=user, key=key)
