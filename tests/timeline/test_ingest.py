"""ingest(): normalize, sanitize, dedupe on (connection, remote id), upsert, feed entries,
live events."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.utils import timezone

from hubbub.timeline import live
from hubbub.timeline.ingest import ingest, normalize
from hubbub.timeline.models import Feed, FeedEntry, Item
from hubbub.timeline.selectors import ensure_feed
from tests.timeline.conftest import make_connection, net_item


@pytest.fixture
def events(monkeypatch: pytest.MonkeyPatch) -> list[live.LiveEvent]:
    published: list[live.LiveEvent] = []
    monkeypatch.setattr(live, "publish", published.append)
    return published


pytestmark = pytest.mark.django_db(transaction=True)


def test_new_items_are_stored_sanitized_with_entries(feed: Feed,
                                                      events: list[live.LiveEvent]) -> None:
    hostile = net_item(1, html="<p onclick=x>hi<script>alert(1)</script></p>",
                       content_warning="spoiler\u202e", sensitive=True,
                       media=[{"type": "image", "url": "javascript:alert(1)",
                               "preview_url": "https://x.example/p.png", "description": "alt"},
                              {"type": "<svg>", "url": "https://x.example/m.png"}],
                       card={"uri": "https://x.example/l", "title": "T", "thumb": "data:x"},
                       counts={"like": 3}, visibility="public", feed="home", liked=True)
    result = ingest(feed, [hostile, net_item(2)])
    assert len(result.new_item_ids) == 2
    assert result.entry_item_ids == result.item_ids
    item = Item.objects.get(remote_id="r1")
    assert item.html == "<p>hi</p>"
    assert item.content_warning == "spoiler"
    assert item.sensitive
    assert item.liked
    assert not item.reposted
    assert item.media == [
        {"type": "image", "url": "", "preview_url": "https://x.example/p.png",
         "description": "alt"},
        {"type": "unknown", "url": "https://x.example/m.png", "preview_url": "",
         "description": ""},
    ]
    assert item.card == {"url": "https://x.example/l", "title": "T", "description": "",
                         "image": ""}
    assert item.extra == {"counts": {"like": 3}, "visibility": "public"}
    assert item.network == "scripted"
    entry = FeedEntry.objects.get(feed=feed, item=item)
    assert entry.created_at == item.created_at
    assert [(e.kind, e.feed_ids, set(e.item_ids)) for e in events] == [
        ("items", (feed.pk,), set(result.item_ids))]
    assert events[0].user_id == feed.connection.user_id


def test_same_batch_twice_writes_nothing_and_says_nothing(feed: Feed,
                                                          events: list[live.LiveEvent]) -> None:
    batch = [net_item(n) for n in range(5)]
    first = ingest(feed, batch)
    events.clear()
    again = ingest(feed, batch)
    assert again.item_ids == first.item_ids
    assert again.new_item_ids == again.updated_item_ids == again.entry_item_ids == ()
    assert again.known_in_feed == 5
    assert Item.objects.count() == 5
    assert FeedEntry.objects.count() == 5
    assert events == []


def test_changed_items_are_updated_not_duplicated(feed: Feed,
                                                  events: list[live.LiveEvent]) -> None:
    ingest(feed, [net_item(1, counts={"like": 1}), net_item(2)])
    events.clear()
    before = Item.objects.get(remote_id="r1")
    edited = net_item(1, html="<p>edited</p>", text="edited", counts={"like": 9}, liked=True,
                      kind="mention", at=before.created_at + timedelta(days=1))
    result = ingest(feed, [edited, net_item(2)])
    assert result.updated_item_ids == (before.pk,)
    assert result.new_item_ids == ()
    after = Item.objects.get(remote_id="r1")
    assert after.pk == before.pk
    assert (after.html, after.text, after.extra["counts"], after.liked) == (
        "<p>edited</p>", "edited", {"like": 9}, True)
    # What identifies the item and orders the column stays as first read.
    assert after.kind == "post"
    assert after.created_at == before.created_at
    assert after.ingested_at == before.ingested_at
    assert [(e.kind, e.item_ids) for e in events] == [("updated", (before.pk,))]


def test_flags_the_network_does_not_report_are_kept(feed: Feed) -> None:
    ingest(feed, [net_item(1)])
    Item.objects.filter(remote_id="r1").update(liked=True, bookmarked=True)
    result = ingest(feed, [net_item(1)])  # no liked/bookmarked keys: unknown, not false
    assert result.updated_item_ids == ()
    item = Item.objects.get(remote_id="r1")
    assert item.liked
    assert item.bookmarked
    ingest(feed, [net_item(1, liked=False, my_repost="at://x/repost/1")])
    item.refresh_from_db()
    assert not item.liked
    assert item.reposted
    assert item.bookmarked


def test_same_post_from_two_feeds_is_one_item_in_both(alice: User,
                                                      events: list[live.LiveEvent]) -> None:
    connection = make_connection(alice)
    home, mentions = ensure_feed(connection, "home"), ensure_feed(connection, "mentions")
    ingest(home, [net_item(1)])
    events.clear()
    result = ingest(mentions, [net_item(1, kind="mention", notification_id="n1")])
    assert result.new_item_ids == ()
    assert len(result.entry_item_ids) == 1
    assert Item.objects.count() == 1
    assert FeedEntry.objects.filter(item__remote_id="r1").count() == 2
    # The notification id is feed-specific: it changes nothing, and re-reading home keeps it.
    assert result.updated_item_ids == ()
    ingest(home, [net_item(1, text="edited")])
    assert Item.objects.get().extra.get("notification_id") is None  # never stored: no change
    ingest(mentions, [net_item(1, text="edited again", notification_id="n1")])
    ingest(home, [net_item(1, text="edited a third time")])
    assert Item.objects.get().extra["notification_id"] == "n1"
    assert [e.kind for e in events] == ["items", "updated", "updated", "updated"]


def test_same_remote_id_on_two_connections_is_two_items(alice: User, bob: User) -> None:
    mine = ensure_feed(make_connection(alice), "home")
    theirs = ensure_feed(make_connection(bob), "home")
    ingest(mine, [net_item(1)])
    ingest(theirs, [net_item(1)])
    assert Item.objects.filter(remote_id="r1").count() == 2
    assert FeedEntry.objects.filter(feed=mine).count() == 1


def test_unusable_items_are_skipped(feed: Feed) -> None:
    good = net_item(1)
    result = ingest(feed, [replace(good, remote_id=""), replace(good, remote_id="x" * 501),
                           replace(good, remote_id="a\x00b"), good, good])
    assert result.skipped == 3
    assert len(result.item_ids) == 1
    assert ingest(feed, []).item_ids == ()


def test_times_are_aware_and_the_future_is_now() -> None:
    naive = normalize(net_item(1, at=datetime(2026, 1, 1, 12, 0)))
    assert naive is not None
    assert naive["created_at"] == datetime(2026, 1, 1, 12, 0, tzinfo=UTC)
    now = timezone.now()
    future = normalize(net_item(1, at=now + timedelta(days=3650)), now=now)
    assert future is not None
    assert future["created_at"] == now


def test_text_only_networks_get_html_from_text() -> None:
    row = normalize(net_item(1, html="", text="hi <b> https://x.example/a"))
    assert row is not None
    assert row["html"].startswith("<p>hi &lt;b&gt; <a href=\"https://x.example/a\"")


def test_huge_or_odd_extra_is_bounded() -> None:
    class Odd:
        def __str__(self) -> str:
            return "odd"

    details: dict[str, Any] = {"blob": ["x" * 1000] * 100, "small": "kept", "odd": Odd(),
                               "nested": {"a": {"b": {"c": {"d": {"e": {"f": {"g": 1}}}}}}}}
    row = normalize(net_item(1, **details))
    assert row is not None
    assert row["extra"] == {"small": "kept", "odd": "odd"}
    assert len(row["extra_json"]) < 100


def test_big_batches_are_chunked(feed: Feed) -> None:
    batch = [net_item(n) for n in range(1200)]
    result = ingest(feed, batch)
    assert len(result.new_item_ids) == 1200 == FeedEntry.objects.filter(feed=feed).count()
    again = ingest(feed, batch)
    assert again.known_in_feed == 1200
    assert again.entry_item_ids == ()


def test_no_event_when_the_transaction_rolls_back(feed: Feed,
                                                  events: list[live.LiveEvent]) -> None:
    from django.db import transaction

    def fail_after_ingest() -> None:
        with transaction.atomic():
            ingest(feed, [net_item(1)])
            raise RuntimeError("the caller failed")

    with pytest.raises(RuntimeError):
        fail_after_ingest()
    assert events == []
    assert Item.objects.count() == 0


S = "\ud800"  # a lone surrogate: what JSON's "\ud800" escape decodes to; UTF-8 cannot hold it


def test_lone_surrogates_anywhere_do_not_stop_a_batch(feed: Feed) -> None:
    """A server can send "\\ud800" in any JSON string. Stored text must be valid UTF-8
    (SQLite and PostgreSQL refuse the rest), and one such item must not make the poll fail
    for the feed forever: it is stored with the character replaced, beside its neighbours."""
    poisoned = net_item(
        1, html=f"<p>caf{S} <a href=\"https://x.example/{S}\">link{S}</a></p>",
        text=f"caf{S}", content_warning=f"cw{S}",
        media=[{"type": "image", "url": f"https://x.example/{S}.png",
                "preview_url": "https://x.example/p.png", "description": f"alt{S}"}],
        card={"url": f"https://x.example/{S}", "title": f"t{S}", "description": f"d{S}"},
        reposted_by=f"@b{S}@x.example", **{f"key{S}": f"value{S}", "nested": {f"k{S}": [S]}},
    )
    poisoned = replace(poisoned, author_name=f"Ann{S}", url=f"https://x.example/@ann/{S}")
    result = ingest(feed, [net_item(0), poisoned, net_item(2)])
    assert result.new_in_feed == 3
    stored = Item.objects.get(remote_id="r1")
    for value in (stored.html, stored.text, stored.content_warning, stored.author_name,
                  stored.url, str(stored.media), str(stored.card), str(stored.extra)):
        value.encode("utf-8")  # raises on a surrogate left in
    assert "caf\ufffd" in stored.text
