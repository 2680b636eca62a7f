"""The catch-up page: per-column counts since the person was last here (hidden items not
counted), priority items first, then the most engaged; "Mark all caught up"; owner only; CSRF."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.utils import timezone

from hubbub.catchup import selectors, services
from hubbub.catchup.models import CatchUpState
from hubbub.listening import apply
from hubbub.listening import services as rules
from hubbub.listening.conditions import spec_from
from hubbub.timeline.ingest import ingest
from hubbub.timeline.models import Column, Feed
from hubbub.timeline.selectors import ensure_feed
from tests.timeline.conftest import make_column, make_connection, net_item

pytestmark = pytest.mark.django_db


@pytest.fixture
def web(client: Client, alice: User) -> Client:
    client.force_login(alice)
    return client


def _rule(user: User, words: str, action: str) -> None:
    spec = spec_from({"conditions": [{"kind": "words", "values": [words]}],
                      "actions": [{"kind": action}]})
    rules.save_rule(user, spec, name=f"{action} {words}", expires_at=None)


def _stock(alice: User, feed: Feed) -> tuple[Column, Column]:
    """Two columns: home (5 new, 1 of them hidden, 1 priority) and mentions (2 new); 2 old items
    from before the last visit."""
    now = timezone.now()
    mentions = ensure_feed(feed.connection, "mentions")
    home = make_column(alice, [feed], title="Home")
    mentioned = make_column(alice, [mentions], title="Mentions")
    services.state_for(alice)
    CatchUpState.objects.filter(user=alice).update(since=now - timedelta(hours=3))
    ingest(feed, [
        net_item(1, at=now - timedelta(hours=5), text="old news"),
        net_item(2, at=now - timedelta(hours=4), text="older news", counts={"like": 900}),
        net_item(3, at=now - timedelta(hours=2), text="quiet one"),
        net_item(4, at=now - timedelta(hours=2, minutes=1), text="liked a lot",
                 counts={"like": 40, "reply": 2}),
        net_item(5, at=now - timedelta(minutes=50), text="a little liked", counts={"like": 3}),
        net_item(6, at=now - timedelta(minutes=40), text="spoiler alert",
                 counts={"like": 500}),
        net_item(7, at=now - timedelta(minutes=30), text="from Ana, urgent"),
    ])
    ingest(mentions, [
        net_item(8, at=now - timedelta(minutes=20), text="hey you", counts={"repost": 10}),
        net_item(9, at=now - timedelta(minutes=10), text="hey again"),
    ])
    _rule(alice, "spoiler", "hide")
    _rule(alice, "urgent", "priority")
    apply.recompute(alice.pk)
    return home, mentioned


def test_counts_per_column_hidden_not_counted_priority_then_engaged(
        alice: User, feed: Feed) -> None:
    _home, mentioned = _stock(alice, feed)
    catch = selectors.catch_up(alice, services.state_for(alice).since)
    assert [(c.column.title, c.count, c.more) for c in catch.columns] == [
        ("Home", 4, False), ("Mentions", 2, False)]
    assert catch.total == 6
    assert [f.item.text for f in catch.priority] == ["from Ana, urgent"]
    # By likes + replies + reposts + quotes; the hidden 500-like item and the old one are out.
    assert [(f.item.text, f.score) for f in catch.engaged] == [
        ("liked a lot", 42), ("hey you", 10), ("a little liked", 3)]
    assert [f.item.text for f in catch.found][:2] == ["from Ana, urgent", "liked a lot"]
    assert catch.engaged[1].column == mentioned
    assert catch.uncounted == []


def test_page_lists_them_with_links_and_marks_all_caught_up(web: Client, alice: User,
                                                            feed: Feed) -> None:
    home, _mentioned = _stock(alice, feed)
    shown = web.get("/catch-up/")
    assert shown.status_code == 200
    html = shown.content.decode()
    assert "6 new items" in html
    assert "<strong>4</strong> new items" in html
    assert html.index("from Ana, urgent") < html.index("liked a lot") < html.index("hey you")
    assert "spoiler alert" not in html
    assert "old news" not in html
    assert f'href="/deck/{home.deck_id}/#col-{home.pk}"' in html
    assert 'href="https://x.example/@ann/4"' in html
    assert 'aria-current="page"' in html
    assert "Catch-up" in html
    until = shown.context["shown_at"]
    # Something arrives while the person reads: it still counts after "caught up".
    ingest(feed, [net_item(20, at=timezone.now() + timedelta(seconds=1), text="just now")])
    done = web.post("/catch-up/done/", {"until": until})
    assert done.status_code == 302
    after = web.get("/catch-up/").content.decode()
    assert "1 new item" in after
    assert "liked a lot" not in after
    catch = selectors.catch_up(alice, services.state_for(alice).since)
    assert [c.count for c in catch.columns] == [1, 0]
    # The deck's read markers moved up to the same moment.
    home.refresh_from_db()
    assert home.read_until is not None
    assert home.read_until.isoformat() == until
    # Never back: an older moment changes nothing.
    web.post("/catch-up/done/", {"until": (timezone.now() - timedelta(days=3)).isoformat()})
    assert services.state_for(alice).since.isoformat() == until


def test_bad_moment_changes_nothing_and_says_so(web: Client, alice: User) -> None:
    before = services.state_for(alice).since
    for bad in ["", "yesterday", "2026-13-45T00:00:00+00:00", "2026-05-01T10:00:00",
                "9" * 500, "\x00", "0001-01-01T00:00:00+23:59", "9999-12-31T23:59:59-23:59"]:
        answer = web.post("/catch-up/done/", {"until": bad}, follow=True)
        assert answer.status_code == 200
        assert "nothing was marked" in answer.content.decode()
    assert services.state_for(alice).since == before


def test_posts_need_csrf(alice: User) -> None:
    strict = Client(enforce_csrf_checks=True)
    strict.force_login(alice)
    assert strict.post("/catch-up/done/", {"until": timezone.now().isoformat()}).status_code == 403
    assert strict.post("/catch-up/feed/make/").status_code == 403
    assert strict.post("/catch-up/feed/revoke/").status_code == 403
    assert strict.get("/catch-up/done/").status_code == 405


def test_one_person_never_sees_anothers_items(alice: User, bob: User, feed: Feed) -> None:
    _stock(alice, feed)
    other = Client()
    other.force_login(bob)
    bobs = ensure_feed(make_connection(bob), "home")
    make_column(bob, [bobs], title="Bob's home")
    html = other.get("/catch-up/").content.decode()
    assert "Bob&#x27;s home" in html or "Bob's home" in html
    for text in ("from Ana, urgent", "liked a lot", "hey you"):
        assert text not in html
    # A column of Bob's naming Alice's feed still reads nothing of hers.
    make_column(bob, [feed], title="sneaky")
    catch = selectors.catch_up(bob, services.state_for(bob).since)
    assert catch.total == 0


def test_a_crowded_column_says_or_more(alice: User, feed: Feed, monkeypatch:
                                       pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(selectors, "SCAN", 3)
    make_column(alice, [feed], title="Busy")
    now = timezone.now()
    ingest(feed, [net_item(n, at=now - timedelta(minutes=n)) for n in range(1, 8)])
    catch = selectors.catch_up(alice, now - timedelta(hours=1))
    assert [(c.count, c.more) for c in catch.columns] == [(3, True)]
    assert catch.more
