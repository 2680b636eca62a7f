"""Import tests: accounts on the real Mastodon and Bluesky rules (their validate() needs no
server) and the test network; nothing here reaches past loopback."""

from __future__ import annotations

import io
import zipfile
from collections.abc import Iterator
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.utils import timezone
from PIL import Image

from hubbub.accounts.services import profile_for
from hubbub.connections.models import Connection
from hubbub.networks import registry
from hubbub.networks.registry import get_connector

PASSWORD = "correct horse battery staple"


@pytest.fixture(autouse=True)
def networks(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setattr(registry, "CONNECTORS", {
        "fake": "tests.web.fakes.FakeConnector",
        "mastodon": "hubbub.networks.mastodon.connector.MastodonConnector",
        "bluesky": "hubbub.networks.bluesky.connector.BlueskyConnector",
    })
    registry.get_connector.cache_clear()
    yield
    registry.get_connector.cache_clear()


@pytest.fixture
def owner(db: None) -> User:
    user = User.objects.create_user("owner", password=PASSWORD, is_superuser=True)
    profile = profile_for(user)
    profile.timezone = "Europe/Berlin"
    profile.save()
    return user


@pytest.fixture
def other(db: None) -> User:
    return User.objects.create_user("mallory", password=PASSWORD)


@pytest.fixture
def client_in(client: Client, owner: User) -> Client:
    client.force_login(owner)
    return client


def account(user: User, network: str, handle: str, *, limit: int | None = None) -> Connection:
    """A connected account whose limits are already known (so nothing asks a server)."""
    caps = get_connector(network).default_capabilities().to_json()
    if limit is not None:
        caps["text_limit"] = limit
    connection = Connection(
        user=user, network=network, base_url=f"https://{network}.example",
        remote_id=handle, handle=handle, display_name=handle.strip("@").split("@")[0].title(),
        capabilities_json=caps, capabilities_fetched_at=timezone.now(),
    )
    connection.credentials = {"access_token": "secret"}
    connection.save()
    return connection


@pytest.fixture
def masto(owner: User) -> Connection:
    return account(owner, "mastodon", "@ada@masto.example")


@pytest.fixture
def sky(owner: User) -> Connection:
    return account(owner, "bluesky", "ada.sky.example")


def png(width: int = 8, height: int = 6, color: str = "orange") -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (width, height), color).save(buffer, "PNG")
    return buffer.getvalue()


def make_zip(files: dict[str, bytes], *, compression: int = zipfile.ZIP_DEFLATED) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression) as zf:
        for name, data in files.items():
            zf.writestr(name, data)
    return buffer.getvalue()


def csv_bytes(*rows: list[str] | tuple[str, ...], header: str = "text,time,targets,"
              "content_warning,images,alt", bom: bool = False) -> bytes:
    import csv

    out = io.StringIO()
    out.write(header + "\r\n")
    writer = csv.writer(out, lineterminator="\r\n")
    for row in rows:
        writer.writerow(row)
    data = out.getvalue().encode()
    return (b"\xef\xbb\xbf" + data) if bom else data


def as_any(value: object) -> Any:
    return value
