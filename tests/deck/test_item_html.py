"""A column's items are written in Python (timeline/item_html.py, issue 13), and must be the very
markup timeline/_item.html writes (the item's own page, a post's replies and the inbox still use
the templates): every kind of item, hostile text in every field, rendered both ways, the same
text. Then the column's pages (fragment, whole page, the deck, "newer") are checked to use it."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.template.loader import get_template
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from hubbub.connections.models import Connection
from hubbub.timeline.item_html import item_html, items_html
from hubbub.timeline.models import Column, Deck, Feed, Item

from .conftest import make_column, make_items

EVIL = '<script>alert("x")</script> & \'quoted\' "double" <b>bold</b>'
NPUB = "npub1" + "q" * 58
AVATAR = "https://files.fake.example/avatars/a.png"


def _items() -> list[Item]:
    """Items of every shape the template has a branch for, hostile text in each field."""
    now = timezone.now()
    shapes: list[dict[str, Any]] = [
        {},
        {"html": "", "text": f"line one\nline two\r\n{EVIL}\n:blob: end"},
        {"html": '<p>Hi :blob: and <a href="https://x.example/?a=1&amp;b=2">x</a> :nope:</p>'},
        {"author_name": f"{EVIL} :blob:", "author_handle": NPUB},
        {"author_name": "", "author_handle": "@_under_score@fake.example", "author_avatar": ""},
        {"author_name": "", "author_handle": "", "author_avatar": "javascript:alert(1)"},
        {"author_url": "javascript:alert(1)", "url": "data:text/html,x"},
        {"author_url": 'https://fake.example/@a"onmouseover="x', "url": "https://f.example/?a<b"},
        {"reposted_by": "@carol@fake.example", "reposted_by_name": EVIL},
        {"reposted_by": EVIL, "reposted_by_name": ""},
        {"kind": "mention"},
        {"kind": "reply", "in_reply_to": "abc", "in_reply_to_handle": EVIL},
        {"kind": "reply", "in_reply_to": "abc", "in_reply_to_handle": ""},
        {"content_warning": EVIL},
        {"content_warning": "spoilers", "sensitive": True, "media": [
            {"type": "image", "url": "https://m.example/1.png", "description": EVIL},
            {"type": "video", "url": "https://m.example/2.mp4", "preview_url":
             "https://m.example/2.png", "description": ""},
            {"type": "gifv", "url": "javascript:x"},
            "not a dict",
            {"type": "image", "url": "https://m.example/3.png", "preview_url": "https://m.example/3s.png"},
            {"type": "image", "url": "https://m.example/4.png", "description": "four"},
            {"type": "image", "url": "https://m.example/5.png", "description": "five: cut"},
        ]},
        {"media": [{"type": "audio", "url": "https://m.example/a.mp3"}]},
        {"media": [{"url": "https://m.example/plain.png", "description": "x" * 2000}]},
        {"media": "not a list", "card": "not a dict", "quote": ["nor", "this"]},
        {"card": {"url": "https://news.example/a?b=1&c=2", "title": EVIL, "description": EVIL,
                  "image": "https://news.example/i.png"}},
        {"card": {"url": "https://news.example/", "title": "", "description": "", "image": ""}},
        {"card": {"url": "javascript:alert(1)", "title": "refused"}},
        {"quote": {"unavailable": EVIL, "url": "https://q.example/1"}},
        {"quote": {"unavailable": "deleted", "url": "javascript:x"}},
        {"quote": {"author_handle": NPUB, "author_name": "", "text": f"a\nb {EVIL}",
                   "url": "https://q.example/2"}},
        {"quote": {"author_handle": "@q@fake.example", "author_name": EVIL, "text": "",
                   "url": ""}},
        {"quote": {"text": "", "author_handle": ""}},
        {"extra": {"poll": {"options": [{"title": EVIL, "votes": 3}, {"title": "b", "votes": 1}],
                            "voters": 1, "multiple": True, "expired": True}}},
        {"extra": {"poll": {"options": [{"title": "a"}, {"title": "b", "votes": 2}, "x"],
                            "voters": -5}}},
        {"extra": {"poll": {"options": [{"title": "only", "votes": 0}], "voters": 2}}},
        {"extra": {"poll": {"options": []}}},
        {"extra": {"counts": {"reply": 2, "repost": 1500, "like": 2_300_000},
                   "emoji": {"blob": "https://e.example/blob.png", "evil": "javascript:x"}},
         "author_name": "Ana :blob: :evil:", "liked": True, "bookmarked": True},
        {"extra": "not a dict", "reposted": True},
        {"extra": {"visibility": "direct"}, "kind": "mention"},
        {"extra": {"visibility": "private"}},
        {"kind": "message", "extra": {"conversation": "c1"}},
        {"kind": "follow"},
        {"kind": "like", "text": EVIL, "extra": {"subject_text": "mine"}},
        {"kind": "repost", "text": "", "extra": {"subject_text": EVIL}},
        {"kind": "repost", "reposted_by": "@dan@fake.example"},
        {"created_at": now - timedelta(days=30)},
        {"created_at": now - timedelta(days=800)},
        {"created_at": (now - timedelta(seconds=5)).replace(microsecond=0)},
    ]
    made = []
    for n, shape in enumerate(shapes):
        values: dict[str, Any] = {
            "network": "fake", "kind": "post", "created_at": now - timedelta(minutes=n),
            "url": f"https://fake.example/@bob/{n}", "author_handle": "@bob@fake.example",
            "author_name": "Bob", "author_avatar": AVATAR, "author_url": "https://fake.example/@bob",
            "text": f"post {n}", "html": f"<p>post {n}</p>", "extra": {}, "media": [],
            **shape,
        }
        made.append(Item(pk=1000 + n, connection_id=1, remote_id=str(n), **values))
    return made


def _columns() -> list[Column | None]:
    now = timezone.now()
    return [
        None,
        Column(pk=7, title="Home", filters={"kind": "home"}, read_until=None),
        Column(pk=8, title="Mentions", filters={"kind": "mentions"},
               read_until=now - timedelta(minutes=10)),
        Column(pk=9, title="Odd", filters=["not", "a", "dict"], read_until=now),
    ]


@pytest.mark.parametrize("column", _columns(), ids=["none", "home", "mentions", "odd"])
def test_every_item_is_the_markup_of_the_template(db: None, column: Column | None) -> None:
    template = get_template("timeline/_item.html")
    for item, (priority, read) in zip(_items(), itertools.cycle(
            [(False, False), (True, False), (False, True), (True, True)]), strict=False):
        item.rule_priority, item.rule_read = priority, read  # type: ignore[attr-defined]
        expected = template.render({"item": item, "column": column})
        assert item_html(item, column) == expected, (item.pk, item.kind)


def test_an_item_without_the_rules_marks_is_the_same_too(db: None) -> None:
    template = get_template("timeline/_item.html")
    column = _columns()[2]
    for item in _items():
        assert item_html(item, column) == template.render({"item": item, "column": column})


def test_in_another_time_zone_the_times_are_the_same(db: None) -> None:
    template = get_template("timeline/_item.html")
    with timezone.override("Pacific/Chatham"):
        for item in _items():
            assert item_html(item, None) == template.render({"item": item, "column": None})


def test_hostile_text_is_escaped(db: None) -> None:
    html = items_html(_items(), _columns()[1])
    assert "<script>" not in html
    assert "javascript:" not in html
    assert 'onmouseover="x' not in html
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in html


@pytest.fixture
def deck(owner: User) -> Deck:
    return Deck.objects.create(user=owner, name="Main")


def test_the_column_pages_are_the_items_markup(client_in: Client, deck: Deck,
                                               connection: Connection) -> None:
    """The fragment, the page without JavaScript, the deck and the "new" items all hold the
    items as item_html writes them."""
    make_items(connection, "home", 5, text="hello <b>you</b>", html="",
               start=datetime(2026, 1, 2, 3, 4, 5, 678901, tzinfo=UTC))
    make_items(connection, "home", 1, kind="mention", content_warning="cw <i>",
               media=[{"type": "image", "url": "https://m.example/1.png"}], sensitive=True)
    column = make_column(deck, connection)
    column_url = reverse("timeline:column", args=[column.pk])
    pages = {
        "fragment": client_in.get(column_url, HTTP_HX_REQUEST="true"),
        "page": client_in.get(column_url),
        "deck": client_in.get(reverse("timeline:deck", args=[deck.pk])),
        "newer": client_in.get(reverse("timeline:column_newer", args=[column.pk])),
    }
    column.refresh_from_db()
    items = list(Item.objects.order_by("-created_at", "-pk"))
    for name, answer in pages.items():
        assert answer.status_code == 200, name
        html = answer.content.decode()
        shown = items[:4] if name == "deck" else items  # the deck opens with a first screen
        for item in shown:
            item.rule_priority = item.rule_read = False  # type: ignore[attr-defined]
            assert item_html(item, column) in html, (name, item.pk)
        assert "hello &lt;b&gt;you&lt;/b&gt;" in html


def test_a_column_page_reads_only_its_owners_feeds(client_in: Client, deck: Deck, owner: User,
                                                   other: User, connection: Connection) -> None:
    """The column's page reads its feeds once, with its items (selectors.column_feeds: the
    owner's only): a feed of someone else's named in the column's list (never written so) shows
    neither its items nor its error, in the page or the fragment."""
    from .conftest import make_connection

    make_items(connection, "home", 2, text="mine")
    theirs = make_connection(other, "@mallory@fake.example", remote_id="66")
    make_items(theirs, "home", 2, text="secret")
    column = make_column(deck, connection)
    foreign = theirs.feeds.get(key="home")
    foreign.last_error = "mallory's feed failed"
    foreign.save(update_fields=["last_error"])
    column.feeds.add(foreign)
    Feed.objects.update(exhausted=True)  # nothing older to ask the networks for
    url = reverse("timeline:column", args=[column.pk])
    for answer in (client_in.get(url), client_in.get(url, HTTP_HX_REQUEST="true")):
        html = answer.content.decode()
        assert answer.status_code == 200
        assert html.count("<article") == 2
        assert "mine 1" in html
        assert "secret" not in html
        assert "mallory" not in html


def test_an_item_whose_author_is_a_person_is_the_same_too(db: None) -> None:
    """`in_person` (conversation_views.mark_people) marks the article `data-in-person`, in both."""
    template = get_template("timeline/_item.html")
    column = _columns()[1]
    marked = 0
    for item in _items():
        item.in_person = True  # type: ignore[attr-defined]
        expected = template.render({"item": item, "column": column})
        marked += " data-in-person>" in expected
        assert item_html(item, column) == expected, (item.pk, item.kind)
    assert marked
