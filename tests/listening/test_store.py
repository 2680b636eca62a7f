"""Rules on stored items: applied at ingest, recomputed after a change (turning a rule off
brings its items back), the preview's count equal to what the saved rule does, routes to a
column, allow-list columns, notices, export/import, and one person's rules never touching
another's items."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.utils import timezone

from hubbub.listening import apply, effects, services
from hubbub.listening.conditions import Invalid, spec_from
from hubbub.listening.models import ColumnEntry, ItemMark, Notice, Rule
from hubbub.timeline.ingest import ingest
from hubbub.timeline.models import Column, Feed, Item
from hubbub.timeline.selectors import column_page, ensure_feed
from tests.timeline.conftest import make_column, make_connection, net_item

pytestmark = pytest.mark.django_db


def now_item(n: int, text: str, **extra: Any) -> Any:
    return net_item(n, at=timezone.now() - timedelta(minutes=n), text=text,
                    html=f"<p>{text}</p>", **extra)


def words_rule(*words: str, action: dict[str, Any] | None = None) -> Any:
    return spec_from({"conditions": [{"kind": "words", "values": list(words)}],
                      "actions": [action or {"kind": "hide"}]})


def texts(items: list[Item]) -> list[str]:
    return [i.text for i in items]


def test_rule_hides_new_items_at_ingest_and_stored_ones_after_recompute(
        alice: User, feed: Feed) -> None:
    column = make_column(alice, [feed])
    ingest(feed, [now_item(1, "football tonight"), now_item(2, "a quiet day")])
    preview = apply.preview(alice.pk, words_rule("Football"), days=30)
    assert preview.matched == 1
    assert preview.hides
    rule = services.save_rule(alice, words_rule("Football"), name="no sport", expires_at=None)
    assert texts(column_page(column)) == ["football tonight", "a quiet day"]  # not yet applied
    apply.recompute(alice.pk)
    assert texts(column_page(column)) == ["a quiet day"]
    hidden = ItemMark.objects.filter(hidden_until__gt=timezone.now()).count()
    assert hidden == preview.matched
    # Arriving afterwards: hidden as it is stored.
    ingest(feed, [now_item(0, "FOOTBALL again")])
    assert texts(column_page(column)) == ["a quiet day"]
    # Paused: everything is back; the items were never deleted.
    services.set_paused(rule, True)
    apply.recompute(alice.pk)
    assert texts(column_page(column)) == ["FOOTBALL again", "football tonight", "a quiet day"]
    services.set_paused(rule, False)
    apply.recompute(alice.pk)
    services.delete_rule(Rule.objects.get(pk=rule.pk))
    apply.recompute(alice.pk)
    assert len(column_page(column)) == 3
    assert not ItemMark.objects.exists()


def test_priority_read_notify_and_send_to_column(alice: User, feed: Feed) -> None:
    home = make_column(alice, [feed], title="home")
    other = ensure_feed(make_connection(alice), "home")
    elsewhere = make_column(alice, [other], title="elsewhere")
    services.save_rule(alice, spec_from({
        "conditions": [{"kind": "author", "values": ["@ann@x.example"]}],
        "actions": [{"kind": "priority"}, {"kind": "notify"}, {"kind": "mark_read"},
                    {"kind": "send_to", "column": elsewhere.pk}]}), name="", expires_at=None)
    ingest(feed, [now_item(1, "hello")])
    (item,) = column_page(home)
    assert item.rule_priority  # type: ignore[attr-defined]
    assert item.rule_read  # type: ignore[attr-defined]
    assert texts(column_page(elsewhere)) == ["hello"]
    assert Notice.objects.filter(user=alice, item=item).count() == 1


def test_notify_notices_an_arriving_item_once_and_never_the_backlog(alice: User,
                                                                    feed: Feed) -> None:
    """A notify rule notices an item when it is first stored and written lately: not again when
    a second feed (mentions beside home) reads it, not when it enters a column added later,
    and not for an old post a feed reads for the first time (issue 12 walkthrough #4)."""
    services.save_rule(alice, spec_from({
        "conditions": [{"kind": "author", "values": ["@ann@x.example"]}],
        "actions": [{"kind": "priority"}, {"kind": "notify"}]}), name="Ann", expires_at=None)
    mentions = ensure_feed(feed.connection, "mentions")
    ingest(feed, [now_item(1, "hello")])
    ingest(mentions, [now_item(1, "hello")])  # the same post, read by the mentions feed
    later = ensure_feed(feed.connection, "hashtag:hello")
    ingest(later, [now_item(1, "hello")])
    old = net_item(7, at=timezone.now() - timedelta(days=9), text="old", html="<p>old</p>")
    ingest(mentions, [old])
    noticed = list(Notice.objects.filter(user=alice).values_list("item__remote_id", flat=True))
    assert noticed == [now_item(1, "hello").remote_id]
    assert ItemMark.objects.filter(priority=True).count() == 2  # both still marked priority


def test_allow_list_column_shows_only_the_listed(alice: User, feed: Feed) -> None:
    column = make_column(alice, [feed])
    ingest(feed, [now_item(1, "from ann")])
    other = net_item(9, text="from bob", html="<p>from bob</p>")
    other = type(other)(**{**other.__dict__, "author_handle": "@bob@x.example",
                           "remote_id": "bob9", "created_at": timezone.now()})
    ingest(feed, [other])
    services.set_allow_list(column, ["@BOB@x.example"])
    apply.recompute(alice.pk)
    column.refresh_from_db()
    assert texts(column_page(column)) == ["from bob"]
    ingest(feed, [type(other)(**{**other.__dict__, "remote_id": "bob10", "text": "bob again"})])
    assert texts(column_page(column)) == ["bob again", "from bob"]
    services.set_allow_list(column, [])
    column.refresh_from_db()
    assert len(column_page(column)) == 3


def test_one_persons_rules_never_touch_anothers_items(alice: User, bob: User,
                                                      feed: Feed) -> None:
    bobs_feed = ensure_feed(make_connection(bob), "home")
    bobs_column = make_column(bob, [bobs_feed])
    ingest(bobs_feed, [now_item(1, "football")])
    services.save_rule(alice, words_rule("football"), name="", expires_at=None)
    apply.recompute(alice.pk)
    ingest(bobs_feed, [now_item(2, "football too")])
    assert len(column_page(bobs_column)) == 2
    with pytest.raises(Invalid):
        services.save_rule(alice, spec_from({
            "conditions": [{"kind": "words", "values": ["x"]}],
            "actions": [{"kind": "send_to", "column": bobs_column.pk}]}),
            name="", expires_at=None)


def test_export_and_import(alice: User, bob: User) -> None:
    services.save_rule(alice, words_rule("café", "breaking news"), name="quiet",
                       expires_at=None)
    exported = services.export(alice)
    assert json.loads(exported)["hubbub_rules"] == 1
    assert services.import_rules(bob, exported.encode()) == 1
    assert Rule.objects.get(user=bob).conditions == Rule.objects.get(user=alice).conditions
    for bad in (b"\xff\xfe", b"[]", b'{"hubbub_rules": 2, "rules": []}',
                b'{"hubbub_rules": 1, "rules": [{"conditions": [], "actions": []}]}',
                b'{"hubbub_rules": 1, "rules": [' + exported.encode() + b"]}"):
        with pytest.raises(Invalid):
            services.import_rules(bob, bad)
    assert Rule.objects.filter(user=bob).count() == 1  # nothing changed


FULL_WIDTH = "\uff43\uff4f\uff46\uff46\uff45\uff45 in full width"  # "coffee", compatibility form


def test_preview_finds_words_wherever_the_rule_does(alice: User, feed: Feed) -> None:
    """The preview's first cut in the database (ASCII substrings, anything non-ASCII) lets
    through every item the rule then hides: case, accents, alt text, card, warning."""
    ingest(feed, [
        now_item(1, "COFFEE time"),
        now_item(2, "un café noir"),
        now_item(3, "a picture", media=[{"type": "image", "url": "https://x.example/p.png",
                                         "description": "my Coffee cup"}]),
        now_item(4, "a link", card={"url": "https://x.example/c", "title": "Coffeé news"}),
        now_item(5, "warned", content_warning="coffee"),
        now_item(6, "coffeeshop is not the word"),
        now_item(7, FULL_WIDTH),
        now_item(8, "tea only"),
    ])
    rule = words_rule("Coffee", "café")
    preview = apply.preview(alice.pk, rule, days=30)
    services.save_rule(alice, rule, name="", expires_at=None)
    apply.recompute(alice.pk)
    hidden = set(Item.objects.filter(listening_mark__hidden_until__gt=timezone.now())
                 .values_list("text", flat=True))
    assert hidden == {"COFFEE time", "un café noir", "a picture", "a link", "warned",
                      FULL_WIDTH}
    assert preview.matched == len(hidden)


def test_a_column_deleted_since_the_rules_were_compiled_takes_nothing(
        alice: User, feed: Feed) -> None:
    """The entries' INSERT tests the column itself (no query of its own): a rule sending to a
    column deleted after the rules were compiled neither fails ingest nor writes an entry."""
    home = make_column(alice, [feed], title="home")
    gone = make_column(alice, [ensure_feed(make_connection(alice), "home")], title="gone")
    services.save_rule(alice, words_rule("tea", action={"kind": "send_to", "column": gone.pk}),
                       name="", expires_at=None)
    ingest(feed, [now_item(2, "tea first")])
    assert ColumnEntry.objects.filter(column=gone).count() == 1
    Column.objects.filter(pk=gone.pk).delete()  # no new version: the compiled rules stay
    ingest(feed, [now_item(1, "tea again")])
    assert not ColumnEntry.objects.exists()
    assert texts(column_page(home)) == ["tea again", "tea first"]
    assert ItemMark.objects.count() == 2


def test_rules_kept_past_the_cache_time_while_columns_and_rules_stand(
        alice: User, feed: Feed, monkeypatch: pytest.MonkeyPatch) -> None:
    """Past CACHE_SECONDS the compiled rules are checked (the columns' feeds, a rule's end)
    rather than compiled again; a change of either compiles them again."""
    column = make_column(alice, [feed])
    services.save_rule(alice, words_rule("tea"), name="", expires_at=None)
    services.save_rule(alice, words_rule("cake"), name="",
                       expires_at=timezone.now() + timedelta(hours=1))
    loads = []
    real_load = effects.load
    monkeypatch.setattr(effects, "load", lambda *a: loads.append(a) or real_load(*a))
    monkeypatch.setattr(effects, "CACHE_SECONDS", 0.0)
    ingest(feed, [now_item(5, "tea and cake")])
    assert len(loads) == 1
    ingest(feed, [now_item(4, "more tea")])
    assert len(loads) == 1  # columns the same, no rule ended: kept
    column.feeds.add(ensure_feed(make_connection(alice), "home"))
    ingest(feed, [now_item(3, "tea")])
    assert len(loads) == 2
    later = timezone.now() + timedelta(hours=2)
    monkeypatch.setattr(effects.timezone, "now", lambda: later)
    ingest(feed, [now_item(2, "cake only")])
    assert len(loads) == 3  # the cake rule ended: compiled without it
    assert not ItemMark.objects.filter(item__text="cake only").exists()
