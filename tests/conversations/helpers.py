"""Set-up shared by the conversation tests: a hub user with connections on the real local
servers, and items in the store as the deck would have read them."""

from __future__ import annotations

import re

from django.contrib.auth.models import User

from hubbub.connections.models import Connection
from hubbub.connections.services import account_for, save_connection
from hubbub.networks.registry import get_connector
from hubbub.timeline.ingest import ingest
from hubbub.timeline.models import Feed, Item

PASSWORD = "a-long-enough-password"


def connect(owner: User, network: str, base_url: str, credentials: dict[str, str]) -> Connection:
    connected = get_connector(network).connect_with_token(base_url, credentials)
    return save_connection(owner, network, connected)


def read_into_deck(connection: Connection, feed_key: str, remote_id: str) -> Item:
    """Read `feed_key` as a deck column would and return the stored item `remote_id`."""
    feed, _ = Feed.objects.get_or_create(connection=connection, key=feed_key)
    page = get_connector(connection.network).fetch(account_for(connection), feed_key)
    ingest(feed, page.items)
    return Item.objects.get(connection=connection, remote_id=remote_id)


def shown_replies(html: str) -> list[tuple[str, str]]:
    """(network label, text) of each reply a post's replies page shows, in order."""
    rows = re.findall(r'<span class="item-net net-(\w+)">.*?<div class="item-text">(.*?)</div>',
                      html.split('id="replies-title"', 1)[1], re.S)
    return [(net, re.sub(r"<[^>]+>", "", text).strip()) for net, text in rows]


def network_counts(html: str, network: str) -> dict[str, str]:
    """The reactions the replies page counts for one network: label -> number."""
    part = html.split(f'net-side-{network}"', 1)[1].split('class="conv-network', 1)[0]
    return dict(re.findall(r"<dt>(.*?)</dt><dd>(\d+)</dd>", part))
