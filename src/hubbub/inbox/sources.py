"""Which feeds the inbox reads for each connection: the network's mentions (or, where it has
none, its notifications: comments on a LinkedIn, Threads or Instagram post) and its direct
messages where the connector answers them. Nothing here names a network."""

from __future__ import annotations

from django.contrib.auth.models import AbstractBaseUser
from django.utils import timezone

from hubbub.connections.models import Connection
from hubbub.inbox.models import InboxFeed
from hubbub.networks.base import DIRECT_FEED, Capabilities, Connector
from hubbub.networks.registry import UnknownNetwork, get_connector
from hubbub.timeline.models import Feed


def answers_direct(connector: Connector) -> bool:
    return type(connector).send_direct is not Connector.send_direct


def keys_for(connection: Connection) -> list[str]:
    """The feed keys the inbox reads for this connection."""
    try:
        connector = get_connector(connection.network)
    except (UnknownNetwork, ImportError):
        return []
    caps: Capabilities | None = None
    if connection.capabilities_json:
        try:
            caps = Capabilities.from_json(connection.capabilities_json)
        except (KeyError, TypeError):
            caps = None
    if caps is None:
        try:
            caps = connector.default_capabilities()
        except NotImplementedError:
            return []
    keys = []
    if "mentions" in caps.feeds:
        keys.append("mentions")
    elif "notifications" in caps.feeds:
        keys.append("notifications")
    if answers_direct(connector):
        keys.append(DIRECT_FEED)
    return keys


def ensure_feeds(user: AbstractBaseUser) -> list[int]:
    """Make the inbox's feeds of every live connection of `user` (polled from now on, with
    or without a column); returns their ids."""
    ids: list[int] = []
    now = timezone.now()
    for connection in Connection.objects.filter(user_id=user.pk, disconnected_at__isnull=True):
        for key in keys_for(connection):
            feed, _made = Feed.objects.get_or_create(
                connection=connection, key=key, defaults={"next_poll_at": now})
            InboxFeed.objects.get_or_create(feed=feed)
            ids.append(feed.pk)
    return ids


def not_offered(user: AbstractBaseUser) -> list[str]:
    """The networks of the person's connections whose direct messages the inbox cannot read
    (Bluesky chat, chat.bsky.convo.*, needs a chat service beside the server), in words."""
    found: list[str] = []
    for network in (Connection.objects.filter(user_id=user.pk, disconnected_at__isnull=True)
                    .values_list("network", flat=True).distinct()):
        try:
            connector = get_connector(network)
        except (UnknownNetwork, ImportError):
            continue
        sentence = f"{connector.name} direct messages: not offered by this server"
        if not answers_direct(connector) and sentence not in found:
            found.append(sentence)
    return found
