"""Deck tests: a test-only network whose accounts can read every kind of feed and react."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.utils import timezone

from hubbub.connections.models import Connection
from hubbub.networks import registry
from hubbub.networks.base import Account, Capabilities
from hubbub.networks.errors import Rejected
from hubbub.timeline.models import Column, Deck, Feed, FeedEntry, Item
from tests.web.fakes import CAPS, FakeConnector

PASSWORD = "correct horse battery staple"
DECK_CAPS = replace(CAPS, feeds=("home", "notifications", "mentions", "author", "hashtag",
                                 "search", "list"))
REACTIONS: list[tuple[str, str, str]] = []


class DeckConnector(FakeConnector):
    slug = "fake"
    name = "Fakebook"

    def capabilities(self, account: Account) -> Capabilities:
        return DECK_CAPS

    def default_capabilities(self) -> Capabilities:
        return DECK_CAPS

    def react(self, account: Account, item_remote_id: str, kind: str) -> str:
        if item_remote_id == "refused":
            raise Rejected("that post is gone")
        REACTIONS.append((account.handle, item_remote_id, kind))
        return ""


class HomeOnlyConnector(FakeConnector):
    slug = "homeonly"
    name = "Homebook"

    def capabilities(self, account: Account) -> Capabilities:
        return replace(CAPS, feeds=("home",))

    def default_capabilities(self) -> Capabilities:
        return replace(CAPS, feeds=("home",))


@pytest.fixture(autouse=True)
def deck_network(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[tuple[str, str, str]]]:
    monkeypatch.setattr(registry, "CONNECTORS", {
        "fake": "tests.deck.conftest.DeckConnector",
        "homeonly": "tests.deck.conftest.HomeOnlyConnector",
    })
    registry.get_connector.cache_clear()
    REACTIONS.clear()
    yield REACTIONS
    registry.get_connector.cache_clear()


@pytest.fixture
def owner(db: None) -> User:
    return User.objects.create_user("owner", password=PASSWORD, is_superuser=True)


@pytest.fixture
def other(db: None) -> User:
    return User.objects.create_user("mallory", password=PASSWORD)


@pytest.fixture
def client_in(client: Client, owner: User) -> Client:
    client.force_login(owner)
    return client


def make_connection(user: User, handle: str = "@alice@fake.example", network: str = "fake",
                    remote_id: str = "42") -> Connection:
    connection = Connection(
        user=user, network=network, base_url="https://fake.example", remote_id=remote_id,
        handle=handle, display_name=handle.strip("@").split("@")[0].title(),
    )
    connection.credentials = {"access_token": "secret"}
    connection.save()
    return connection


@pytest.fixture
def connection(owner: User) -> Connection:
    return make_connection(owner)


def make_items(connection: Connection, key: str = "home", count: int = 3, *,
               start: datetime | None = None, text: str = "post", **fields: Any) -> list[Item]:
    """`count` items in the connection's feed `key`, one minute apart, newest last."""
    feed, _ = Feed.objects.get_or_create(connection=connection, key=key)
    start = start or timezone.now() - timedelta(hours=1)
    made = []
    for n in range(count):
        values: dict[str, Any] = {
            "author_handle": "@bob@fake.example", "author_name": "Bob", "text": f"{text} {n}",
            "html": f"<p>{text} {n}</p>", "url": f"https://fake.example/@bob/{n}", "kind": "post",
            **fields,
        }
        item = Item.objects.create(
            connection=connection, network=connection.network,
            remote_id=f"{key}-{connection.pk}-{Item.objects.count()}",
            created_at=start + timedelta(minutes=n), **values,
        )
        FeedEntry.objects.create(feed=feed, item=item, created_at=item.created_at)
        made.append(item)
    return made


def make_column(deck: Deck, connection: Connection, key: str = "home",
                title: str = "Home") -> Column:
    feed, _ = Feed.objects.get_or_create(connection=connection, key=key)
    column = Column.objects.create(deck=deck, title=title,
                                   position=deck.columns.count(),
                                   filters={"kind": key.split(":")[0]})
    column.feeds.set([feed])
    return column
