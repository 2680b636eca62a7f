"""ingest()'s store side: three statements a batch, datetimes as Django writes them, the
"already in this feed" answer from the same SELECT as the known items (SQLite and PostgreSQL:
run with DATABASE_URL for the latter)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.db import connection

from hubbub.timeline import ingest as ingest_module
from hubbub.timeline.ingest import ingest
from hubbub.timeline.models import Feed, FeedEntry, Item
from hubbub.timeline.selectors import ensure_feed
from tests.timeline.conftest import T0, make_connection, net_item

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def statements() -> Iterator[list[str]]:
    """Every SQL statement SQLite runs (ingest goes past Django's cursor wrapper)."""
    if connection.vendor != "sqlite":
        pytest.skip("counts SQLite statements")
    seen: list[str] = []
    connection.ensure_connection()
    raw: Any = connection.connection
    raw.set_trace_callback(seen.append)
    yield seen
    raw.set_trace_callback(None)


@pytest.mark.parametrize("when", [
    datetime(2026, 5, 1, 12, 0, tzinfo=UTC),
    datetime(2026, 5, 1, 12, 0, 0, 1, tzinfo=UTC),
    datetime(2026, 5, 1, 23, 30, 15, 250000, tzinfo=timezone(timedelta(hours=-5))),
    datetime(2026, 1, 1, 0, 30, tzinfo=timezone(timedelta(hours=2))),
    datetime(1999, 12, 31, 23, 59, 59, 999999, tzinfo=UTC),
])
def test_datetimes_are_written_as_django_writes_them(when: datetime) -> None:
    adapt = ingest_module._datetime_adapter()
    assert adapt(when) == connection.ops.adapt_datetimefield_value(when)


def _work(statements: list[str]) -> list[str]:
    """The store's statements; the rules' hook (listening.apply.on_ingest) is counted apart:
    with no rules it reads the person's rules version, at most once per 5 s a person."""
    return [s.split()[0] for s in statements
            if s.split()[0] in ("SELECT", "INSERT", "UPDATE", "DELETE") and "listening_" not in s]


def test_a_mixed_batch_is_three_statements(alice: User, statements: list[str]) -> None:
    conn = make_connection(alice)
    home, mentions = ensure_feed(conn, "home"), ensure_feed(conn, "mentions")
    ingest(home, [net_item(n) for n in range(4)])
    ingest(mentions, [net_item(9)])
    statements.clear()
    # 0, 1 unchanged in home; 2, 3 changed; 9 known but not in home; 20, 21 new.
    batch = [net_item(0), net_item(1), net_item(2, text="edited"), net_item(3, text="too"),
             net_item(9), net_item(20), net_item(21)]
    result = ingest(home, batch)
    assert _work(statements) == ["SELECT", "INSERT", "INSERT"], statements
    assert result.known_in_feed == 4
    assert len(result.new_item_ids) == 2
    assert len(result.updated_item_ids) == 2
    by_id = dict(Item.objects.values_list("remote_id", "id"))
    assert result.item_ids == tuple(by_id[f"r{n}"] for n in (0, 1, 2, 3, 9, 20, 21))
    assert set(result.entry_item_ids) == {by_id["r9"], by_id["r20"], by_id["r21"]}
    assert Item.objects.get(remote_id="r2").text == "edited"
    assert set(FeedEntry.objects.filter(feed=home).values_list("item__remote_id", flat=True)) \
        == {"r0", "r1", "r2", "r3", "r9", "r20", "r21"}
    assert FeedEntry.objects.filter(feed=home).count() == 7  # the padding added nothing


def test_statements_come_in_power_of_two_sizes(feed: Feed, statements: list[str]) -> None:
    """75 new items: one SELECT padded to 128 ids, upserts of 64 + 8 + 2 + 1 rows, one INSERT of
    128 entries (75 and repeats of the last, which do nothing)."""
    result = ingest(feed, [net_item(n) for n in range(75)])
    assert _work(statements) == ["SELECT", "INSERT", "INSERT", "INSERT", "INSERT", "INSERT"]
    assert sum("listening_" in s for s in statements) <= 1
    assert len(result.new_item_ids) == len(set(result.new_item_ids)) == 75
    assert len(result.entry_item_ids) == 75
    assert FeedEntry.objects.filter(feed=feed).count() == Item.objects.count() == 75
    statements.clear()
    again = ingest(feed, [net_item(n) for n in range(75)])
    assert _work(statements) == ["SELECT"]
    assert again.known_in_feed == 75
    assert again.item_ids == result.item_ids


def test_entries_sort_with_orm_times(feed: Feed) -> None:
    """Entries written with the fast datetime form compare with ORM lookups like any other."""
    at = [T0 + timedelta(minutes=n, microseconds=n % 2) for n in range(6)]
    ingest(feed, [net_item(n, at=at[n]) for n in range(6)])
    entries = FeedEntry.objects.filter(feed=feed)
    assert entries.filter(created_at__lt=at[3]).count() == 3
    assert entries.filter(created_at=at[1]).count() == 1
    assert list(entries.order_by("-created_at").values_list("item__remote_id", flat=True)) == [
        f"r{n}" for n in reversed(range(6))]
    assert [i.created_at for i in Item.objects.order_by("created_at")] == at


def test_a_changed_reread_keeps_feed_specific_details_stored(alice: User) -> None:
    conn = make_connection(alice)
    home, mentions = ensure_feed(conn, "home"), ensure_feed(conn, "mentions")
    ingest(mentions, [net_item(1, kind="mention", notification_id="n1", is_read=True)])
    ingest(home, [net_item(1, text="edited", visibility="public")])
    item = Item.objects.get()
    assert item.text == "edited"
    assert item.extra == {"notification_id": "n1", "is_read": True, "visibility": "public"}
    # A stored extra without them is left alone.
    ingest(home, [net_item(2, text="a")])
    ingest(home, [net_item(2, text="b")])
    assert Item.objects.get(remote_id="r2").extra == {}
