"""The deck's rule notices: each opens its post's conversation, the list keeps to a bounded box
with a count, and "Dismiss all" dismisses what the page showed (and the older ones it counted),
never a notice that arrived after it was drawn, nor another person's."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.urls import reverse

from hubbub.listening.models import Notice, Rule
from hubbub.listening.templatetags.listening_ui import SHOWN
from hubbub.timeline.ingest import ingest
from hubbub.timeline.models import Deck, Feed, Item
from hubbub.timeline.selectors import ensure_feed
from tests.timeline.conftest import make_column, make_connection, net_item

pytestmark = pytest.mark.django_db


@pytest.fixture
def web(client: Client, alice: User) -> Client:
    client.force_login(alice)
    return client


def _noticed(user: User, feed: Feed, count: int, *, prefix: str = "n") -> list[Notice]:
    ingest(feed, [net_item(n, prefix=prefix, text=f"{prefix} news {n}") for n in range(count)])
    rule = Rule.objects.create(user=user, name="Ann first", conditions=[], actions=[])
    items = Item.objects.filter(connection=feed.connection, remote_id__startswith=prefix)
    return [Notice.objects.create(user=user, item=item, rule=rule)
            for item in items.order_by("created_at")]


def _deck(web: Client, user: User) -> str:
    return web.get(f"/deck/{Deck.objects.get(user=user).pk}/").content.decode()


def test_each_notice_opens_its_post_and_the_box_counts_them(web: Client, alice: User,
                                                           feed: Feed) -> None:
    make_column(alice, [feed])
    notices = _noticed(alice, feed, 3)
    page = _deck(web, alice)
    assert "3 notices from your rules" in page
    for notice in notices:
        address = reverse("timeline:item_conversation", args=[notice.item_id])
        assert f'<a href="{address}"><strong>Ann</strong> (Ann first): n news' in page
    assert "Dismiss all 3" in page
    assert "older not shown" not in page


def test_past_the_box_the_older_ones_are_counted(web: Client, alice: User, feed: Feed) -> None:
    make_column(alice, [feed])
    _noticed(alice, feed, SHOWN + 4)
    page = _deck(web, alice)
    assert f"{SHOWN + 4} notices from your rules" in page
    assert page.count('aria-label="Dismiss the notice about') == SHOWN
    assert "and 4 older not shown" in page
    assert f"Dismiss all {SHOWN + 4}" in page


def test_dismiss_all_leaves_a_later_notice_and_another_persons(web: Client, alice: User,
                                                               bob: User, feed: Feed) -> None:
    make_column(alice, [feed])
    shown = _noticed(alice, feed, SHOWN + 2)
    page = _deck(web, alice)
    upto = max(n.pk for n in shown)
    assert f'name="upto" value="{upto}"' in page
    later = _noticed(alice, feed, 1, prefix="late")  # arrives after the page was drawn
    theirs = _noticed(bob, ensure_feed(make_connection(bob), "home"), 2, prefix="b")
    deck = f"/deck/{Deck.objects.get(user=alice).pk}/"
    answer = web.post(reverse("listening:notices_seen_all"), {"upto": upto, "next": deck})
    assert answer.status_code == 302
    assert answer["Location"] == deck
    assert Notice.objects.filter(pk__in=[n.pk for n in shown], seen=True).count() == SHOWN + 2
    assert not Notice.objects.get(pk=later[0].pk).seen
    assert not Notice.objects.filter(pk__in=[n.pk for n in theirs], seen=True).exists()
    assert "1 notice from your rules" in _deck(web, alice)


@pytest.mark.parametrize("upto", ["", "abc", "-1", "0", "9" * 30, "1e9", "\x00"])
def test_dismiss_all_with_a_bad_upto_dismisses_nothing(web: Client, alice: User, feed: Feed,
                                                       upto: str) -> None:
    notices = _noticed(alice, feed, 2)
    answer = web.post(reverse("listening:notices_seen_all"), {"upto": upto})
    assert answer.status_code == 302
    assert not Notice.objects.filter(pk__in=[n.pk for n in notices], seen=True).exists()


@pytest.mark.parametrize("back", ["https://evil.example/", "//evil.example/deck/",
                                  "/deck//evil.example", "/rules/", "/deck/\\evil"])
def test_dismiss_all_goes_back_to_the_deck_only(web: Client, alice: User, back: str) -> None:
    answer = web.post(reverse("listening:notices_seen_all"), {"upto": "1", "next": back})
    assert answer.status_code == 302
    assert answer["Location"] == reverse("timeline:home")


def test_dismiss_all_needs_a_post_and_a_person(client: Client, alice: User) -> None:
    address = reverse("listening:notices_seen_all")
    assert client.post(address, {"upto": "1"}).status_code in (302, 403)  # to the log-in page
    client.force_login(alice)
    assert client.get(address).status_code == 405
