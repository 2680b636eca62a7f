"""The one table of networks. Classes are imported lazily so one network's dependencies never
slow or break another's."""

from __future__ import annotations

from functools import cache
from importlib import import_module

from hubbub.networks.base import Connector

CONNECTORS: dict[str, str] = {
    "mastodon": "hubbub.networks.mastodon.connector.MastodonConnector",
    "bluesky": "hubbub.networks.bluesky.connector.BlueskyConnector",
    "nostr": "hubbub.networks.nostr.connector.NostrConnector",
    "x": "hubbub.networks.x.connector.XConnector",
    "linkedin": "hubbub.networks.linkedin.connector.LinkedInConnector",
    "facebook": "hubbub.networks.facebook.connector.FacebookConnector",
    "instagram": "hubbub.networks.instagram.connector.InstagramConnector",
    "threads": "hubbub.networks.threads.connector.ThreadsConnector",
}


# Each connector's display name (its `name`), so that a page naming networks imports no
# connector: the deck names the network of every item, and a connector brings its client library
# (Mastodon.py, websockets, secp256k1...) with it. Keyed by the class, so a connector put in
# CONNECTORS' place is still asked. tests/unit/test_network_names.py holds this to the classes.
NAMES: dict[str, str] = {
    "hubbub.networks.mastodon.connector.MastodonConnector": "Mastodon",
    "hubbub.networks.bluesky.connector.BlueskyConnector": "Bluesky",
    "hubbub.networks.nostr.connector.NostrConnector": "Nostr",
    "hubbub.networks.x.connector.XConnector": "X",
    "hubbub.networks.linkedin.connector.LinkedInConnector": "LinkedIn",
    "hubbub.networks.facebook.connector.FacebookConnector": "Facebook",
    "hubbub.networks.instagram.connector.InstagramConnector": "Instagram",
    "hubbub.networks.threads.connector.ThreadsConnector": "Threads",
}


class UnknownNetwork(KeyError):
    pass


@cache
def get_connector(slug: str) -> Connector:
    try:
        dotted = CONNECTORS[slug]
    except KeyError:
        raise UnknownNetwork(slug) from None
    module_name, _, class_name = dotted.rpartition(".")
    cls = getattr(import_module(module_name), class_name)
    instance: Connector = cls()
    return instance


def network_name(slug: str) -> str:
    """The network's display name; its connector is imported only for a network the table
    lacks."""
    name = NAMES.get(CONNECTORS.get(slug, ""))
    return name if name is not None else get_connector(slug).name


def network_choices() -> list[tuple[str, str]]:
    return [(slug, network_name(slug)) for slug in CONNECTORS]
