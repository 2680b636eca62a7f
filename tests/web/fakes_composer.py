"""Helpers for the composer's tests: accounts with other limits and rules than the plain fake
(threads, Mastodon's or Bluesky's preview style, Bluesky's real counting), images, forms."""

from __future__ import annotations

import io
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from PIL import Image

from hubbub.connections.models import Connection
from hubbub.networks import registry
from hubbub.networks.bluesky.mapping import default_capabilities as bluesky_capabilities
from tests.web.conftest import make_connection


def account(user: User, handle: str, *, limit: int = 50, threads: bool = True,
            counting: str = "plain", remote_id: str | None = None,
            content_warning: bool = True) -> Connection:
    """A fake-network account whose cached limits say what the test needs (the composer reads
    the limits from the row; the fake connector counts len(text) + len(warning))."""
    connection = make_connection(user, handle, limit=limit, remote_id=remote_id or handle)
    caps = dict(connection.capabilities_json or {})
    caps.update(threads=threads, counting=counting, content_warning=content_warning)
    connection.capabilities_json = caps
    connection.save(update_fields=["capabilities_json"])
    return connection


def bluesky_account(user: User, handle: str = "ada.test") -> Connection:
    """An account on the real Bluesky connector's rules (validate needs no network)."""
    connection = Connection(
        user=user, network="bluesky", base_url="http://localhost:2583", remote_id=f"did:{handle}",
        handle=handle, display_name="Ada", capabilities_json=bluesky_capabilities().to_json(),
        capabilities_fetched_at=timezone.now(),
    )
    connection.credentials = {"app_password": "x"}
    connection.save()
    return connection


@pytest.fixture
def with_bluesky(monkeypatch: pytest.MonkeyPatch) -> None:
    connectors = dict(registry.CONNECTORS)
    connectors["bluesky"] = "hubbub.networks.bluesky.connector.BlueskyConnector"
    monkeypatch.setattr(registry, "CONNECTORS", connectors)
    registry.get_connector.cache_clear()


def png(name: str = "cat.png", color: str = "orange", size: tuple[int, int] = (8, 6)
        ) -> SimpleUploadedFile:
    buffer = io.BytesIO()
    Image.new("RGB", size, color).save(buffer, "PNG")
    return SimpleUploadedFile(name, buffer.getvalue(), "image/png")


def compose(client: Client, **data: Any) -> Any:
    return client.post(reverse("publishing:compose"), {"action": "now", **data})


def autosave(client: Client, **data: Any) -> Any:
    return client.post(reverse("publishing:autosave"), data)


def live(client: Client, **data: Any) -> str:
    response = client.post(reverse("publishing:count"), data, headers={"HX-Request": "true"})
    assert response.status_code == 200
    return str(response.content.decode())
