from __future__ import annotations

from collections.abc import Iterator

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.utils import timezone

from hubbub.connections.models import Connection
from hubbub.networks import registry
from tests.web.fakes import CAPS

PASSWORD = "correct horse battery staple"


@pytest.fixture(autouse=True)
def fake_network(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Only the test network is registered, so nothing here can reach a real server."""
    monkeypatch.setattr(registry, "CONNECTORS", {"fake": "tests.web.fakes.FakeConnector"})
    registry.get_connector.cache_clear()
    yield
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


def make_connection(user: User, handle: str = "@alice@fake.example", limit: int = 50,
                    remote_id: str = "42") -> Connection:
    caps = CAPS.to_json()
    caps["text_limit"] = limit
    connection = Connection(
        user=user, network="fake", base_url="https://fake.example", remote_id=remote_id,
        handle=handle, display_name=handle.strip("@").split("@")[0].title(),
        capabilities_json=caps, capabilities_fetched_at=timezone.now(),
    )
    connection.credentials = {"access_token": "secret"}
    connection.save()
    return connection


@pytest.fixture
def connection(owner: User) -> Connection:
    return make_connection(owner)
