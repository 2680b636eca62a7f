"""The preview's first cut in the database (listening/words_index.py): items' words and authors
kept at ingest and by the recompute, a LIKE over them, and the exact check in Python after.
The preview's count must stay what the saved rule then does: case, accents, phrases, words in
the content warning, alt text and link card, authors by handle and by DID, items stored before
any rule (no row: checked in Python) and items changed while their owner had no rules."""

from __future__ import annotations

import dataclasses
import threading
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.db import connection
from django.utils import timezone

from hubbub.listening import apply, effects, matcher, services
from hubbub.listening.conditions import spec_from
from hubbub.listening.models import ItemWords, Rule
from hubbub.timeline.ingest import ingest
from hubbub.timeline.models import Feed, Item
from hubbub.timeline.selectors import ensure_feed
from tests.listening.test_store import now_item, words_rule
from tests.timeline.conftest import make_column
from tests.waiting import came, until

pytestmark = pytest.mark.django_db

FULL_WIDTH = "\uff43\uff4f\uff46\uff46\uff45\uff45 in full width"  # "coffee", compatibility form
WORDS_ITEMS: list[tuple[int, str, dict[str, Any]]] = [
    (1, "COFFEE time", {}),
    (2, "un café noir", {}),
    (3, "a picture", {"media": [{"type": "image", "url": "https://x.example/p.png",
                                 "description": "my Coffee cup"}]}),
    (4, "a link", {"card": {"url": "https://x.example/c", "title": "Coffeé news"}}),
    (5, "warned", {"content_warning": "coffee"}),
    (6, "coffeeshop is not the word", {}),
    (7, FULL_WIDTH, {}),
    (8, "tea only", {}),
    (9, "Crème  Brûlée, tonight!", {}),
    (10, "brûlée crème the other way", {}),
    (11, "snake_case here", {}),
    (12, "snakeXcase is not it", {}),
    (13, "a card", {"card": {"url": "https://x.example/d", "title": "",
                             "description": "CRÈME brulee recipe"}}),
]


def applied(user: User, spec: Any) -> set[str]:
    """The texts the rule, saved alone, hides once applied to what is stored."""
    Rule.objects.filter(user=user).delete()
    services.save_rule(user, spec, name="", expires_at=None)
    apply.recompute(user.pk)
    return set(Item.objects.filter(listening_mark__hidden_until__gt=timezone.now())
               .values_list("text", flat=True))


def some_rule(user: User) -> None:
    """A rule that matches none of the items: the person has rules, so ingest keeps words."""
    services.save_rule(user, words_rule("zzzunused"), name="", expires_at=None)
    apply.recompute(user.pk)


@pytest.mark.parametrize("values", [
    ("Coffee", "café"), ("crème brûlée",), ("snake_case",), ("nothing-here",),
])
def test_the_preview_by_the_index_counts_what_the_rule_hides(
        alice: User, feed: Feed, values: tuple[str, ...]) -> None:
    some_rule(alice)
    ingest(feed, [now_item(n, text, **extra) for n, text, extra in WORDS_ITEMS])
    assert ItemWords.objects.filter(item__connection__user=alice).count() == len(WORDS_ITEMS)
    rule = words_rule(*values)
    preview = apply.preview(alice.pk, rule, days=30)
    hidden = applied(alice, rule)
    assert preview.matched == len(hidden)
    expected = {
        ("Coffee", "café"): {"COFFEE time", "un café noir", "a picture", "a link", "warned",
                             FULL_WIDTH},
        ("crème brûlée",): {"Crème  Brûlée, tonight!", "a card"},
        ("snake_case",): {"snake_case here"},
        ("nothing-here",): set(),
    }[values]
    assert hidden == expected
    # After the recompute every item has its row: the same count again.
    assert apply.preview(alice.pk, rule, days=30).matched == len(expected)


def test_items_stored_before_any_rule_are_checked_without_the_index(
        alice: User, feed: Feed) -> None:
    ingest(feed, [now_item(n, text, **extra) for n, text, extra in WORDS_ITEMS])
    assert not ItemWords.objects.exists()  # no rules: ingest keeps nothing
    preview = apply.preview(alice.pk, words_rule("coffee"), days=30)
    assert preview.matched == 5
    assert len(applied(alice, words_rule("coffee"))) == 5
    assert ItemWords.objects.count() == len(WORDS_ITEMS)  # the recompute wrote them


def test_an_item_changed_while_there_are_no_rules_is_read_again(alice: User, feed: Feed) -> None:
    some_rule(alice)
    ingest(feed, [now_item(1, "tea only")])
    assert ItemWords.objects.get().words == " tea only "
    Rule.objects.filter(user=alice).delete()
    services.bump(alice.pk)
    apply.recompute(alice.pk)
    ingest(feed, [now_item(1, "now coffee")])  # edited: same item, new text
    assert not ItemWords.objects.exists()  # its stale words are gone
    assert apply.preview(alice.pk, words_rule("coffee"), days=30).matched == 1
    # Edited again while a rule exists: the row follows the text.
    some_rule(alice)
    ingest(feed, [now_item(1, "now tea again")])
    assert ItemWords.objects.get().words == " now tea again "
    assert apply.preview(alice.pk, words_rule("coffee"), days=30).matched == 0


def test_author_rules_are_cut_by_handle_and_by_did(alice: User, feed: Feed) -> None:
    some_rule(alice)
    base = [now_item(n, f"post {n}") for n in range(1, 6)]
    items = [
        dataclasses.replace(base[0], author_handle="@Ana@Social.Example"),
        dataclasses.replace(base[1], author_handle="ana@social.example"),
        dataclasses.replace(base[2], author_handle="@anabel@social.example"),
        dataclasses.replace(base[3], author_handle="@new.handle.bsky.example",
                            remote_id="at://did:plc:abc123/app.bsky.feed.post/1"),
        dataclasses.replace(base[4], author_handle="@other@x.example"),
    ]
    ingest(feed, items)
    rule = spec_from({"conditions": [{"kind": "author",
                                      "values": ["@ana@social.example", "did:plc:abc123"]}],
                      "actions": [{"kind": "hide"}]})
    preview = apply.preview(alice.pk, rule, days=30)
    assert preview.matched == 3
    assert applied(alice, rule) == {"post 1", "post 2", "post 4"}
    not_ana = spec_from({"conditions": [{"kind": "author", "values": ["ana@social.example"],
                                         "negate": True}], "actions": [{"kind": "hide"}]})
    assert apply.preview(alice.pk, not_ana, days=30).matched == 3  # no cut for "not"


@pytest.mark.parametrize(("action", "expected"), [
    ({"kind": "priority"}, 5),  # matches, hides nothing: counted as matched
    ({"kind": "hide_until", "until": "2020-01-01T00:00:00+00:00"}, 0),  # hides nothing now
    ({"kind": "hide_until", "until": "2999-01-01T00:00:00+00:00"}, 5),
])
def test_the_exact_cut_counts_as_the_rule_acts(alice: User, feed: Feed,
                                               action: dict[str, Any], expected: int) -> None:
    """A rule of words alone is counted by the database (its test is the rule's): what it does
    decides the count as in the Python check, and the examples are the newest matches."""
    some_rule(alice)
    ingest(feed, [now_item(n, text, **extra) for n, text, extra in WORDS_ITEMS])
    preview = apply.preview(alice.pk, words_rule("coffee", action=action), days=30)
    assert preview.matched == expected
    newest = list(Item.objects.filter(text__in=["COFFEE time", "a picture", "a link", "warned",
                                                FULL_WIDTH]).order_by("-created_at")
                  .values_list("pk", flat=True))
    assert preview.examples == (newest if expected else [])


@pytest.mark.parametrize("how", ["changed", "into another feed"])
def test_a_changed_handle_is_cut_by_the_handle_stored(alice: User, feed: Feed, how: str) -> None:
    """ingest keeps an item's first handle (timeline/ingest.py MUTABLE): a re-read under a new
    handle (a Bluesky handle change) must not put the new one in the item's row, or the cut
    drops an item the rule, reading the store, hides."""
    some_rule(alice)
    first = dataclasses.replace(now_item(1, "hello", author_url="https://bsky.example/old"),
                                author_handle="@old.bsky.example")
    ingest(feed, [first])
    rule = spec_from({"conditions": [{"kind": "author", "values": ["@old.bsky.example"]}],
                      "actions": [{"kind": "hide"}]})
    assert applied(alice, rule) == {"hello"}
    again = dataclasses.replace(first, author_handle="@new.bsky.example")
    if how == "changed":  # the same feed, its digest changed: a rewrite of the item
        ingest(feed, [dataclasses.replace(again, extra={"author_url": "https://bsky.example/new"})])
    else:  # the same content first read into another feed: a new entry of a known item
        ingest(ensure_feed(feed.connection, "notifications"), [again])
    assert Item.objects.get().author_handle == "@old.bsky.example"
    assert apply.preview(alice.pk, rule, days=30).matched == 1
    assert ItemWords.objects.get().authors == " old.bsky.example "
    assert applied(alice, rule) == {"hello"}


def test_a_recompute_racing_an_edit_leaves_no_stale_words(
        alice: User, feed: Feed, monkeypatch: pytest.MonkeyPatch) -> None:
    """The recompute reads a chunk, matches it and writes its rows: an edit ingested in between
    writes the new row, which the recompute then overwrites with the words it read. Such a row
    is no longer the stored item's: the preview checks the item in Python."""
    some_rule(alice)
    ingest(feed, [now_item(1, "tea only")])
    edited = False
    real_doc_of = matcher.doc_of

    def doc_of_with_an_edit(row: Any, *args: Any, **kwargs: Any) -> Any:
        nonlocal edited
        if not edited and row.get("text") == "tea only":
            edited = True  # the edit lands after the recompute read the chunk
            ingest(feed, [now_item(1, "now coffee")])
        return real_doc_of(row, *args, **kwargs)

    monkeypatch.setattr(apply, "doc_of", doc_of_with_an_edit)
    services.bump(alice.pk)
    apply.recompute(alice.pk)
    monkeypatch.undo()
    assert edited
    assert Item.objects.get().text == "now coffee"
    assert apply.preview(alice.pk, words_rule("coffee"), days=30).matched == 1
    assert applied(alice, words_rule("coffee")) == {"now coffee"}


def test_a_recompute_racing_an_edit_leaves_the_edit_s_effect(
        alice: User, feed: Feed, monkeypatch: pytest.MonkeyPatch) -> None:
    """The same race, seen on the rule's effect: the edit's ingest hides the item, and the
    recompute's write of what it matched on the old text must not bring it back."""
    rule = words_rule("coffee")
    services.save_rule(alice, rule, name="", expires_at=None)
    apply.recompute(alice.pk)
    ingest(feed, [now_item(1, "tea only")])
    edited = False
    real_doc_of = matcher.doc_of

    def doc_of_with_an_edit(row: Any, *args: Any, **kwargs: Any) -> Any:
        nonlocal edited
        if not edited and row.get("text") == "tea only":
            edited = True
            ingest(feed, [now_item(1, "now coffee")])
        return real_doc_of(row, *args, **kwargs)

    monkeypatch.setattr(apply, "doc_of", doc_of_with_an_edit)
    services.bump(alice.pk)
    apply.recompute(alice.pk)
    monkeypatch.undo()
    assert edited
    hidden = set(Item.objects.filter(listening_mark__hidden_until__gt=timezone.now())
                 .values_list("text", flat=True))
    assert hidden == {"now coffee"}
    assert apply.preview(alice.pk, rule, days=30).matched == len(hidden)
    assert ItemWords.objects.get().words == " now coffee "


@pytest.mark.postgresql(reason="SQLite's writers take turns by themselves")
@pytest.mark.django_db(transaction=True)
def test_the_recompute_s_write_waits_for_an_ingest_under_way(
        alice: User, feed: Feed, monkeypatch: pytest.MonkeyPatch) -> None:
    """On PostgreSQL an ingest and the recompute are two transactions at once: an edit whose
    ingest has matched and written, not yet committed, when the recompute writes its chunk.
    The recompute waits for its turn and then reads the edit, instead of waiting on the rows'
    locks and writing what it matched on the old text after the edit's commit. (SQLite's
    writers never overlap.)"""
    rule = words_rule("coffee")
    services.save_rule(alice, rule, name="", expires_at=None)
    apply.recompute(alice.pk)
    ingest(feed, [now_item(1, "coffee time")])
    assert Item.objects.filter(listening_mark__hidden_until__gt=timezone.now()).count() == 1
    written = threading.Event()
    go = threading.Event()
    failures: list[BaseException] = []

    def edit() -> None:  # its own connection: the edit's ingest, held before its commit
        try:
            ingest(feed, [now_item(1, "tea now")])
        except BaseException as error:  # reported by the test's thread
            failures.append(error)
        finally:
            connection.close()

    editor = threading.Thread(target=edit)
    real_write = effects.write

    def held_write(*args: Any, **kwargs: Any) -> None:
        real_write(*args, **kwargs)
        if threading.current_thread() is editor:
            written.set()
            came(go.is_set)

    def blocked() -> bool:  # the recompute waits on a lock the editor holds
        with connection.cursor() as cursor:
            cursor.execute("SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = "
                           "'Lock' AND datname = current_database()")
            return bool(cursor.fetchone()[0])

    def watch() -> None:
        try:
            came(blocked)
        finally:
            go.set()
            connection.close()

    real_doc_of = matcher.doc_of

    def doc_of_with_an_edit(row: Any, *args: Any, **kwargs: Any) -> Any:
        if row.get("text") == "coffee time" and not editor.is_alive() and not written.is_set():
            editor.start()
            until(written.is_set, "the edit's ingest to write its outcome")
            threading.Thread(target=watch).start()
        return real_doc_of(row, *args, **kwargs)

    monkeypatch.setattr(effects, "write", held_write)
    monkeypatch.setattr(apply, "doc_of", doc_of_with_an_edit)
    services.bump(alice.pk)
    apply.recompute(alice.pk)
    monkeypatch.undo()
    go.set()
    editor.join()
    assert not failures
    assert Item.objects.get().text == "tea now"
    assert not Item.objects.filter(listening_mark__hidden_until__gt=timezone.now()).exists()
    assert ItemWords.objects.get().words == " tea now "
    assert apply.preview(alice.pk, rule, days=30).matched == 0


def test_a_recompute_racing_a_new_feed_of_an_item_keeps_its_effect(
        alice: User, feed: Feed, monkeypatch: pytest.MonkeyPatch) -> None:
    """A known item read into another feed while the recompute works: the recompute read its
    feeds before, and must not undo what ingest made of the item in its new feed."""
    other = ensure_feed(feed.connection, "notifications")
    column = make_column(alice, [other])
    rule = spec_from({"conditions": [{"kind": "column", "values": [column.pk]}],
                      "actions": [{"kind": "hide"}]})
    services.save_rule(alice, rule, name="", expires_at=None)
    apply.recompute(alice.pk)
    item = now_item(1, "hello")
    ingest(feed, [item])
    moved = False
    real_doc_of = matcher.doc_of

    def doc_of_with_a_new_feed(row: Any, *args: Any, **kwargs: Any) -> Any:
        nonlocal moved
        if not moved and row.get("text") == "hello":
            moved = True
            ingest(other, [item])
        return real_doc_of(row, *args, **kwargs)

    monkeypatch.setattr(apply, "doc_of", doc_of_with_a_new_feed)
    services.bump(alice.pk)
    apply.recompute(alice.pk)
    monkeypatch.undo()
    assert moved
    assert Item.objects.filter(listening_mark__hidden_until__gt=timezone.now()).count() == 1
    assert apply.preview(alice.pk, rule, days=30).matched == 1
