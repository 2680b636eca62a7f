"""Server-sent events for open decks: which feeds got new items, as they arrive, and which
items were deleted on their network.

The browser learns only feed ids here and asks each column for its new items (column_newer),
so this loop never renders or queries items, and a person only ever hears about their own feeds
(the channel is subscribed by user id)."""

from __future__ import annotations

import json
import logging
from collections.abc import AsyncIterator
from typing import Any

from asgiref.sync import sync_to_async
from django.contrib.auth.models import User
from django.db import connections
from django.http import HttpRequest, HttpResponse, HttpResponseBase, StreamingHttpResponse

from hubbub.core.ids import parse_id
from hubbub.timeline import live, polling
from hubbub.timeline.models import Feed

log = logging.getLogger(__name__)
HEARTBEAT_SECONDS = 15.0
# An "items" event names its items when there are at most this many, so that the page can ask
# for those stored after newer ones (column_newer's `among`); a bigger batch is a catch-up the
# columns read by time.
LIVE_IDS = 200


def format_event(event: Any) -> str:
    """One live event as an SSE message; "" for the kinds a browser does not need."""
    kind = str(getattr(event, "kind", "") or "")
    if kind == "resync":
        return "event: resync\ndata: {}\n\n"
    if kind == "columns":
        # Columns were added to one of the person's decks (a newly connected account's).
        return f"event: columns\ndata: {json.dumps({'deck': str(event.detail)[:20]})}\n\n"
    if kind not in ("items", "feed", "removed"):
        return ""
    data: dict[str, Any] = {"feeds": sorted(int(f) for f in event.feed_ids)}
    if kind == "items":
        data["count"] = len(event.item_ids)
        if len(event.item_ids) <= LIVE_IDS:
            data["items"] = sorted(int(i) for i in event.item_ids)
    elif kind == "removed":
        # The browser drops these item elements (the ids are the person's own items).
        data["items"] = sorted(int(i) for i in event.item_ids)
    else:
        data["detail"] = str(getattr(event, "detail", ""))[:300]
    return f"event: {kind}\ndata: {json.dumps(data)}\n\n"


def _watch(user_id: int, deck_id: int | None) -> None:
    """Keep the open deck's feeds polled fast (the data side slows feeds nobody watches)."""
    feeds = Feed.objects.filter(columns__deck__user_id=user_id)
    if deck_id is not None:
        feeds = feeds.filter(columns__deck_id=deck_id)
    try:
        found = list(feeds.distinct())
        if found:
            polling.mark_watched(found)
    finally:
        _release_connections()


def _release_connections() -> None:
    """Close this thread's database connections (none is in a transaction here). An open deck
    holds its request for hours and does nothing with the database between heartbeats; the
    connection its heartbeat opened was held all that time (bench/reading.py: a web process
    with 4 open decks held 8 PostgreSQL connections, 2 of them the live channel's), so
    PostgreSQL's default 100 ran out below 100 open decks."""
    for connection in connections.all(initialized_only=True):
        if not connection.in_atomic_block:
            connection.close()


async def stream(user_id: int, deck_id: int | None,
                 heartbeat: float = HEARTBEAT_SECONDS) -> AsyncIterator[str]:
    """The event stream of one open deck. Ends when the browser goes (Django cancels it)."""
    # Ask the browser to come back quickly if the connection drops.
    yield "retry: 2000\n: connected\n\n"
    channel = live.get_channel()
    async for event in channel.subscribe(user_id, heartbeat=heartbeat):
        if event.kind == "ping":
            await sync_to_async(_watch)(user_id, deck_id)
            yield ": heartbeat\n\n"
            continue
        if event.user_id != user_id:
            continue
        message = format_event(event)
        if message:
            yield message


async def events(request: HttpRequest) -> HttpResponseBase:
    """GET /deck/events/?deck=<id>: text/event-stream for the signed-in person."""
    user = await request.auser()
    if not isinstance(user, User) or not user.is_authenticated:
        return HttpResponse(status=401)
    deck_id = parse_id(request.GET.get("deck", ""))
    await sync_to_async(_watch)(user.pk, deck_id)
    response = StreamingHttpResponse(stream(user.pk, deck_id), content_type="text/event-stream")
    response["Cache-Control"] = "no-cache, no-transform"
    response["X-Accel-Buffering"] = "no"  # nginx: do not hold events back
    return response
