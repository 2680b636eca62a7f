"""An allow-list column says so on the deck: "only N listed", linking to its list; a column
that lets everyone through says nothing (a walkthrough found Home silently showing one person)."""

from __future__ import annotations

import re

import pytest
from django.contrib.auth.models import User
from django.test import Client

from hubbub.timeline.models import Deck, Feed
from hubbub.timeline.selectors import ensure_feed
from tests.timeline.conftest import make_column, make_connection

pytestmark = pytest.mark.django_db


def test_an_allow_list_column_says_whom_it_lets_through(client: Client, alice: User,
                                                        feed: Feed) -> None:
    client.force_login(alice)
    listed = make_column(alice, [feed], title="Friends")
    everyone = make_column(alice, [ensure_feed(make_connection(alice), "home")], title="All")
    assert client.post(f"/rules/columns/{listed.pk}/",
                       {"only": "@Bob@x.example\n@carol.bsky.social"}).status_code == 302
    deck = client.get(f"/deck/{Deck.objects.get(user=alice).pk}/").content.decode()
    shown = re.findall(r'<a class="column-only" href="([^"]+)"[^>]*>only (\d+) listed</a>', deck)
    assert shown == [(f"/rules/columns/{listed.pk}/", "2")]
    column_page = client.get(f"/deck/columns/{everyone.pk}/").content.decode()
    assert "column-only" not in column_page
    # Emptied again: the column lets everyone through, and says nothing.
    assert client.post(f"/rules/columns/{listed.pk}/", {"only": ""}).status_code == 302
    deck = client.get(f"/deck/{Deck.objects.get(user=alice).pk}/").content.decode()
    assert "column-only" not in deck
