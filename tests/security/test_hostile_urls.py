"""Every URL a network hands the hub outside deck items (the account's profile and avatar from
whoami, the address of a published post) goes through safe_url before it is stored, and again
when a page shows it, so rows stored before the check link nowhere either."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.urls import reverse

from hubbub.connections.models import Connection
from hubbub.connections.services import save_connection
from hubbub.networks.base import Connected, Identity, Published
from hubbub.networks.mastodon.connector import MastodonConnector
from hubbub.publishing import engine
from hubbub.publishing.models import Delivery, DeliveryState
from hubbub.publishing.services import create_post
from tests.engine import conftest as engine_tests
from tests.engine.scripted import ScriptedConnector
from tests.peers.mastodon import MastodonPeer

pytestmark = pytest.mark.django_db


scripted = engine_tests.scripted  # the engine tests' scripted network, registered for a test


@pytest.fixture
def owner(scripted: ScriptedConnector) -> User:
    return User.objects.create_user("owner", password="x-very-long-pass")


@pytest.fixture
def connection(owner: User) -> Connection:
    made = Connection(user=owner, network="scripted", base_url="http://x.test", remote_id="1",
                      handle="@me")
    made.credentials = {"token": "t"}
    made.save()
    return made

HOSTILE_URLS = [
    "javascript:alert(document.domain)",
    "JavaScript:alert(1)",
    " javascript:alert(1)",
    "data:image/svg+xml,<svg xmlns='http://www.w3.org/2000/svg' onload='alert(1)'/>",
    "vbscript:msgbox(1)",
    "//evil.test/avatar.png",
    "http://[",
    'https://evil.test/"><script>alert(1)</script>',
]


@pytest.mark.parametrize("url", HOSTILE_URLS)
def test_a_connection_stores_no_unsafe_profile_or_avatar_url(owner: User, url: str) -> None:
    saved = save_connection(owner, "scripted", Connected(
        base_url="http://x.test", credentials={"token": "t"},
        identity=Identity("7", "@m@x.test", "M", avatar_url=url, profile_url=url)))
    stored = Connection.objects.get(pk=saved.pk)
    assert (stored.avatar_url, stored.profile_url) == ("", "")


def test_a_connection_keeps_plain_https_urls(owner: User) -> None:
    saved = save_connection(owner, "scripted", Connected(
        base_url="http://x.test", credentials={"token": "t"},
        identity=Identity("7", "@m@x.test", "M", avatar_url="https://x.test/a.png",
                          profile_url="https://x.test/@m")))
    assert (saved.avatar_url, saved.profile_url) == ("https://x.test/a.png", "https://x.test/@m")


def test_a_connection_stores_its_names_without_bidi_controls(owner: User) -> None:
    saved = save_connection(owner, "scripted", Connected(
        base_url="http://x.test", credentials={"token": "t"},
        identity=Identity("7", "@m\u202e@x.test", "Mallory \u202enimda\u2066",
                          avatar_url="https://x.test/a.png")))
    stored = Connection.objects.get(pk=saved.pk)
    assert (stored.handle, stored.display_name) == ("@m@x.test", "Mallory nimda")


def _page(client: Client, user: User, name: str) -> str:
    client.force_login(user)
    response = client.get(reverse(name))
    assert response.status_code == 200
    return response.content.decode()


def test_connections_page_shows_no_unsafe_url_of_an_old_row(
        client: Client, owner: User, connection: Connection) -> None:
    for url in HOSTILE_URLS:
        Connection.objects.filter(pk=connection.pk).update(avatar_url=url, profile_url=url)
        html = _page(client, owner, "connections:list")
        for needle in ("javascript:", "JavaScript:", "data:image", "vbscript:", "//evil.test",
                       "http://[", "<script>alert"):
            assert needle not in html, (url, needle)
        assert "@me" in html  # the account is still listed, as text


@pytest.mark.parametrize("url", HOSTILE_URLS)
def test_a_published_post_stores_no_unsafe_url(owner: User, connection: Connection,
                                               scripted: ScriptedConnector, url: str) -> None:
    delivery = create_post(user=owner, text="hi", connections=[connection]).deliveries.get()
    scripted.published[delivery.idempotency_key] = Published("r1", url)
    engine.process(delivery.pk)
    delivery = Delivery.objects.get(pk=delivery.pk)
    assert delivery.state == DeliveryState.SENT
    assert delivery.remote_id == "r1"
    assert delivery.remote_url == ""


def test_posts_page_links_no_unsafe_url_of_an_old_row(
        client: Client, owner: User, connection: Connection, scripted: Any) -> None:
    delivery = create_post(user=owner, text="hi", connections=[connection]).deliveries.get()
    engine.process(delivery.pk)
    for url in HOSTILE_URLS:
        Delivery.objects.filter(pk=delivery.pk).update(remote_url=url)
        html = _page(client, owner, "publishing:posts")
        assert "Sent" in html
        for needle in ("javascript:", "JavaScript:", "data:image", "vbscript:", "//evil.test",
                       "http://[", "<script>alert"):
            assert needle not in html, (url, needle)
    Delivery.objects.filter(pk=delivery.pk).update(remote_url="https://x.test/@me/1")
    assert 'href="https://x.test/@me/1"' in _page(client, owner, "publishing:posts")


def test_a_hostile_mastodon_account_is_stored_without_its_unsafe_urls(
        mastodon_faults: MastodonPeer, owner: User, client: Client) -> None:
    """End to end from a real (mock) Mastodon server whose verify_credentials lies."""
    peer = mastodon_faults
    seeded = peer.new_account()
    peer.add_fault({"type": "status", "status": 200, "body": {
        "id": seeded.id, "username": seeded.username, "acct": seeded.username,
        "display_name": "Mallory \u202enimda", "url": "javascript:alert(document.domain)",
        "avatar": "data:image/svg+xml,<svg xmlns='http://www.w3.org/2000/svg' onload='alert(1)'/>",
    }}, path="/api/v1/accounts/verify_credentials", count=None)
    connected = MastodonConnector().connect_with_token(
        peer.base_url, {"access_token": seeded.access_token})
    saved = save_connection(owner, "mastodon", connected)
    stored = Connection.objects.get(pk=saved.pk)
    assert (stored.avatar_url, stored.profile_url, stored.display_name) == (
        "", "", "Mallory nimda")
    html = _page(client, owner, "connections:list")
    assert "javascript:" not in html
    assert "data:image" not in html
    assert seeded.username in html
