from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from hubbub.connections.models import Connection
from hubbub.networks import registry
from tests.engine.scripted import ScriptedConnector, StagingConnector


@pytest.fixture
def scripted(monkeypatch: pytest.MonkeyPatch) -> Iterator[ScriptedConnector]:
    monkeypatch.setitem(registry.CONNECTORS, "scripted", "tests.engine.scripted.ScriptedConnector")
    registry.get_connector.cache_clear()
    connector = registry.get_connector("scripted")
    assert isinstance(connector, ScriptedConnector)
    yield connector
    registry.get_connector.cache_clear()


@pytest.fixture
def owner(django_user_model: Any) -> Any:
    return django_user_model.objects.create_user("owner", password="x-very-long-pass")


@pytest.fixture
def connection(owner: Any, scripted: ScriptedConnector) -> Connection:
    c = Connection(user=owner, network="scripted", base_url="http://x.test", remote_id="1",
                   handle="@me")
    c.credentials = {"token": "t"}
    c.save()
    return c


@pytest.fixture
def staging(monkeypatch: pytest.MonkeyPatch) -> Iterator[StagingConnector]:
    monkeypatch.setitem(registry.CONNECTORS, "staging", "tests.engine.scripted.StagingConnector")
    registry.get_connector.cache_clear()
    connector = registry.get_connector("staging")
    assert isinstance(connector, StagingConnector)
    yield connector
    registry.get_connector.cache_clear()
