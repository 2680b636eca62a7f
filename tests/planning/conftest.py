"""Planning tests use the web tests' fake network (no server needed) and a clock they set."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import datetime
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.utils import timezone

from hubbub.accounts.models import Profile
from hubbub.connections.models import Connection
from tests.clock import DAY_IDS, DAYS, Day, travel
from tests.web import conftest as web
from tests.web.conftest import make_connection

# The web tests' fixtures: the fake network (autouse), users and a signed-in client.
fake_network = web.fake_network
owner = web.owner
other = web.other
client_in = web.client_in

Clock = Callable[[datetime], None]


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """A test that does not set its own clock runs on each of tests.clock.DAYS: a weekday, a
    weekend day and both DST change days, whatever day the suite runs on. The slow tests of
    racing worker processes keep the real clock (each takes about a minute)."""
    if metafunc.definition.get_closest_marker("slow"):
        return
    if "clock" not in metafunc.fixturenames and "today" in metafunc.fixturenames:
        metafunc.parametrize("today", DAYS, ids=DAY_IDS, indirect=True)


@pytest.fixture(autouse=True)
def today(request: pytest.FixtureRequest) -> Iterator[Day | None]:
    """The day this test believes it is (time-machine moves the whole process, ticking)."""
    day: Day | None = getattr(request, "param", None)
    if day is None:
        yield None
        return
    with travel(day):
        yield day


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
