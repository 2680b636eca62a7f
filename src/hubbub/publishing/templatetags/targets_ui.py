"""The person's named groups of accounts, for pages outside the composer (Settings)."""

from __future__ import annotations

from dataclasses import dataclass

from django import template
from django.contrib.auth.models import AbstractBaseUser

from hubbub.connections.models import Connection
from hubbub.connections.services import connections_for
from hubbub.publishing import targets

register = template.Library()


@dataclass(frozen=True)
class GroupRow:
    pk: int
    name: str
    accounts: list[Connection]


@register.simple_tag
def target_groups(user: AbstractBaseUser) -> list[GroupRow]:
    connections = connections_for(user)  # type: ignore[arg-type]
    by_id = {int(c.pk): c for c in connections}
    return [GroupRow(g.pk, g.name, [by_id[i] for i in g.ids])
            for g in targets.groups_for(user, connections)]
