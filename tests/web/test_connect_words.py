"""The Connect pages say what each way of connecting really asks for: "the hub never sees your
password" only where the person signs in on the network's own pages, never above a form that
asks for an app password or a secret key."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from django.test import Client
from django.urls import reverse

from hubbub.networks import registry

pytestmark = pytest.mark.django_db
NEVER_SEES = "never sees your password"


@pytest.fixture(autouse=True)
def real_networks(monkeypatch: pytest.MonkeyPatch, fake_network: None) -> Iterator[None]:
    """Three real connectors, one per way of connecting (only their pages are shown: nothing
    here talks to a server)."""
    monkeypatch.setattr(registry, "CONNECTORS", {
        "mastodon": "hubbub.networks.mastodon.connector.MastodonConnector",
        "bluesky": "hubbub.networks.bluesky.connector.BlueskyConnector",
        "nostr": "hubbub.networks.nostr.connector.NostrConnector"})
    registry.get_connector.cache_clear()
    yield
    registry.get_connector.cache_clear()


def _text(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def _card(html: str, slug: str) -> str:
    found = re.search(rf'data-network="{slug}".*?</(a|div)>', html, re.S)
    assert found, slug
    return _text(found.group(0))


def test_the_network_list_promises_no_password_only_for_sign_in(client_in: Client) -> None:
    html = client_in.get(reverse("connections:connect")).content.decode()
    lede = _text(html.split('class="lede"', 1)[1].split("</p>", 1)[0])
    assert NEVER_SEES not in lede  # the lede sits above every kind of network
    assert NEVER_SEES in _card(html, "mastodon")
    assert "app password" in _card(html, "bluesky")
    assert NEVER_SEES not in _card(html, "bluesky")
    assert "secret key" in _card(html, "nostr")
    assert NEVER_SEES not in _card(html, "nostr")


@pytest.mark.parametrize(("slug", "says"), [
    ("bluesky", "app password"),
    ("nostr", "secret key"),
])
def test_each_typed_form_says_what_it_asks_for(client_in: Client, slug: str, says: str) -> None:
    html = client_in.get(reverse("connections:connect_start", args=[slug])).content.decode()
    lede = _text(html.split('class="lede"', 1)[1].split("</p>", 1)[0])
    assert NEVER_SEES not in _text(html)
    assert says in lede.lower()
    assert "stored encrypted" in lede


def test_the_sign_in_form_says_the_hub_never_sees_the_password(client_in: Client) -> None:
    html = client_in.get(reverse("connections:connect_start", args=["mastodon"])).content.decode()
    assert "sent to your server" in _text(html)
