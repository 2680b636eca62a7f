"""Reading the inbox: its entries with their state, direct messages gathered into threads, and
the unread count the navigation shows. Only the person's own connections' items are read."""

from __future__ import annotations

import functools
import json
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.contrib.auth.models import AbstractBaseUser
from django.db import connection as db
from django.db.models import BooleanField, Case, OuterRef, Q, QuerySet, Subquery, Value, When
from django.utils import timezone

from hubbub.connections.models import Connection
from hubbub.inbox.models import EntryState, InboxFeed
from hubbub.listening.models import ItemMark
from hubbub.timeline.cursors import Cursor
from hubbub.timeline.models import Feed, FeedEntry, Item
from hubbub.timeline.privacy import private_kind

# Kinds worth answering; "direct" is a direct message.
ANSWERABLE = ("mention", "reply", "quote", "direct")
FILTERS = {"all": "All", "mentions": "Mentions", "direct": "Direct", "done": "Done"}
PAGE = 100


# What is_direct says, as a query.
DIRECT = Q(kind="direct") | Q(extra__visibility="direct") | Q(extra__has_key="conversation")


def is_direct(item: Item) -> bool:
    """A direct message (timeline/privacy.py decides, for the deck's marks too)."""
    return private_kind(item) == "direct"


def is_own(item: Item) -> bool:
    """Sent by the account itself (its answer, read back as a conversation's last message)."""
    return item.author_handle.lower() == item.connection.handle.lower()


def entries(user: AbstractBaseUser) -> QuerySet[Item]:
    """Every inbox entry of `user`, newest first, with `inbox_status` ("" unread, "read",
    "done"): answerable items of the feeds the inbox reads, and items a rule added, except
    what a rule hides."""
    now = timezone.now()
    state = EntryState.objects.filter(item_id=OuterRef("pk")).values("state")[:1]
    ids = (Item.objects.filter(connection__user_id=user.pk)
           .filter(Q(entries__feed__inbox_read__isnull=False, kind__in=ANSWERABLE)
                   | Q(listening_mark__inbox=True))
           .values("pk"))
    return (Item.objects.filter(pk__in=ids, connection__user_id=user.pk)
            .exclude(listening_mark__hidden_until__gt=now)
            .select_related("connection")
            .annotate(inbox_status=Subquery(state))
            .order_by("-created_at", "-pk"))


UNREAD_CAP = 1000  # the navigation says "999+" past this


def unread_count(user: AbstractBaseUser) -> int:
    """How many entries are unread (at most UNREAD_CAP), counted in the database: the same
    entries as `entries` less the read and done ones and the account's own messages, a direct
    conversation counting once however many of its messages are unread (the page shows it as
    one entry). Every page shows it, so its SQL is written once (_unread_sql) rather than built
    by the ORM on every page (1.8 of its 3.1 ms of CPU), and it starts from the inbox's
    candidates (the entries of the feeds the inbox reads, the items a rule added), not from
    every item of the person. Direct messages are gathered into conversations (thread_key) in
    Python, read only when two or more are unread: one query a page otherwise."""
    params = [user.pk, user.pk, user.pk, db.ops.adapt_datetimefield_value(timezone.now()),
              *ANSWERABLE, True]
    with db.cursor() as cursor:
        cursor.execute(_unread_sql(db.vendor), params)
        row = cursor.fetchone()
        total, direct = (int(row[0] or 0), int(row[1] or 0)) if row else (0, 0)
        if direct < 2:
            return total
        cursor.execute(_unread_sql(db.vendor, direct_rows=True), params)
        found = {_thread_key_of(connection_id, handle, {"participants": _list_of(people)})
                 for connection_id, handle, people in cursor.fetchall()}
    return total - direct + len(found)


def _list_of(value: object) -> list[object]:
    """A JSON list as a raw query reads it (SQLite hands JSON back as text), else []."""
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError:
            return []
    return value if isinstance(value, list) else []


@functools.cache
def _unread_sql(vendor: str, *, direct_rows: bool = False) -> str:
    """unread_count's query for `vendor` (only quoted table names are formatted in; every value
    is a parameter): how many unread entries and how many of them are direct messages, or
    (`direct_rows`) the direct ones' connection, author and participants (only these of their
    details: what thread_key reads). The candidates are the
    two ways into the inbox, each read by an index or a small table: the entries of the
    person's feeds the inbox reads, and the items a rule's mark adds. Before, the query went
    through every item of the person (and a second time for the marks) and asked of each
    whether it was a candidate: ~1 ms a page on a store of 5,000 items, growing with the store.
    Of the candidates, one is left out when it is another person's, has an EntryState (read or
    done), a rule's mark hides it now, or its author is the account itself (any case); one from
    a feed counts only if it is of an answerable kind or a rule added it too. The marks that add
    are the person's own (ItemMark.user), read through their partial index
    (listening's itemmark_user_adds_to_inbox), whose condition each planner matches only when
    the query states it the same way, as a literal. A direct message is what DIRECT says."""
    adds = "mm.inbox" if vendor == "postgresql" else "mm.inbox = 1"
    if vendor == "postgresql":
        direct = ("(i.kind = 'direct' OR i.extra ->> 'visibility' = 'direct' "
                  "OR i.extra -> 'conversation' IS NOT NULL)")
    else:
        direct = ("(i.kind = 'direct' OR json_extract(i.extra, '$.visibility') = 'direct' "
                  "OR json_type(i.extra, '$.conversation') IS NOT NULL)")
    q = db.ops.quote_name
    items, conns = q(Item._meta.db_table), q(Connection._meta.db_table)
    states, marks = q(EntryState._meta.db_table), q(ItemMark._meta.db_table)
    entries_, feeds, reads = (q(FeedEntry._meta.db_table), q(Feed._meta.db_table),
                              q(InboxFeed._meta.db_table))
    kinds = ", ".join(["%s"] * len(ANSWERABLE))
    people = ("i.extra -> 'participants'" if vendor == "postgresql"
              else "json_extract(i.extra, '$.participants')")
    chosen = (f"i.connection_id, i.author_handle, {people} FROM {items} i WHERE i.id IN ("  # noqa: S608
              "SELECT id FROM (SELECT i.id, " if direct_rows else
              "COUNT(*), SUM(is_direct) FROM (SELECT i.id, ")
    return (
        f"SELECT {chosen}"  # noqa: S608
        f"CASE WHEN {direct} THEN 1 ELSE 0 END AS is_direct FROM ("
        f"SELECT e.item_id AS id FROM {reads} r JOIN {feeds} f ON f.id = r.feed_id "
        f"JOIN {conns} fc ON fc.id = f.connection_id "
        f"JOIN {entries_} e ON e.feed_id = r.feed_id WHERE fc.user_id = %s "
        f"UNION SELECT mm.item_id FROM {marks} mm WHERE mm.user_id = %s AND {adds}) candidate "
        f"JOIN {items} i ON i.id = candidate.id "
        f"JOIN {conns} c ON c.id = i.connection_id "
        f"LEFT JOIN {states} s ON s.item_id = i.id "
        f"LEFT JOIN {marks} m ON m.item_id = i.id "
        "WHERE c.user_id = %s AND s.item_id IS NULL "
        "AND (m.hidden_until IS NULL OR m.hidden_until <= %s) "
        "AND LOWER(i.author_handle) <> LOWER(c.handle) "
        f"AND (i.kind IN ({kinds}) OR m.inbox = %s) "
        f"LIMIT {int(UNREAD_CAP)}) unread"
        + (" WHERE is_direct = 1)" if direct_rows else "")
    )


def counted_once(user: AbstractBaseUser) -> int:
    """unread_count, once a request: the navigation and the inbox page both show it, and the
    signed-in user is one object for the request (a POST that changes states redirects)."""
    cached = getattr(user, "_inbox_unread", None)
    if cached is None:
        cached = unread_count(user)
        user._inbox_unread = cached  # type: ignore[attr-defined]
    return int(cached)


@dataclass
class Thread:
    """One direct conversation: its messages oldest first, the other people named."""

    key: tuple[int, str]
    participants: list[str]
    messages: list[Item] = field(default_factory=list)

    @property
    def newest(self) -> Item:
        return self.messages[-1]

    @property
    def unread(self) -> bool:
        return any(not m.inbox_status and not is_own(m) for m in self.messages)  # type: ignore[attr-defined]


def thread_key(item: Item) -> tuple[int, str]:
    """Messages with the same people on one account are one thread (a Nostr conversation is
    its participants; Mastodon's conversation id moves on the mock with each message)."""
    extra = item.extra if isinstance(item.extra, dict) else {}
    if not is_own(item) or _participants(extra):
        return _thread_key_of(item.connection_id, item.author_handle, extra)
    return item.connection_id, f"item:{item.pk}"


def _participants(extra: dict[str, object]) -> list[object]:
    people = extra.get("participants")
    return people if isinstance(people, list) else []


def _thread_key_of(connection_id: int, author_handle: str,
                   extra: dict[str, object]) -> tuple[int, str]:
    """thread_key of a message the account did not send."""
    people = _participants(extra)
    if people:
        return connection_id, ",".join(sorted(str(p).lower() for p in people))
    return connection_id, author_handle.lower()


def threads(items: Iterable[Item]) -> list[Thread]:
    """Direct messages as threads, the thread with the newest message first."""
    found: dict[tuple[int, str], Thread] = {}
    for item in sorted(items, key=lambda i: (i.created_at, i.pk)):
        key = thread_key(item)
        thread = found.get(key)
        if thread is None:
            extra = item.extra if isinstance(item.extra, dict) else {}
            people = extra.get("participants")
            names = [str(p) for p in people] if isinstance(people, list) and people \
                else [item.author_handle]
            thread = found[key] = Thread(key, names)
        thread.messages.append(item)
    return sorted(found.values(), key=lambda t: (t.newest.created_at, t.newest.pk),
                  reverse=True)


def _older(items: QuerySet[Item], before: Cursor | None) -> QuerySet[Item]:
    """The entries after `before` (an entry's created_at and id), newest first."""
    if before is None:
        return items
    at, pk = before
    return items.filter(Q(created_at__lt=at) | Q(created_at=at, pk__lt=pk))


DIRECT_PAGE = PAGE * 2  # direct messages a page, gathered into threads


@dataclass
class Listing:
    """One page of the inbox: entries (mentions, replies, quotes) and direct threads, with the
    cursor of the next page of each (None when there is none)."""

    plain: list[Item]
    threads: list[Thread]
    older_plain: Cursor | None = None
    older_direct: Cursor | None = None


def _next(page: list[Item], size: int) -> Cursor | None:
    return (page[-1].created_at, page[-1].pk) if len(page) >= size else None


def listing_page(user: AbstractBaseUser, which: str,
                 before: Cursor | None = None) -> Listing:
    """The filter's page. With `before`, the next page of what the filter pages: on Direct the
    direct messages (200 a page, older than `before`, gathered into threads: a long
    conversation goes on over several pages), elsewhere the entries (direct threads come on
    the first page only)."""
    base = entries(user)
    if which == "done":
        done = list(_older(base.filter(inbox_state__state=EntryState.DONE), before)[:PAGE])
        return Listing(done, [], _next(done, PAGE))
    # Each kind chosen in the database, so a hundred newer mentions do not push the direct
    # messages off the page (nor the other way round). (A CASE, not exclude(DIRECT): a JSON key
    # an item lacks reads as NULL, and NOT NULL would leave out every ordinary mention.)
    open_ = base.exclude(inbox_state__state=EntryState.DONE).annotate(
        direct=Case(When(DIRECT, then=Value(True)), default=Value(False),
                    output_field=BooleanField()))
    plain: list[Item] = [] if which == "direct" else list(
        _older(open_.filter(direct=False), before)[:PAGE])
    messages: list[Item] = []
    if which == "direct" or (which == "all" and before is None):
        messages = list(_older(open_.filter(direct=True), before if which == "direct" else None)
                        [:DIRECT_PAGE])
    return Listing(plain, threads(messages), _next(plain, PAGE), _next(messages, DIRECT_PAGE))


def listing(user: AbstractBaseUser, which: str,
            before: Cursor | None = None) -> tuple[list[Item], list[Thread]]:
    """listing_page's entries and threads."""
    found = listing_page(user, which, before)
    return found.plain, found.threads
