"""Which accounts a new post goes to before the person picks: the last choice, remembered per
person, and named groups of accounts ("Work", "Everywhere") ticked in one click.

Both hold connection ids. They are read against the person's connections of the moment, so an
account disconnected since is skipped rather than refused, and a group left with no account
is not offered.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from django.contrib.auth.models import AbstractBaseUser
from django.db import IntegrityError, transaction

from hubbub.accounts.models import TargetGroup
from hubbub.accounts.services import profile_for
from hubbub.connections.models import Connection
from hubbub.core.ids import parse_id

GROUP_NAME_MAX = 60
GROUPS_MAX = 50  # per person: more would not fit the composer's row of buttons


class GroupError(ValueError):
    """A group could not be saved: the message says why, in a sentence."""


@dataclass(frozen=True)
class GroupChoice:
    pk: int
    name: str
    ids: tuple[int, ...]  # the group's accounts that are connected now

    @property
    def ids_attr(self) -> str:
        return " ".join(str(i) for i in self.ids)


def _clean_ids(values: Iterable[object], allowed: set[int]) -> list[int]:
    seen: list[int] = []
    for value in values:
        if isinstance(value, int) and not isinstance(value, bool) and value in allowed \
                and value not in seen:
            seen.append(value)
    return seen


def remembered(user: AbstractBaseUser, connections: Sequence[Connection]) -> list[int]:
    """The accounts the person last posted to that are still connected (none if none)."""
    stored = profile_for(user).last_targets
    if not isinstance(stored, list):
        return []
    return _clean_ids(stored, {int(c.pk) for c in connections})


def remember(user: AbstractBaseUser, connection_ids: Iterable[int]) -> None:
    """Keep this choice for the next post (called once a post is sent, scheduled or queued)."""
    ids = sorted({int(i) for i in connection_ids})
    profile = profile_for(user)
    if profile.last_targets != ids:
        profile.last_targets = ids
        profile.save(update_fields=["last_targets"])


def initial_targets(user: AbstractBaseUser, connections: Sequence[Connection]) -> list[int]:
    """What a fresh composer ticks: the last choice, else the only account there is."""
    chosen = remembered(user, connections)
    if not chosen and len(connections) == 1:
        chosen = [int(connections[0].pk)]
    return chosen


def groups_for(user: AbstractBaseUser, connections: Sequence[Connection]) -> list[GroupChoice]:
    allowed = {int(c.pk) for c in connections}
    choices = []
    for group in TargetGroup.objects.filter(user_id=user.pk):
        stored = group.connection_ids if isinstance(group.connection_ids, list) else []
        ids = tuple(_clean_ids(stored, allowed))
        if ids:
            choices.append(GroupChoice(pk=int(group.pk), name=group.name, ids=ids))
    return choices


def chosen_group(user: AbstractBaseUser, connections: Sequence[Connection],
                 ref: object) -> GroupChoice | None:
    """The person's group named by a request's ?group=<id>, if it still holds an account."""
    pk = parse_id(ref)
    if pk is None:
        return None
    return next((g for g in groups_for(user, connections) if g.pk == pk), None)


def save_group(user: AbstractBaseUser, name: str, connection_ids: Iterable[int],
               connections: Sequence[Connection]) -> TargetGroup:
    """Make or replace the person's group of that name with these of their accounts."""
    name = " ".join(str(name).split())
    if not name:
        raise GroupError("Give the group a name, such as “Work”.")
    if len(name) > GROUP_NAME_MAX:
        raise GroupError(f"A group's name takes at most {GROUP_NAME_MAX} characters.")
    ids = _clean_ids(list(connection_ids), {int(c.pk) for c in connections})
    if not ids:
        raise GroupError("Tick the accounts the group should hold, then save it.")
    with transaction.atomic():
        existing = TargetGroup.objects.select_for_update().filter(
            user_id=user.pk, name=name).first()
        if existing is not None:
            existing.connection_ids = ids
            existing.save(update_fields=["connection_ids"])
            return existing
        if TargetGroup.objects.filter(user_id=user.pk).count() >= GROUPS_MAX:
            raise GroupError(f"You have {GROUPS_MAX} groups already; remove one first.")
        try:
            with transaction.atomic():
                return TargetGroup.objects.create(user_id=user.pk, name=name,
                                                  connection_ids=ids)
        except IntegrityError:  # made by a second request at the same moment
            group = TargetGroup.objects.get(user_id=user.pk, name=name)
            group.connection_ids = ids
            group.save(update_fields=["connection_ids"])
            return group


def delete_group(user: AbstractBaseUser, pk: int) -> bool:
    deleted, _kinds = TargetGroup.objects.filter(user_id=user.pk, pk=pk).delete()
    return deleted > 0
