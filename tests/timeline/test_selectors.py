"""Column pages: order, paging without gaps or repeats, merged columns, "new" above the top,
and one person's items never in another's columns."""

from __future__ import annotations

import random
from datetime import timedelta

import pytest
from django.contrib.auth.models import User

from hubbub.timeline.ingest import ingest
from hubbub.timeline.models import Feed
from hubbub.timeline.selectors import (
    column_page,
    cursor_of,
    ensure_feed,
    feed_page,
    feeds_for_user,
    items_after,
)
from tests.timeline.conftest import T0, make_column, make_connection, net_item

pytestmark = pytest.mark.django_db


def _remote_ids(items: list) -> list[str]:  # type: ignore[type-arg]
    return [i.remote_id for i in items]


def test_single_column_pages_newest_first_without_gaps(alice: User, feed: Feed) -> None:
    ingest(feed, [net_item(n) for n in range(100)])
    column = make_column(alice, [feed])
    seen: list[str] = []
    before = None
    while True:
        page = column_page(column, before=before, limit=30)
        if not page:
            break
        seen.extend(_remote_ids(page))
        before = cursor_of(page[-1])
    assert seen == [f"r{n}" for n in reversed(range(100))]


def test_items_sharing_a_second_are_paged_by_id(alice: User, feed: Feed) -> None:
    ingest(feed, [net_item(n, at=T0) for n in range(25)])
    column = make_column(alice, [feed])
    first = column_page(column, limit=10)
    rest = column_page(column, before=cursor_of(first[-1]), limit=100)
    ids = [i.pk for i in first + rest]
    assert len(ids) == 25 == len(set(ids))
    assert ids == sorted(ids, reverse=True)


def test_merged_column_interleaves_by_time_and_dedupes(alice: User) -> None:
    one, two = make_connection(alice), make_connection(alice)
    home1, home2 = ensure_feed(one, "home"), ensure_feed(two, "home")
    mentions1 = ensure_feed(one, "mentions")
    ingest(home1, [net_item(n, prefix="a") for n in range(0, 60, 2)])
    ingest(home2, [net_item(n, prefix="b") for n in range(1, 60, 2)])
    # The same items in home and mentions of one connection show once.
    ingest(mentions1, [net_item(n, prefix="a") for n in range(0, 60, 2)])
    column = make_column(alice, [home1, home2, mentions1])
    pages = []
    before = None
    for _ in range(10):
        page = column_page(column, before=before, limit=7)
        if not page:
            break
        pages.append(page)
        before = cursor_of(page[-1])
    merged = [i for page in pages for i in page]
    assert [i.created_at for i in merged] == sorted((i.created_at for i in merged), reverse=True)
    assert len(merged) == 60 == len({i.pk for i in merged})
    assert all(len(page) == 7 for page in pages[:-1])
    assert {i.connection.pk for i in merged} == {one.pk, two.pk}  # loaded, no extra queries


def test_page_matches_a_straight_sort_on_random_data(alice: User) -> None:
    rng = random.Random(4)
    feeds = [ensure_feed(make_connection(alice), "home") for _ in range(4)]
    for f in feeds:
        ingest(f, [net_item(n, prefix=f"{f.pk}-", at=T0 + timedelta(seconds=rng.randrange(50)))
                   for n in range(40)])
    column = make_column(alice, feeds)
    everything = column_page(column, limit=200)
    expected = sorted(everything, key=lambda i: (i.created_at, i.pk), reverse=True)
    assert [i.pk for i in everything] == [i.pk for i in expected]
    assert len(everything) == 160
    cursor = cursor_of(expected[57])
    assert [i.pk for i in column_page(column, before=cursor, limit=40)] == [
        i.pk for i in expected[58:98]]
    assert [i.pk for i in items_after(column, cursor, limit=200)] == [
        i.pk for i in expected[:57]]


def test_items_after_gives_the_ones_right_above_newest_first(alice: User, feed: Feed) -> None:
    ingest(feed, [net_item(n) for n in range(10)])
    column = make_column(alice, [feed])
    top = column_page(column, limit=1)[0]
    assert items_after(column, cursor_of(top)) == []
    ingest(feed, [net_item(n) for n in range(10, 20)])
    newer = items_after(column, cursor_of(top), limit=3)
    assert _remote_ids(newer) == ["r12", "r11", "r10"]
    assert _remote_ids(items_after(column, cursor_of(newer[0]))) == [
        f"r{n}" for n in range(19, 12, -1)]


def test_one_user_never_sees_anothers_items(alice: User, bob: User) -> None:
    mine = ensure_feed(make_connection(alice), "home")
    theirs = ensure_feed(make_connection(bob), "home")
    ingest(mine, [net_item(1, prefix="alice")])
    ingest(theirs, [net_item(2, prefix="bob")])
    # A column of Alice's that somehow lists Bob's feed still shows only Alice's items.
    column = make_column(alice, [mine, theirs])
    assert _remote_ids(column_page(column)) == ["alice1"]
    assert _remote_ids(items_after(column, (T0 - timedelta(days=1), 0))) == ["alice1"]
    bobs_column = make_column(bob, [mine])
    assert column_page(bobs_column) == []
    assert list(feeds_for_user(alice)) == [mine]
    assert feed_page(theirs, user=alice) == []
    assert _remote_ids(feed_page(theirs, user=bob)) == ["bob2"]


def test_empty_columns_and_limits(alice: User, feed: Feed) -> None:
    column = make_column(alice, [])
    assert column_page(column) == []
    assert items_after(column, (T0, 0)) == []
    ingest(feed, [net_item(n) for n in range(300)])
    column.feeds.set([feed])
    assert len(column_page(column, limit=10_000)) == 200
    assert len(column_page(column, limit=0)) == 1


def test_ensure_feed_is_idempotent_and_due_at_once(alice: User) -> None:
    connection = make_connection(alice)
    feed = ensure_feed(connection, "hashtag:cats")
    assert ensure_feed(connection, "hashtag:cats").pk == feed.pk
    assert feed.next_poll_at is not None


def test_page_is_a_few_queries_whatever_the_size(alice: User, feed: Feed,
                                                 django_assert_max_num_queries: object) -> None:
    others = [ensure_feed(make_connection(alice), "home") for _ in range(4)]
    for f in [feed, *others]:
        ingest(f, [net_item(n, prefix=f"{f.pk}-") for n in range(50)])
    column = make_column(alice, [feed, *others])
    with django_assert_max_num_queries(3):  # type: ignore[operator]
        page = column_page(column)
        assert [i.connection.handle for i in page]
