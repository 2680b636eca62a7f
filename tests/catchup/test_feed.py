"""The catch-up's private Atom feed: valid Atom 1.0 (parsed by feedparser, required elements
checked), the page's items in the page's order, sanitized HTML, conditional GETs (ETag,
Last-Modified, 304), and its token: made, rotated, revoked, another person's never showing
this person's items, every token that opens nothing answered alike."""

from __future__ import annotations

import re
from datetime import timedelta

import feedparser
import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.utils import timezone

from hubbub.catchup import tokens
from hubbub.catchup.models import CatchUpState
from hubbub.timeline.ingest import ingest
from hubbub.timeline.models import Feed
from hubbub.timeline.selectors import ensure_feed
from tests.catchup.test_page import _stock
from tests.timeline.conftest import make_column, make_connection, net_item

pytestmark = pytest.mark.django_db


def _make(web: Client) -> str:
    """Press "Make the feed's address" and read the address the page shows once."""
    answer = web.post("/catch-up/feed/make/")
    assert answer.status_code == 200
    found = re.search(r'value="(http://testserver/catch-up/feed/[^"]+\.atom)"',
                      answer.content.decode())
    assert found is not None
    return found.group(1).removeprefix("http://testserver")


@pytest.fixture
def web(client: Client, alice: User) -> Client:
    client.force_login(alice)
    return client


def test_feed_is_valid_atom_with_the_pages_items(web: Client, alice: User, feed: Feed) -> None:
    _stock(alice, feed)
    ingest(feed, [net_item(30, at=timezone.now() - timedelta(minutes=5), text="hostile",
                           html='<p>hi<script>alert(1)</script><img src=x onerror="alert(2)">'
                                '<a href="javascript:alert(3)">x</a></p>',
                           counts={"like": 1})])
    path = _make(web)
    reader = Client()  # a feed reader: no session
    answer = reader.get(path)
    assert answer.status_code == 200
    assert answer["Content-Type"] == "application/atom+xml; charset=utf-8"
    assert "private" in answer["Cache-Control"]
    parsed = feedparser.parse(answer.content)
    assert not parsed.bozo, parsed.get("bozo_exception")
    assert parsed.version == "atom10"
    assert parsed.feed.id.startswith("urn:uuid:")
    assert parsed.feed.title == "hubbub catch-up"
    assert parsed.feed.updated_parsed is not None
    assert "Home · @alice0 (deck deck): 5" in parsed.feed.subtitle
    titles = [e.title for e in parsed.entries]
    assert titles == ["Ann: from Ana, urgent", "Ann: liked a lot", "Ann: hey you",
                      "Ann: a little liked", "Ann: hostile"]
    for entry in parsed.entries:
        assert entry.id.startswith("urn:uuid:")
        assert entry.updated_parsed is not None
        assert entry.link.startswith("https://x.example/@ann/")
        assert entry.content[0].type == "text/html"
    assert "Priority" in parsed.entries[0].content[0].value
    assert [t.term for t in parsed.entries[0].tags] == ["scripted", "priority"]
    hostile = parsed.entries[-1].content[0].value
    for bad in ("<script", "onerror", "javascript:"):
        assert bad not in hostile
    raw = answer.content.decode()
    assert "<script" not in raw
    assert 'type="html"' in raw
    # Entry ids stay the same from one fetch to the next.
    again = feedparser.parse(reader.get(path).content)
    assert [e.id for e in again.entries] == [e.id for e in parsed.entries]


def test_conditional_gets_answer_304(web: Client, alice: User, feed: Feed) -> None:
    _stock(alice, feed)
    path = _make(web)
    reader = Client()
    first = reader.get(path)
    etag = first["ETag"]
    assert "Last-Modified" not in first  # the newest entry's date does not say what changed
    assert reader.get(path, headers={"If-None-Match": etag}).status_code == 304
    assert reader.head(path, headers={"If-None-Match": etag}).status_code == 304
    # The weak ETag a compressed answer carries (core/compress.py) also gets a 304.
    packed = reader.get(path, headers={"Accept-Encoding": "gzip"})
    assert packed["ETag"].startswith("W/")
    assert "Accept-Encoding" in packed["Vary"]
    again = reader.get(path, headers={"If-None-Match": packed["ETag"]})
    assert again.status_code == 304
    assert "Accept-Encoding" in again["Vary"]
    # A new item changes it, even one dated before the newest entry.
    ingest(feed, [net_item(40, at=timezone.now() - timedelta(hours=2, minutes=30), text="fresh",
                           counts={"like": 7})])
    changed = reader.get(path, headers={"If-None-Match": etag})
    assert changed.status_code == 200
    assert changed["ETag"] != etag


def test_token_made_rotated_revoked(web: Client, alice: User, feed: Feed) -> None:
    _stock(alice, feed)
    reader = Client()
    first = _make(web)
    assert reader.get(first).status_code == 200
    state = CatchUpState.objects.get(user=alice)
    secret = first.rsplit("/", 1)[1].removesuffix(".atom")[16:]
    assert secret not in (state.feed_hash, state.feed_key)  # only its hash is kept
    assert "Make a new address" in web.get("/catch-up/").content.decode()
    second = _make(web)
    assert second != first
    assert reader.get(first).status_code == 404
    assert reader.get(second).status_code == 200
    assert web.post("/catch-up/feed/revoke/").status_code == 302
    gone = reader.get(second)
    assert gone.status_code == 404
    assert gone.content == reader.get(first).content
    assert "Make the feed's address" in web.get("/catch-up/").content.decode()


def test_a_deactivated_persons_feed_answers_nothing(web: Client, alice: User,
                                                    feed: Feed) -> None:
    _stock(alice, feed)
    path = _make(web)
    reader = Client()
    assert reader.get(path).status_code == 200
    User.objects.filter(pk=alice.pk).update(is_active=False)
    assert reader.get(path).status_code == 404


def test_tokens_that_open_nothing_answer_alike(web: Client, alice: User) -> None:
    path = _make(web)
    token = path.rsplit("/", 1)[1].removesuffix(".atom")
    reader = Client()
    answers = [reader.get(f"/catch-up/feed/{t}.atom") for t in (
        token[:-1] + ("A" if token[-1] != "A" else "B"),  # the right key, a wrong secret
        "0" * 16 + token[16:],  # an unknown key
        token[:20], "x" * 59, "%00" * 10, "é" * 59, "a" * 5000, token + "0")]
    assert {a.status_code for a in answers} == {404}
    assert len({a.content for a in answers}) == 1
    assert tokens.user_id_for(token) == alice.pk
    assert tokens.user_id_for(token.upper()) is None


def test_another_persons_feed_never_shows_this_persons_items(alice: User, bob: User,
                                                            feed: Feed) -> None:
    _stock(alice, feed)
    bobs_web = Client()
    bobs_web.force_login(bob)
    bobs = ensure_feed(make_connection(bob), "home")
    make_column(bob, [bobs], title="Bob's home")
    make_column(bob, [feed], title="Alice's feed, named by Bob")
    ingest(bobs, [net_item(1, prefix="bob", at=timezone.now(), text="bob's own",
                           counts={"like": 2})])
    bob_path = _make(bobs_web)
    body = Client().get(bob_path).content.decode()
    assert "bob's own" in body
    for text in ("from Ana, urgent", "liked a lot", "hey you"):
        assert text not in body
    entries = feedparser.parse(body).entries
    assert len(entries) == 1


def test_the_feed_is_bounded(web: Client, alice: User, feed: Feed) -> None:
    make_column(alice, [feed], title="Busy")
    now = timezone.now()
    ingest(feed, [net_item(n, at=now - timedelta(seconds=n), counts={"like": n})
                  for n in range(1, 130)])
    from hubbub.listening import apply
    from hubbub.listening import services as rules
    from hubbub.listening.conditions import spec_from
    rules.save_rule(alice, spec_from({"conditions": [{"kind": "words", "values": ["post"]}],
                                      "actions": [{"kind": "priority"}]}),
                    name="all", expires_at=None)
    apply.recompute(alice.pk)
    parsed = feedparser.parse(Client().get(_make(web)).content)
    assert len(parsed.entries) == 50  # the page's priority list: its bound, newest first
    assert parsed.entries[0].title == "Ann: post 1"
