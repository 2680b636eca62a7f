"""Put timeline items into a running hub's database, as ingest would, for browser tests that
must not wait on polling. Run inside the hub: `hubbub manage shell -c "..."`."""

from __future__ import annotations

import json
from datetime import timedelta

from django.utils import timezone

from hubbub.connections.models import Connection
from hubbub.timeline.models import Feed, FeedEntry, Item


def seed(handle: str, key: str, rows_json: str) -> None:
    """rows: [{remote_id, author_handle, author_name, text, url?, minutes_ago?, ...}] into the
    feed `key` of the connection `handle` ("": the only one)."""
    connections = Connection.objects.filter(disconnected_at__isnull=True)
    connection = connections.get(handle=handle) if handle else connections.get()
    feed, _ = Feed.objects.get_or_create(connection=connection, key=key)
    now = timezone.now()
    for row in json.loads(rows_json):
        minutes = row.pop("minutes_ago", 1)
        text = row.pop("text")
        item, _ = Item.objects.update_or_create(
            connection=connection, remote_id=row.pop("remote_id"),
            defaults={"network": connection.network, "kind": "post", "text": text,
                      "html": f"<p>{text}</p>", "created_at": now - timedelta(minutes=minutes),
                      **row},
        )
        FeedEntry.objects.get_or_create(feed=feed, item=item,
                                        defaults={"created_at": item.created_at})


def command(handle: str, key: str, rows: list[dict[str, object]]) -> str:
    return (f"from tests.deck.seed import seed; seed({handle!r}, {key!r}, "
            f"{json.dumps(json.dumps(rows))})")


def seed_items(handle: str, key: str, items_json: str) -> None:
    """Connector items (networks.base.Item fields as JSON) stored through ingest, sanitizing and
    all, as a poll would store them."""
    from datetime import datetime

    from hubbub.networks.base import Item as NetworkItem
    from hubbub.timeline.ingest import ingest

    connections = Connection.objects.filter(disconnected_at__isnull=True)
    connection = connections.get(handle=handle) if handle else connections.get()
    feed, _ = Feed.objects.get_or_create(connection=connection, key=key)
    batch = []
    for row in json.loads(items_json):
        row["created_at"] = datetime.fromisoformat(row["created_at"])
        batch.append(NetworkItem(**row))
    ingest(feed, batch)


def ingest_command(key: str, items: list[dict[str, object]]) -> str:
    return (f"from tests.deck.seed import seed_items; seed_items('', {key!r}, "
            f"{json.dumps(json.dumps(items))})")
