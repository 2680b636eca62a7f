""""Add … to a person…" is not offered on deck items whose author already belongs to one of the
person's People (issue 12 walkthrough #18): each page that draws a column's items (the deck,
a column's page and its fragment, the "new" items) marks them `data-in-person`, found with one
query for the page, not one an item; items.js then leaves the action out
(tests/deck/browser/test_in_person.py)."""

from __future__ import annotations

import re

import pytest
from django.contrib.auth.models import User
from django.db import connection as db
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from hubbub.connections.models import Connection
from hubbub.people.models import Person, PersonAccount
from hubbub.timeline.models import Deck

from .conftest import make_column, make_items


@pytest.fixture
def deck(owner: User) -> Deck:
    return Deck.objects.create(user=owner, name="Main")


def _marked(html: str) -> dict[str, bool]:
    """data-item -> whether the article carries data-in-person."""
    return {pk: "data-in-person" in attrs
            for pk, attrs in re.findall(r'<article class="item[^"]*" data-item="(\d+)"([^>]*)>',
                                        html)}


def test_items_of_a_persons_author_are_marked_with_one_query(
        client_in: Client, owner: User, other: User, deck: Deck,
        connection: Connection) -> None:
    bobs = make_items(connection, "home", 3)  # @bob@fake.example
    carols = make_items(connection, "home", 3, author_handle="@carol@fake.example")
    mentions = make_items(connection, "mentions", 2, author_handle="@Bob@Fake.Example")
    home = make_column(deck, connection)
    make_column(deck, connection, "mentions", "Mentions")
    friend = Person.objects.create(user=owner, name="Bob")
    PersonAccount.objects.create(person=friend, network="fake", handle="bob@fake.example")
    # Someone else's People say nothing about this person's deck.
    theirs = Person.objects.create(user=other, name="Carol")
    PersonAccount.objects.create(person=theirs, network="fake", handle="carol@fake.example")
    # The same handle on another network is another account.
    PersonAccount.objects.create(person=friend, network="mastodon", handle="carol@fake.example")

    expected = {str(i.pk): True for i in [*bobs, *mentions]} | {str(i.pk): False for i in carols}
    pages = {
        "deck": reverse("timeline:deck", args=[deck.pk]),
        "column": reverse("timeline:column", args=[home.pk]),
        "newer": reverse("timeline:column_newer", args=[home.pk]),
    }
    for name, url in pages.items():
        for fragment in (False, True):
            with CaptureQueriesContext(db) as captured:
                answer = client_in.get(url, HTTP_HX_REQUEST="true") if fragment \
                    else client_in.get(url)
            assert answer.status_code == 200, name
            marked = _marked(answer.content.decode())
            assert marked, name
            assert all(expected[pk] == is_marked for pk, is_marked in marked.items()), \
                (name, marked)
            people_reads = [q["sql"] for q in captured.captured_queries
                            if "people_personaccount" in q["sql"]]
            assert len(people_reads) == 1, (name, people_reads)
