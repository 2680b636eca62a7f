"""Writes to a user's people. Each write that changes whose items a rule or an allow-list column
catches bumps the user's rules version (listening.services.bump): the background recompute then
applies the rules again to what is stored, as a rule edit does."""

from __future__ import annotations

from django.contrib.auth.models import User
from django.db import IntegrityError, transaction

from hubbub.listening import handles
from hubbub.listening.conditions import Invalid, plain_text
from hubbub.listening.models import Rule
from hubbub.listening.services import bump
from hubbub.listening.text import author_key
from hubbub.networks.registry import CONNECTORS
from hubbub.people.models import Person, PersonAccount, SuggestionCache
from hubbub.people.selectors import PERSON_PREFIX
from hubbub.timeline.models import Column

MAX_PEOPLE = 5000
MAX_ACCOUNTS = 50
MAX_NOTE = 5000


def _name(raw: str) -> str:
    name = plain_text(raw, "Name")
    if not name:
        raise Invalid("Give the person a name.")
    if len(name) > 200:
        raise Invalid("A name is at most 200 characters.")
    return name


def _note(raw: str) -> str:
    note = plain_text(raw, "Note")
    if len(note) > MAX_NOTE:
        raise Invalid(f"A note is at most {MAX_NOTE} characters.")
    return note


def create_person(user: User, name: str, note: str = "") -> Person:
    clean_name, clean_note = _name(name), _note(note)
    if Person.objects.filter(user=user).count() >= MAX_PEOPLE:
        raise Invalid(f"At most {MAX_PEOPLE} people.")
    return Person.objects.create(user=user, name=clean_name, note=clean_note)


def update_person(person: Person, name: str, note: str) -> None:
    person.name, person.note = _name(name), _note(note)
    person.save(update_fields=["name", "note", "updated_at"])


def rules_naming(person: Person) -> list[Rule]:
    """The user's rules with a condition naming this person."""
    return [rule for rule in Rule.objects.filter(user_id=person.user_id)
            if any(isinstance(c, dict) and c.get("kind") == "person"
                   and person.pk in (c.get("values") or []) for c in rule.conditions)]


def columns_naming(person: Person) -> list[Column]:
    """The user's allow-list columns that let this person through."""
    entry = f"{PERSON_PREFIX}{person.pk}"
    return [column for column in Column.objects.filter(deck__user_id=person.user_id)
            .select_related("deck")
            if isinstance(column.filters, dict) and entry in (column.filters.get("only") or [])]


def _reapply(person: Person) -> None:
    """The person's accounts changed: rules and columns naming them apply again, and the
    kept suggestions are computed again (an account removed may be suggested again)."""
    SuggestionCache.objects.filter(user_id=person.user_id).update(dirty=True)
    if rules_naming(person) or columns_naming(person):
        bump(person.user_id)


def delete_person(person: Person) -> None:
    with transaction.atomic():
        named = bool(rules_naming(person) or columns_naming(person))
        user_id = person.user_id
        person.delete()
        SuggestionCache.objects.filter(user_id=user_id).update(dirty=True)
        if named:  # the rules naming them now match nothing: their items come back
            bump(user_id)


def clean_account(network: str, handle: str, profile_url: str = "") -> tuple[str, str, str]:
    """A network, an author key and a profile address, checked."""
    if network not in CONNECTORS:
        raise Invalid("Choose a network.")
    key = author_key(plain_text(handle, "Handle"))
    if not key:
        raise Invalid("Give the account's handle, DID or npub.")
    if len(key) > 300 or any(ch.isspace() for ch in key):
        raise Invalid("A handle is one word of at most 300 characters.")
    url = plain_text(profile_url, "Profile address")
    if url and (len(url) > 1000 or not url.startswith(("https://", "http://"))):
        raise Invalid("A profile address starts with https:// (or http://).")
    if not handles.fits_network(network, key):  # it would never be any item's author
        raise Invalid(handles.network_refusal(network, plain_text(handle, "Handle")))
    return network, key, url


def add_account(person: Person, network: str, handle: str, profile_url: str = "",
                name: str = "") -> PersonAccount:
    """One more account of this person; an account already someone's is refused, saying whose."""
    network, key, url = clean_account(network, handle, profile_url)
    clean = plain_text(name, "Name")[:300]
    with transaction.atomic():
        other = PersonAccount.objects.filter(
            person__user_id=person.user_id, network=network, handle=key,
        ).select_related("person").first()
        if other is not None:
            if other.person_id == person.pk:
                raise Invalid(f"{key} on {network} is already one of {person.name}'s accounts.")
            raise Invalid(f"{key} on {network} is already an account of {other.person.name}.")
        if person.accounts.count() >= MAX_ACCOUNTS:
            raise Invalid(f"At most {MAX_ACCOUNTS} accounts a person.")
        try:
            with transaction.atomic():
                account = PersonAccount.objects.create(
                    person=person, network=network, handle=key, name=clean, profile_url=url)
        except IntegrityError:  # the same account added at the same moment
            raise Invalid(f"{key} on {network} is already one of {person.name}'s accounts.") \
                from None
        _reapply(person)
    return account


def remove_account(account: PersonAccount) -> None:
    with transaction.atomic():
        person = account.person
        account.delete()
        _reapply(person)
