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


def network_choices() -> list[tuple[str, str]]:
    return [(slug, get_connector(slug).name) for slug in CONNECTORS]
