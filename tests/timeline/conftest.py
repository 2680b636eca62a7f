"""Shared set-up for the timeline tests: users, connections, items, and a scripted network."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from django.contrib.auth.models import User

from hubbub.connections.models import Connection
from hubbub.networks import registry
from hubbub.networks.base import Account
from hubbub.networks.base import Item as NetItem
from hubbub.timeline import live
from hubbub.timeline.live import InProcessChannel
from hubbub.timeline.models import Column, Deck, Feed
from hubbub.timeline.selectors import ensure_feed
from hubbub.timeline.streaming import StreamSupervisor
from tests.timeline.scripted import ScriptedConnector

T0 = datetime(2026, 5, 1, 12, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def scripted_network(monkeypatch: pytest.MonkeyPatch) -> Iterator[type[ScriptedConnector]]:
    """A network that exists only here (plus the real connectors for the peer tests)."""
    table = dict(registry.CONNECTORS)
    table["scripted"] = "tests.timeline.scripted.ScriptedConnector"
    monkeypatch.setattr(registry, "CONNECTORS", table)
    registry.get_connector.cache_clear()
    ScriptedConnector.reset()
    yield ScriptedConnector
    ScriptedConnector.reset()
    registry.get_connector.cache_clear()


@pytest.fixture
def alice(db: None) -> User:
    return User.objects.create_user("alice")


@pytest.fixture
def bob(db: None) -> User:
    return User.objects.create_user("bob")


def connection_of(user: User, network: str, account: Account) -> Connection:
    """A Connection row for an account made on a real peer (its credentials encrypted as the
    hub stores them)."""
    connection = Connection(user=user, network=network, base_url=account.base_url,
                            remote_id=account.remote_id, handle=account.handle)
    connection.credentials = dict(account.credentials)
    connection.save()
    return connection


def make_connection(user: User, handle: str = "", network: str = "scripted",
                    remote_id: str = "") -> Connection:
    count = Connection.objects.count()
    connection = Connection(
        user=user, network=network, base_url="https://scripted.example",
        remote_id=remote_id or f"acct-{count}", handle=handle or f"@{user.username}{count}",
    )
    connection.credentials = {"access_token": "secret"}
    connection.save()
    return connection


def make_column(user: User, feeds: list[Feed], title: str = "column") -> Column:
    deck = Deck.objects.filter(user=user).first() or Deck.objects.create(user=user, name="deck")
    column = Column.objects.create(deck=deck, title=title)
    column.feeds.set(feeds)
    return column


def net_item(n: int, *, at: datetime | None = None, prefix: str = "r", **extra: Any) -> NetItem:
    """The n-th item of a made-up network, one minute apart."""
    html = extra.pop("html", f"<p>post <b>{n}</b></p>")
    text = extra.pop("text", f"post {n}")
    return NetItem(
        remote_id=f"{prefix}{n}", kind=extra.pop("kind", "post"), author_handle="@ann@x.example",
        author_name="Ann", created_at=at or T0 + timedelta(minutes=n), text=text, html=html,
        url=f"https://x.example/@ann/{n}", author_avatar="https://x.example/ann.png", extra=extra,
    )


@pytest.fixture
def feed(alice: User) -> Feed:
    return ensure_feed(make_connection(alice), "home")


@pytest.fixture
def supervisor(transactional_db: None) -> Iterator[StreamSupervisor]:
    """The stream supervisor of `hubbub serve`, on its own thread, looking every 50 ms."""
    stop = threading.Event()
    sup = StreamSupervisor(stop, check_every=0.05)
    thread = threading.Thread(target=sup.run)
    thread.start()
    yield sup
    stop.set()
    thread.join(10)
    assert not thread.is_alive()


@pytest.fixture
def channel(monkeypatch: pytest.MonkeyPatch) -> InProcessChannel:
    """A live channel of the test's own, as the process's channel."""
    fresh = InProcessChannel()
    monkeypatch.setattr(live, "get_channel", lambda: fresh)
    return fresh
