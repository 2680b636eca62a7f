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
