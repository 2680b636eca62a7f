"""Conversations for the pages: read through an item's own connection, stored, cached briefly.

`Connector.conversation` reads a thread from the network; its posts are then stored as the deck
stores what it reads (`ingest`, into the connection's "conversation" feed, which no column
shows and nothing polls), so each one is sanitized exactly as the deck's items are and can be
replied to, liked or reposted through the deck's own flows. Which posts a thread holds is kept
in the cache for CACHE_SECONDS, keyed by connection, so reopening a conversation reads the
store and not the network. A network that fails, times out, is paused for its rate limit or
offers no conversation gives a sentence in place of its thread; nothing raises to the page.

`read_many` reads several connections' threads side by side (the network calls in threads,
the store writes after, in the caller's thread): a slow network delays the page by its own
timeout, not by the sum of them.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

from django.core.cache import cache
from django.utils import timezone

from hubbub.connections.models import Connection
from hubbub.connections.services import account_for
from hubbub.networks import base
from hubbub.networks.conversation import Placed, arrange
from hubbub.networks.errors import ConnectorError
from hubbub.networks.registry import get_connector
from hubbub.timeline.ingest import ingest
from hubbub.timeline.models import CONVERSATION_FEED_KEY, Feed, Item

log = logging.getLogger(__name__)

FEED_KEY = CONVERSATION_FEED_KEY
CACHE_SECONDS = 60
MAX_SIDE_BY_SIDE = 6


@dataclass(frozen=True)
class Thread:
    """One connection's read of a conversation: its posts in reading order, or why not."""

    connection: Connection
    remote_id: str  # the post it was opened from
    placed: list[Placed[Item]] = field(default_factory=list)
    problem: str = ""

    @property
    def root(self) -> Item | None:
        return self.placed[0].item if self.placed else None

    def item(self, remote_id: str) -> Item | None:
        return next((p.item for p in self.placed if p.item.remote_id == remote_id), None)


def read(connection: Connection, remote_id: str) -> Thread:
    """The conversation around `remote_id` (the network's id of a post this connection can
    see), from the cache when it was read within CACHE_SECONDS."""
    return read_many([(connection, remote_id)])[0]


def read_many(wanted: Sequence[tuple[Connection, str]]) -> list[Thread]:
    """Several conversations, each through its own connection, read side by side."""
    answers: list[list[int] | None] = [_cached(c, r) for c, r in wanted]
    missing = [n for n, found in enumerate(answers) if found is None]
    fetched: dict[int, tuple[base.Item, ...] | str] = {}
    if missing:
        with ThreadPoolExecutor(max_workers=min(len(missing), MAX_SIDE_BY_SIDE)) as pool:
            for n, result in zip(missing, pool.map(lambda n: _fetch(*wanted[n]), missing),
                                 strict=True):
                fetched[n] = result
    threads = []
    for n, (connection, remote_id) in enumerate(wanted):
        ids = answers[n]
        if ids is None:
            result = fetched[n]
            if isinstance(result, str):
                threads.append(Thread(connection, remote_id, problem=result))
                continue
            ids = _store(connection, remote_id, result)
        items = Item.objects.filter(connection=connection, pk__in=ids)
        threads.append(Thread(connection, remote_id, arrange(items, remote_id)))
    return threads


def forget(connection: Connection, remote_id: str) -> None:
    """Drop a cached read (a reply was just sent from the page)."""
    cache.delete(_key(connection, remote_id))


def _key(connection: Connection, remote_id: str) -> str:
    digest = hashlib.sha256(remote_id.encode("utf-8", "replace")).hexdigest()[:32]
    return f"hubbub:conversation:{connection.pk}:{digest}"


def _cached(connection: Connection, remote_id: str) -> list[int] | None:
    found = cache.get(_key(connection, remote_id))
    return found if isinstance(found, list) else None


def _fetch(connection: Connection, remote_id: str) -> tuple[base.Item, ...] | str:
    """The network's answer, or the sentence said in its place. No database access: this runs
    in a thread of its own."""
    connector = get_connector(connection.network)
    who = f"{connector.name} ({connection.handle})"
    if connection.disconnected_at is not None:
        return f"{who} is disconnected: reconnect it to read its conversations."
    paused = connection.rate_limited_until
    if paused is not None and paused > timezone.now():
        at = timezone.localtime(paused).strftime("%H:%M")
        return f"{who} asked hubbub to wait (rate limit) until {at}: try again after."
    try:
        return connector.conversation(account_for(connection), remote_id)
    except NotImplementedError as exc:
        return str(exc) or f"{connector.name} cannot show a conversation from hubbub."
    except ConnectorError as exc:
        log.info("conversation %s on connection %s failed: %s", remote_id[:80], connection.pk,
                 exc)
        return f"{who} did not give the conversation: {exc.message}"
    except Exception:
        log.exception("conversation %s on connection %s failed", remote_id[:80], connection.pk)
        return f"{who} sent an answer hubbub could not read; the rest of the page still shows."


def _store(connection: Connection, remote_id: str, items: tuple[base.Item, ...]) -> list[int]:
    if not items:
        return []
    feed, _ = Feed.objects.get_or_create(connection=connection, key=FEED_KEY)
    feed.connection = connection
    ids = list(ingest(feed, items).item_ids)
    cache.set(_key(connection, remote_id), ids, CACHE_SECONDS)
    return ids
