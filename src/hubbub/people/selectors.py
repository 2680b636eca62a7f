"""Reads of a user's people that other apps use (the rules, the composer)."""

from __future__ import annotations

from typing import Any

from hubbub.core.ids import parse_id
from hubbub.people.models import Person, PersonAccount

PERSON_PREFIX = "person:"  # an allow-list entry naming a Person: "person:<id>"


def person_id_of(entry: str) -> int | None:
    """The person an allow-list entry "person:<id>" names; None for a handle."""
    return parse_id(entry[len(PERSON_PREFIX):]) if entry.startswith(PERSON_PREFIX) else None


def authors_of_people(user_id: int) -> dict[int, frozenset[str]]:
    """Person id -> the author keys of all their accounts (every network), for the user's
    people; a person without accounts maps to nothing (a rule naming them matches nothing)."""
    found: dict[int, set[str]] = {
        pk: set() for pk in Person.objects.filter(user_id=user_id).values_list("pk", flat=True)}
    for person_id, handle in PersonAccount.objects.filter(
            person__user_id=user_id).values_list("person_id", "handle"):
        found.setdefault(person_id, set()).add(handle)
    return {pk: frozenset(keys) for pk, keys in found.items()}


def names_of_people(user_id: int) -> dict[int, str]:
    return dict(Person.objects.filter(user_id=user_id).values_list("pk", "name"))


def accounts_by_person(user_id: int) -> dict[int, list[dict[str, Any]]]:
    """Person id -> [{network, handle, name, profile_url}], for the composer's mentions."""
    found: dict[int, list[dict[str, Any]]] = {}
    for person_id, network, handle, name, url in PersonAccount.objects.filter(
            person__user_id=user_id).values_list("person_id", "network", "handle", "name",
                                                 "profile_url"):
        found.setdefault(person_id, []).append(
            {"network": network, "handle": handle, "name": name, "profile_url": url})
    return found
