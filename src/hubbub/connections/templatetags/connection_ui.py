"""Template filters about a connection's login (generic: no network is named here)."""

from __future__ import annotations

from datetime import datetime

from django import template

from hubbub.connections.models import Connection

register = template.Library()


@register.filter
def login_ends_before(connection: Connection, when: datetime | None) -> bool:
    """{% if connection|login_ends_before:delivery.due_at %}: the post would find the login
    ended and wait for a reconnect."""
    return isinstance(connection, Connection) and connection.login_ends_before(when)
