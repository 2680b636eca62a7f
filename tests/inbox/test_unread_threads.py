"""A direct conversation counts once in the unread count, however many of its messages are
unread, as the inbox page shows it once (selectors.threads): the count and the page agree
(a walkthrough saw "7 unread" beside 6 unread entries). On SQLite and PostgreSQL: which items
are direct messages is decided in each database's JSON functions."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest
from django.contrib.auth.models import User
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from hubbub.inbox.models import EntryState, InboxFeed
from hubbub.inbox.selectors import entries, is_direct, is_own, listing, thread_key, unread_count
from hubbub.timeline.ingest import ingest
from hubbub.timeline.models import Feed, Item
from hubbub.timeline.selectors import ensure_feed
from tests.timeline.conftest import net_item

pytestmark = pytest.mark.django_db


def _reference(user: User) -> int:
    """Unread entries as the page lists them: plain entries, and direct threads once each."""
    unread = [i for i in entries(user) if not getattr(i, "inbox_status", "") and not is_own(i)]
    plain = [i for i in unread if not is_direct(i)]
    return len(plain) + len({thread_key(i) for i in unread if is_direct(i)})


def _from(n: int, handle: str, **extra: object) -> object:
    at = timezone.now() - timedelta(minutes=60 - n)
    return replace(net_item(n, at=at, kind=str(extra.pop("kind", "direct")), **extra),
                   author_handle=handle)


def test_a_conversation_counts_once_and_the_page_says_the_same(
        alice: User, feed: Feed, client: Client) -> None:
    direct = ensure_feed(feed.connection, "direct")
    mentions = ensure_feed(feed.connection, "mentions")
    for read in (direct, mentions):
        InboxFeed.objects.create(feed=read)
    own = feed.connection.handle
    ingest(direct, [
        # Ana wrote three times: one conversation.
        _from(1, "@ana@x.example"), _from(2, "@Ana@X.example"), _from(3, "@ana@x.example"),
        # A group conversation: its people in another order and case on each message.
        _from(4, "@bo@x.example", participants=["@bo@x.example", "@cy@x.example", own]),
        _from(5, "@cy@x.example", participants=[own.upper(), "@CY@x.example", "@bo@x.example"]),
        # Direct by its visibility, and by naming its conversation, though not of kind direct.
        _from(6, "@dee@x.example", kind="mention", visibility="direct"),
        _from(7, "@dee@x.example", kind="mention", conversation="c7"),
        # The account's own answer: not unread.
        _from(8, own, participants=["@ana@x.example", own]),
    ])
    ingest(mentions, [_from(9, "@eve@x.example", kind="mention"),
                      _from(10, "@eve@x.example", kind="mention")])
    assert _reference(alice) == 5  # Ana, the group, Dee, and Eve's two mentions
    assert unread_count(alice) == 5
    # One of Ana's messages read: her conversation is still unread (two are not).
    EntryState.objects.create(item=Item.objects.get(remote_id="r1"), user=alice, state="read")
    assert unread_count(alice) == _reference(alice) == 5
    # All of Ana's read but one: still one. All read: gone.
    EntryState.objects.create(item=Item.objects.get(remote_id="r2"), user=alice, state="read")
    assert unread_count(alice) == _reference(alice) == 5
    EntryState.objects.create(item=Item.objects.get(remote_id="r3"), user=alice, state="read")
    assert unread_count(alice) == _reference(alice) == 4

    client.force_login(alice)
    page = client.get("/inbox/").content.decode()
    assert "4 unread" in page
    _plain, threads = listing(alice, "all")
    assert sum(1 for t in threads if t.unread) == 2  # the group and Dee


def test_one_unread_direct_message_costs_one_query(alice: User, feed: Feed) -> None:
    direct = ensure_feed(feed.connection, "direct")
    InboxFeed.objects.create(feed=direct)
    ingest(direct, [_from(1, "@ana@x.example")])
    with CaptureQueriesContext(connection) as queries:
        assert unread_count(alice) == 1
    assert len(queries) == 1
    ingest(direct, [_from(2, "@ana@x.example")])
    with CaptureQueriesContext(connection) as queries:
        assert unread_count(alice) == 1  # two messages, one conversation: read to tell
    assert len(queries) == 2
