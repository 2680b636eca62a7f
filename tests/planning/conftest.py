"""Planning tests use the web tests' fake network (no server needed) and a clock they set."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.utils import timezone

from hubbub.accounts.models import Profile
from hubbub.connections.models import Connection
from tests.web import conftest as web
from tests.web.conftest import make_connection

# The web tests' fixtures: the fake network (autouse), users and a signed-in client.
fake_network = web.fake_network
fast_login_delay = web._fast_login_delay
owner = web.owner
other = web.other
client_in = web.client_in

Clock = Callable[[datetime], None]


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    """Set "now" for everything that asks django.utils.timezone.now()."""

    def set_now(when: datetime) -> None:
        assert when.tzinfo is not None
        monkeypatch.setattr(timezone, "now", lambda: when)

    return set_now


@pytest.fixture
def berlin_owner(owner: User) -> User:
    Profile.objects.update_or_create(user=owner, defaults={"timezone": "Europe/Berlin"})
    return owner


@pytest.fixture
def conn(owner: User) -> Connection:
    return make_connection(owner, limit=500)


@pytest.fixture
def conn2(owner: User) -> Connection:
    return make_connection(owner, handle="@bob@fake.example", remote_id="43", limit=500)


def as_local(value: Any, zone: str = "Europe/Berlin") -> str:
    from hubbub.core.localtime import local

    return f"{local(value, zone):%a %Y-%m-%d %H:%M %Z}"
