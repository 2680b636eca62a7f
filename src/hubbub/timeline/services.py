"""Writes for decks and columns, and the reactions sent from a column. Views call these."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from django.contrib.auth.models import User
from django.db import transaction
from django.db.models import Q

from hubbub.connections.models import Connection
from hubbub.connections.services import account_for, connections_for
from hubbub.networks.errors import ConnectorError
from hubbub.networks.registry import get_connector
from hubbub.timeline import live, selectors
from hubbub.timeline.feedkinds import available_kinds, column_title, feed_key
from hubbub.timeline.models import Column, ColumnWidth, Deck, FeedEntry, Item
from hubbub.timeline.privacy import PRIVATE_LABELS, private_kind

log = logging.getLogger(__name__)
MAX_DECKS = 20
MAX_COLUMNS = 30
REACTIONS = {"like": "liked", "repost": "reposted", "bookmark": "bookmarked"}


class DeckError(Exception):
    """The change cannot be made; the message says why, for the person."""


# --- decks -------------------------------------------------------------------------------------


def _renumber_decks(user: User) -> None:
    for position, deck in enumerate(Deck.objects.filter(user=user)):
        if deck.position != position:
            Deck.objects.filter(pk=deck.pk).update(position=position)


@transaction.atomic
def create_deck(user: User, name: str) -> Deck:
    name = name.strip() or "Deck"
    count = Deck.objects.filter(user=user).count()
    if count >= MAX_DECKS:
        raise DeckError(f"You have {count} decks already; remove one first.")
    return Deck.objects.create(user=user, name=name[:100], position=count)


def rename_deck(deck: Deck, name: str) -> Deck:
    name = name.strip()
    if not name:
        raise DeckError("Give the deck a name.")
    deck.name = name[:100]
    deck.save(update_fields=["name"])
    return deck


@transaction.atomic
def delete_deck(deck: Deck) -> None:
    user = deck.user
    deck.delete()
    _renumber_decks(user)


@transaction.atomic
def ensure_default_deck(user: User) -> Deck:
    """The first deck: a home and a mentions column for every connected account."""
    existing = Deck.objects.filter(user=user).first()
    if existing is not None:
        return existing
    deck = Deck.objects.create(user=user, name="Main", position=0)
    add_default_columns(deck)
    return deck


def add_default_columns(deck: Deck) -> list[Column]:
    added = []
    for connection in connections_for(deck.user):
        added += _home_and_mentions(deck, connection)
    return added


def _home_and_mentions(deck: Deck, connection: Connection) -> list[Column]:
    kinds = available_kinds(connection)
    return [add_column(deck, connections=[connection], kind=kind)
            for kind in ("home", "mentions") if kind in kinds]


def columns_for_new_account(connection: Connection) -> list[Column]:
    """A newly connected account's home and mentions columns, at the end of the person's first
    deck (as the empty deck promises). No deck yet: the first visit makes it with them. A deck
    that already reads the account, or is full, is left as it is."""
    deck = Deck.objects.filter(user_id=connection.user_id).order_by("position", "pk").first()
    if deck is None or Column.objects.filter(deck=deck, feeds__connection=connection).exists():
        return []
    try:
        added = _home_and_mentions(deck, connection)
    except DeckError as exc:
        log.info("no columns added for connection %s: %s", connection.pk, exc)
        return []
    if added:
        # A deck already open in another tab shows them (deck.js: "columns").
        event = live.LiveEvent("columns", connection.user_id, detail=str(deck.pk))
        transaction.on_commit(lambda: live.publish(event))
    return added


# --- columns -----------------------------------------------------------------------------------


def _renumber(deck: Deck, order: Sequence[int] | None = None) -> None:
    columns = list(Column.objects.filter(deck=deck))
    if order is not None:
        rank = {pk: i for i, pk in enumerate(order)}
        columns.sort(key=lambda c: (rank.get(c.pk, len(rank)), c.position, c.pk))
    for position, column in enumerate(columns):
        if column.position != position:
            Column.objects.filter(pk=column.pk).update(position=position)


@transaction.atomic
def add_column(
    deck: Deck,
    *,
    connections: Sequence[Connection],
    kind: str,
    param: str = "",
    title: str = "",
    width: str = ColumnWidth.NORMAL,
) -> Column:
    """A column reading `kind` (home, mentions, hashtag + param, ...) of one connection, or the
    same kind of several connections merged by time."""
    if not connections:
        raise DeckError("Pick at least one account.")
    for connection in connections:
        if connection.user_id != deck.user_id or connection.disconnected_at is not None:
            raise DeckError("One of the picked accounts is not yours or is disconnected.")
        if kind not in available_kinds(connection):
            raise DeckError(f"{connection.handle} cannot show that kind of column.")
    count = Column.objects.filter(deck=deck).count()
    if count >= MAX_COLUMNS:
        raise DeckError(f"This deck has {count} columns; remove one or start another deck.")
    feeds = [selectors.ensure_feed(c, feed_key(c, kind, param)) for c in connections]
    column = Column.objects.create(
        deck=deck,
        title=(title.strip() or column_title(kind, param, merged=len(connections) > 1))[:100],
        position=count,
        width=width if width in ColumnWidth.values else ColumnWidth.NORMAL,
        filters={"kind": kind, "param": param},
    )
    column.feeds.set(feeds)
    return column


@transaction.atomic
def remove_column(column: Column) -> None:
    deck = column.deck
    column.delete()
    _renumber(deck)


@transaction.atomic
def move_column(column: Column, offset: int) -> None:
    """Move one place left (-1) or right (+1); nothing happens at either end."""
    order = list(Column.objects.filter(deck=column.deck_id).values_list("pk", flat=True))
    index = order.index(column.pk)
    target = max(0, min(len(order) - 1, index + offset))
    order.insert(target, order.pop(index))
    _renumber(column.deck, order)


@transaction.atomic
def reorder_columns(deck: Deck, order: Sequence[int]) -> None:
    """Put the columns in the given order (ids not in this deck are ignored)."""
    _renumber(deck, list(order))


def set_width(column: Column, width: str) -> None:
    if width not in ColumnWidth.values:
        raise DeckError("Pick narrow, normal or wide.")
    Column.objects.filter(pk=column.pk).update(width=width)
    column.width = width


def mark_read(column: Column, until: datetime) -> bool:
    """Move the read marker forward to `until` (never back). True if it moved."""
    moved = Column.objects.filter(pk=column.pk).filter(
        Q(read_until__isnull=True) | Q(read_until__lt=until)
    ).update(read_until=until)
    if moved:
        column.read_until = until
    return bool(moved)


# --- reactions ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Reacted:
    ok: bool
    message: str


def reaction_target(item: Item) -> str:
    """The network's id to act on: the original post for a repost, else the item itself."""
    original = item.extra.get("original_id") if isinstance(item.extra, dict) else None
    return str(original or item.remote_id)


def react(item: Item, kind: str) -> Reacted:
    """Like, repost or bookmark an item on its own network, through its connection."""
    field = REACTIONS.get(kind)
    if field is None:
        return Reacted(False, "Unknown action.")
    private = private_kind(item)
    if kind == "repost" and private:
        return Reacted(False, f"{PRIVATE_LABELS[private]}: not for reposting, only its "
                              "readers may see it.")
    if getattr(item, field):
        return Reacted(True, f"Already {field}.")
    connection = item.connection
    if connection.disconnected_at is not None:
        return Reacted(False, f"{connection.handle} is disconnected; reconnect it first.")
    connector = get_connector(connection.network)
    try:
        connector.react(account_for(connection), reaction_target(item), kind)
    except NotImplementedError as exc:
        # A connector that says why (the network's API does not allow it) is quoted; the
        # contract's default ("X cannot like") gets "from hubbub yet".
        said = str(exc).strip().rstrip(".")
        if said and said != f"{connector.name} cannot {kind}":
            return Reacted(False, f"{said}.")
        return Reacted(False, f"{connector.name} cannot {kind} from hubbub yet.")
    except ConnectorError as exc:
        log.info("react %s on %s failed: %s", kind, item, exc)
        return Reacted(False, f"{connector.name} said no: {exc.message}")
    Item.objects.filter(pk=item.pk).update(**{field: True})
    setattr(item, field, True)
    return Reacted(True, f"{field.capitalize()}.")



# --- deletions the networks report --------------------------------------------------------------


def remove_deleted(connection: Connection, remote_id: str, *, by: str = "") -> list[int]:
    """The network deleted `remote_id`: remove that item from this connection's store, and the
    reposts of it, and tell open decks (a "removed" live event, sent after commit). Returns the
    ids of the items removed.

    `by` is who deleted it when the network leaves checking that to us (a Nostr deletion
    request, signed by anyone): then only items that person made go, an item they posted or a
    repost they made. "" trusts the network (a Mastodon server only says what was deleted).
    Other connections' copies of the same post are left alone: each hears its own deletion."""
    remote_id = str(remote_id)[:500]
    if not remote_id:
        return []
    own = Q(remote_id=remote_id)
    reposts = Q(extra__original_id=remote_id)
    if by:
        own &= Q(reposted_by=by) | (Q(reposted_by="") & Q(author_handle=by))
        reposts &= Q(author_handle=by)
    with transaction.atomic():
        gone = list(Item.objects.filter(own | reposts, connection=connection)
                    .values_list("pk", flat=True))
        if not gone:
            return []
        feeds = sorted(set(FeedEntry.objects.filter(item_id__in=gone)
                           .values_list("feed_id", flat=True)))
        Item.objects.filter(pk__in=gone).delete()  # the feed entries go with them
        user_id = connection.user_id
        transaction.on_commit(lambda: live.publish(live.LiveEvent(
            "removed", user_id, feed_ids=tuple(feeds), item_ids=tuple(gone))))
    log.info("removed %d item(s) of connection %s deleted on the network", len(gone),
             connection.pk)
    return gone
