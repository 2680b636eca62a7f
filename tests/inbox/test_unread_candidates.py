"""The unread count starts from the inbox's candidates (the entries of the feeds the inbox
reads, the items a rule added), not from every item of the person: each candidate counts once,
another person's never, and the work does not grow with the items outside the inbox (every
page's navigation counts, so a count that read all of the person's items slowed every page as
the store grew)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.contrib.auth.models import User
from django.db import connection
from django.utils import timezone

from hubbub.inbox.models import InboxFeed
from hubbub.inbox.selectors import entries, is_own, unread_count
from hubbub.listening.models import ItemMark
from hubbub.timeline.ingest import ingest
from hubbub.timeline.models import Feed, Item
from hubbub.timeline.selectors import ensure_feed
from tests.sqlite_steps import sqlite_steps
from tests.timeline.conftest import make_connection, net_item

pytestmark = pytest.mark.django_db


def _reference(user: User) -> list[str]:
    """The unread entries as the inbox page lists them."""
    return sorted(i.remote_id for i in entries(user)
                  if not getattr(i, "inbox_status", "") and not is_own(i))


def test_an_entry_in_two_inbox_feeds_or_also_added_by_a_rule_counts_once(
        alice: User, bob: User, feed: Feed) -> None:
    mentions = ensure_feed(feed.connection, "mentions")
    direct = ensure_feed(feed.connection, "direct")
    for read in (mentions, direct):
        InboxFeed.objects.create(feed=read)
    at = timezone.now() - timedelta(minutes=5)
    both = net_item(1, at=at, kind="direct", text="in two feeds")
    ingest(mentions, [both, net_item(2, at=at, kind="post", text="a post, added by a rule")])
    ingest(direct, [both])
    # A mention in a feed the inbox does not read: not an entry.
    ingest(feed, [net_item(3, at=at, kind="mention", text="in the home feed only")])
    added = Item.objects.get(remote_id="r2")
    ItemMark.objects.create(item=added, user=alice, inbox=True)
    # Mentions' entries also added by a rule, and one a rule hid until a time now past.
    ingest(mentions, [net_item(4, at=at, kind="mention", text="a rule added it too"),
                      net_item(5, at=at, kind="mention", text="hidden until a minute ago")])
    ItemMark.objects.create(item=Item.objects.get(remote_id="r4"), user=alice, inbox=True)
    ItemMark.objects.create(item=Item.objects.get(remote_id="r5"), user=alice,
                            hidden_until=timezone.now() - timedelta(minutes=1))
    # Bob's item a rule of his added to his inbox: not Alice's.
    bobs = ensure_feed(make_connection(bob), "home")
    ingest(bobs, [net_item(6, at=at, kind="post", prefix="b")])
    ItemMark.objects.create(item=Item.objects.get(remote_id="b6"), user=bob, inbox=True)

    assert _reference(alice) == ["r1", "r2", "r4", "r5"]
    assert unread_count(alice) == 4
    assert _reference(bob) == ["b6"]
    assert unread_count(bob) == 1


def test_the_count_does_not_read_the_items_outside_the_inbox(alice: User, feed: Feed) -> None:
    if connection.vendor != "sqlite":
        pytest.skip("counts SQLite's steps")
    mentions = ensure_feed(feed.connection, "mentions")
    InboxFeed.objects.create(feed=mentions)
    at = timezone.now() - timedelta(hours=1)
    ingest(mentions, [net_item(n, at=at, kind="mention", prefix="m") for n in range(5)])
    ingest(feed, [net_item(n, at=at) for n in range(50)])
    with sqlite_steps() as few:
        assert unread_count(alice) == 5
    # 2,000 more posts in the home feed, none of them the inbox's.
    ingest(feed, [net_item(n, at=at) for n in range(50, 2050)])
    with sqlite_steps() as many:
        assert unread_count(alice) == 5
    # Reading every item of the person costs some 10 steps (thousands) more for 2,000 items.
    assert many[0] <= few[0] + 1, (few, many)


def test_the_count_does_not_read_the_marks_that_add_nothing_to_the_inbox(
        alice: User, feed: Feed) -> None:
    """A rule's marks (hide, priority, ...) on items it does not add to the inbox are not read:
    the marks that add are found through their own partial index."""
    if connection.vendor != "sqlite":
        pytest.skip("counts SQLite's steps")
    at = timezone.now() - timedelta(hours=1)
    ingest(feed, [net_item(n, at=at) for n in range(2050)])
    items = list(Item.objects.order_by("id").values_list("id", flat=True))
    ItemMark.objects.bulk_create([ItemMark(item_id=i, user=alice, inbox=True) for i in items[:5]])
    with sqlite_steps() as few:
        assert unread_count(alice) == 5
    # 2,000 more marks of a rule that hides or marks priority, none adding to the inbox.
    ItemMark.objects.bulk_create([ItemMark(item_id=i, user=alice, priority=True)
                               for i in items[50:2050]])
    with sqlite_steps() as many:
        assert unread_count(alice) == 5
    assert many[0] <= few[0] + 1, (few, many)
