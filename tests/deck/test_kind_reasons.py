"""Issue 12: the add-column dialog says why a kind is missing on each network, from that
network's API, not only that it is missing ("Nostr: no notifications columns"). The reasons
are the connectors' (`column_kind_reasons`); the real connectors of the registry are used here,
reading their limits without I/O, as the add-column form does."""

from __future__ import annotations

import json
from collections.abc import Iterator
from html import unescape

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.urls import reverse

from hubbub.connections.models import Connection
from hubbub.networks import registry
from hubbub.networks.nostr import columns
from hubbub.timeline.feedkinds import KINDS, available_kinds, unavailable_reasons
from hubbub.timeline.models import Deck

HANDLES = {
    "mastodon": "@ana@example.social", "bluesky": "ana.example.com",
    "nostr": "npub1" + "q" * 58, "x": "@ana", "linkedin": "Ana Lima",
    "facebook": "Ana's Bakery", "instagram": "@ana.bakes", "threads": "@ana.threads",
}


@pytest.fixture(autouse=True)
def deck_network() -> Iterator[None]:
    """The registry's own networks, not the deck tests' made-up one (tests/deck/conftest.py)."""
    registry.get_connector.cache_clear()
    yield
    registry.get_connector.cache_clear()


def _connection(user: User, network: str) -> Connection:
    connection = Connection(user=user, network=network, base_url="https://example.invalid",
                            remote_id=f"{network}-1" if network != "nostr" else "ab" * 32,
                            handle=HANDLES[network])
    connection.credentials = {"access_token": "secret"}
    connection.save()
    return connection


def _generic(network: str, kind: str) -> str:
    name = registry.get_connector(network).name
    return f"{name}: no {KINDS[kind].label.lower()} columns"


def test_every_network_says_why_for_every_kind_it_lacks(db: None) -> None:
    assert set(HANDLES) == set(registry.CONNECTORS)
    user = User.objects.create_user("owner")
    lacking = 0
    for network in registry.CONNECTORS:
        connection = _connection(user, network)
        connector = registry.get_connector(network)
        offered = available_kinds(connection)
        reasons = unavailable_reasons(connection)
        assert set(reasons) == set(KINDS) - set(offered), network
        for kind, reason in reasons.items():
            lacking += 1
            assert reason != _generic(network, kind), (network, kind)
            assert reason.startswith(f"{connector.name}: "), reason
            said = reason.removeprefix(f"{connector.name}: ")
            assert said, reason
            assert said == said.strip(), reason
            assert not said.endswith("."), reason
            # Shown in a tile about 90 px wide on a phone: every word must fit on a line.
            assert max(len(word) for word in said.split()) <= 16, reason
        # A declared reason names a kind of the dialog, and none the network offers (Nostr's
        # search excepted: whether it is offered depends on the account's relays).
        declared = set(connector.column_kind_reasons)
        assert declared <= set(KINDS), network
        assert not (declared & set(offered)) or network == "nostr", (network, offered)
    assert lacking >= 30  # Mastodon 1, Nostr 3, X 4, Facebook 6, LinkedIn/Threads/Instagram 7


def test_limits_stored_by_an_older_version_still_get_the_reasons(db: None) -> None:
    user = User.objects.create_user("owner")
    connection = _connection(user, "nostr")
    # Stored before `unavailable_feeds` existed: the connector's defaults stand in.
    caps = registry.get_connector("nostr").default_capabilities().to_json()
    del caps["unavailable_feeds"]
    connection.capabilities_json = caps
    connection.save()
    reasons = unavailable_reasons(connection)
    assert reasons["notifications"] == "Nostr: " + columns.KIND_REASONS["notifications"]
    assert reasons["search"] == "Nostr: " + columns.NOT_READ_YET
    # Stored with every field but no reason for search: the connector's own reason stands.
    caps = registry.get_connector("nostr").default_capabilities().to_json()
    caps["unavailable_feeds"] = []
    connection.capabilities_json = caps
    connection.save()
    assert unavailable_reasons(connection)["search"] == "Nostr: " + columns.KIND_REASONS["search"]
    # And a relay read without NIP-50: the account's own reason comes first.
    read = columns.with_column_kinds(registry.get_connector("nostr").default_capabilities(),
                                     [{"supported_nips": [1, 11]}])
    connection.capabilities_json = read.to_json()
    connection.save()
    assert unavailable_reasons(connection)["search"] == "Nostr: " + columns.NO_SEARCH


def test_the_add_column_dialog_carries_the_reasons_and_a_refusal_names_them(
        client: Client, db: None) -> None:
    user = User.objects.create_user("owner")
    client.force_login(user)
    made = {network: _connection(user, network) for network in registry.CONNECTORS}
    deck = Deck.objects.create(user=user, name="Watch")
    url = reverse("timeline:column_add", args=[deck.pk])

    page = client.get(url).content.decode()
    on_page = {}
    for part in page.split('name="connections" value="')[1:]:
        pk = int(part.split('"', 1)[0])
        on_page[pk] = json.loads(unescape(part.split('data-reasons="', 1)[1].split('"', 1)[0]))
    for network, connection in made.items():
        assert on_page[connection.pk] == unavailable_reasons(connection), network
    threads = made["threads"]
    assert "keyword search permission" in on_page[threads.pk]["search"]
    assert on_page[made["nostr"].pk]["notifications"] == (
        "Nostr: relays keep no notifications: a reply or mention is a note that names you, "
        "and the Mentions column shows those")

    response = client.post(url, {"connections": [threads.pk, made["mastodon"].pk],
                                 "kind": "home", "width": "normal"})
    assert response.status_code == 400
    text = unescape(response.content.decode())
    assert (f"{threads.handle} cannot show home columns (Threads: the API gives apps no home "
            "timeline, only the account's own posts and the replies to them).") in text
    response = client.post(url, {"connections": [made["x"].pk], "kind": "hashtag",
                                 "param": "coffee", "width": "normal"})
    assert response.status_code == 400
    assert "search for the #tag in a search column" in unescape(response.content.decode())
    assert not deck.columns.exists()


@pytest.mark.parametrize(("kind", "field"), [("hashtag", "Hashtag"), ("search", "Search for"),
                                             ("list", "List")])
def test_a_kind_without_its_parameter_says_which_field_to_fill_in(
        client: Client, db: None, kind: str, field: str) -> None:
    user = User.objects.create_user("owner")
    client.force_login(user)
    mastodon = _connection(user, "mastodon")
    deck = Deck.objects.create(user=user, name="Watch")
    response = client.post(reverse("timeline:column_add", args=[deck.pk]),
                           {"connections": [mastodon.pk], "kind": kind, "param": "",
                            "width": "normal"})
    assert response.status_code == 400
    label = KINDS[kind].label.lower()
    assert f"Fill in “{field}” for a {label} column." in unescape(response.content.decode())
    assert not deck.columns.exists()
