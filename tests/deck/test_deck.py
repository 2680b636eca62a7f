"""Decks and columns: the first deck, CRUD, order, width, read marker, and whose is whose."""

from __future__ import annotations

import re
from html import unescape

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.urls import reverse

from hubbub.connections.models import Connection
from hubbub.timeline.cursors import encode_cursor
from hubbub.timeline.models import Column, Deck
from tests.deck.conftest import make_column, make_connection, make_items

pytestmark = pytest.mark.django_db


def _deck(client: Client) -> Deck:
    response = client.get(reverse("timeline:home"))
    assert response.status_code == 302
    return Deck.objects.get(pk=int(response["Location"].rstrip("/").split("/")[-1]))


def test_first_visit_makes_home_and_mentions_for_each_account(client_in: Client,
                                                              owner: User) -> None:
    make_connection(owner, "@alice@fake.example")
    make_connection(owner, "@carol@home.example", network="homeonly", remote_id="7")
    deck = _deck(client_in)
    titles = [(c.title, c.feeds.get().key, c.feeds.get().connection.handle)
              for c in deck.columns.all()]
    assert titles == [
        ("Home", "home", "@alice@fake.example"),
        ("Mentions", "mentions", "@alice@fake.example"),
        ("Home", "home", "@carol@home.example"),  # that network has no mentions feed
    ]
    # The second visit reuses it.
    assert _deck(client_in) == deck
    assert Deck.objects.filter(user=owner).count() == 1


def test_deck_without_accounts_points_to_connect(client_in: Client) -> None:
    deck = _deck(client_in)
    html = client_in.get(reverse("timeline:deck", args=[deck.pk])).content.decode()
    assert "Connect an account to fill your deck" in html
    assert reverse("connections:connect") in html


def test_deck_page_has_no_inline_script_or_style(client_in: Client, connection: Connection) -> None:
    make_items(connection, "home", 3)
    deck = _deck(client_in)
    html = client_in.get(reverse("timeline:deck", args=[deck.pk])).content.decode()
    assert re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html) is None
    assert " style=" not in html
    assert "hubbub/deck.js" in html


def test_create_rename_delete_decks(client_in: Client, owner: User) -> None:
    first = _deck(client_in)
    response = client_in.post(reverse("timeline:deck_create"), {"name": "Work"})
    work = Deck.objects.get(user=owner, name="Work")
    assert response["Location"] == reverse("timeline:deck", args=[work.pk])
    html = client_in.get(response["Location"]).content.decode()
    assert "This deck has no columns yet" in html or "Connect an account" in html
    assert ">Main</a>" in html
    assert ">Work</a>" in html

    client_in.post(reverse("timeline:deck_rename", args=[work.pk]), {"name": "  Day job "})
    work.refresh_from_db()
    assert work.name == "Day job"
    client_in.post(reverse("timeline:deck_rename", args=[work.pk]), {"name": ""})
    work.refresh_from_db()
    assert work.name == "Day job"

    response = client_in.post(reverse("timeline:deck_delete", args=[work.pk]))
    assert response["Location"] == reverse("timeline:deck", args=[first.pk])
    assert list(Deck.objects.filter(user=owner)) == [first]


def test_add_single_and_merged_columns(client_in: Client, owner: User) -> None:
    alice = make_connection(owner, "@alice@fake.example")
    bob = make_connection(owner, "@bob@fake.example", remote_id="43")
    deck = Deck.objects.create(user=owner, name="Watch")
    url = reverse("timeline:column_add", args=[deck.pk])
    page = client_in.get(url).content.decode()
    assert "@alice@fake.example" in page
    assert "Hashtag" in page

    response = client_in.post(url, {"connections": [alice.pk], "kind": "hashtag",
                                    "param": "#Python", "width": "wide"})
    assert response.status_code == 302
    column = deck.columns.get()
    assert (column.title, column.width) == ("#Python", "wide")
    assert [f.key for f in column.feeds.all()] == ["hashtag:Python"]

    client_in.post(url, {"connections": [alice.pk, bob.pk], "kind": "mentions",
                         "width": "normal"})
    merged = deck.columns.get(title="All mentions")
    assert sorted(f.connection.handle for f in merged.feeds.all()) == [
        "@alice@fake.example", "@bob@fake.example"]
    assert merged.position == 1

    # A person column of one's own posts reads the author feed of one's own handle.
    client_in.post(url, {"connections": [bob.pk], "kind": "own", "width": "narrow"})
    assert deck.columns.get(title="My posts").feeds.get().key == "author:@bob@fake.example"


def test_add_column_refuses_what_cannot_work(client_in: Client, owner: User,
                                             other: User) -> None:
    alice = make_connection(owner)
    homeonly = make_connection(owner, "@carol@home.example", network="homeonly", remote_id="7")
    theirs = make_connection(other, "@mallory@fake.example", remote_id="66")
    deck = Deck.objects.create(user=owner, name="Watch")
    url = reverse("timeline:column_add", args=[deck.pk])

    response = client_in.post(url, {"connections": [alice.pk], "kind": "search", "width": "normal"})
    assert response.status_code == 400
    assert "Fill in “Search for” for a search column." in unescape(response.content.decode())

    response = client_in.post(url, {"connections": [alice.pk, homeonly.pk], "kind": "mentions",
                                    "width": "normal"})
    assert response.status_code == 400
    assert "@carol@home.example cannot show mentions columns" in response.content.decode()

    response = client_in.post(url, {"connections": [theirs.pk], "kind": "home", "width": "normal"})
    assert response.status_code == 400
    assert not deck.columns.exists()

    # A Person column names an account of the network (issue 12 walkthrough #12): a name is
    # refused at once, not at the column's first read ("has no such thing").
    mastodon = make_connection(owner, "@dora@social.example", network="mastodon", remote_id="8")
    nostr = make_connection(owner, "npub1dora", network="nostr", remote_id="9")
    for connection, typed, said in (
            (mastodon, "Ana Lima", "“Ana Lima” is not a Mastodon account"),
            (nostr, "npub1notvalid", "“npub1notvalid” is not a valid Nostr key")):
        response = client_in.post(url, {"connections": [connection.pk], "kind": "author",
                                        "param": typed, "width": "normal"})
        assert response.status_code == 400
        assert said in response.content.decode()
    from hubbub.networks.nostr import keys
    from hubbub.timeline.forms import _not_an_account

    # What may be an account passes: a Mastodon address, a bare name (an account of the
    # connection's own server), a Bluesky handle or DID, a real npub.
    assert not _not_an_account("mastodon", "@ana@social.example")
    assert not _not_an_account("mastodon", "ana")
    assert not _not_an_account("bluesky", "ana.bsky.social")
    assert not _not_an_account("bluesky", "did:plc:abc123")
    assert not _not_an_account("nostr", keys.encode_bare("npub", "11" * 32))
    assert not _not_an_account("nostr", "11" * 32)  # a hex key is its npub
    assert _not_an_account("bluesky", "Ana Lima")


def test_move_reorder_resize_remove(client_in: Client, owner: User,
                                    connection: Connection) -> None:
    deck = Deck.objects.create(user=owner, name="Main")
    a, b, c = (make_column(deck, connection, key, key.title()) for key in
               ("home", "mentions", "notifications"))

    def order() -> list[str]:
        return list(deck.columns.values_list("title", flat=True))

    client_in.post(reverse("timeline:column_move", args=[a.pk]), {"direction": "right"})
    assert order() == ["Mentions", "Home", "Notifications"]
    client_in.post(reverse("timeline:column_move", args=[b.pk]), {"direction": "left"})
    assert order() == ["Mentions", "Home", "Notifications"]  # already first
    response = client_in.post(reverse("timeline:deck_order", args=[deck.pk]),
                              {"columns": [c.pk, a.pk, b.pk]}, HTTP_X_DECK="1")
    assert response.status_code == 204
    assert order() == ["Notifications", "Home", "Mentions"]
    assert list(deck.columns.values_list("position", flat=True)) == [0, 1, 2]

    client_in.post(reverse("timeline:column_width", args=[a.pk]), {"width": "narrow"})
    a.refresh_from_db()
    assert a.width == "narrow"
    client_in.post(reverse("timeline:column_width", args=[a.pk]), {"width": "huge"})
    a.refresh_from_db()
    assert a.width == "narrow"

    client_in.post(reverse("timeline:column_remove", args=[c.pk]))
    assert order() == ["Home", "Mentions"]
    assert list(deck.columns.values_list("position", flat=True)) == [0, 1]


def test_read_marker_only_moves_forward(client_in: Client, owner: User,
                                        connection: Connection) -> None:
    items = make_items(connection, "home", 5)
    deck = Deck.objects.create(user=owner, name="Main")
    column = make_column(deck, connection)
    url = reverse("timeline:column_read", args=[column.pk])
    client_in.post(url, {"until": encode_cursor(items[3].created_at, items[3].pk)})
    column.refresh_from_db()
    assert column.read_until == items[3].created_at
    client_in.post(url, {"until": encode_cursor(items[1].created_at, items[1].pk)})
    column.refresh_from_db()
    assert column.read_until == items[3].created_at
    # Items newer than the marker look unread.
    html = client_in.get(reverse("timeline:deck", args=[deck.pk])).content.decode()
    unread = re.findall(r'class="item is-unread[^"]*"[^>]*data-item="(\d+)"', html)
    assert unread == [str(items[4].pk)]


def test_a_new_column_starts_read(client_in: Client, owner: User,
                                  connection: Connection) -> None:
    items = make_items(connection, "home", 3)
    deck = Deck.objects.create(user=owner, name="Main")
    column = make_column(deck, connection)
    html = client_in.get(reverse("timeline:deck", args=[deck.pk])).content.decode()
    assert "is-unread" not in html
    column.refresh_from_db()
    assert column.read_until == items[-1].created_at


def test_someone_elses_deck_column_and_item_are_not_found(client_in: Client, other: User) -> None:
    theirs = make_connection(other, "@mallory@fake.example", remote_id="66")
    item = make_items(theirs, "home", 1)[0]
    deck = Deck.objects.create(user=other, name="Theirs")
    column = make_column(deck, theirs)
    for name in ("deck", "column_add"):
        assert client_in.get(reverse(f"timeline:{name}", args=[deck.pk])).status_code == 404
    for name in ("deck_rename", "deck_delete", "deck_defaults", "deck_order", "column_add"):
        response = client_in.post(reverse(f"timeline:{name}", args=[deck.pk]), {"name": "x"})
        assert response.status_code == 404, name
    for name in ("column", "column_newer"):
        assert client_in.get(reverse(f"timeline:{name}", args=[column.pk])).status_code == 404
    for name in ("column_remove", "column_move", "column_width", "column_read"):
        response = client_in.post(reverse(f"timeline:{name}", args=[column.pk]),
                                  {"direction": "left", "width": "wide"})
        assert response.status_code == 404, name
    response = client_in.post(reverse("timeline:item_react", args=[item.pk]), {"kind": "like"})
    assert response.status_code == 404
    # Nothing changed, and the compose page does not reply to it either.
    assert Deck.objects.get(pk=deck.pk).name == "Theirs"
    assert Column.objects.filter(pk=column.pk).exists()
    html = client_in.get(reverse("publishing:compose") + f"?reply_to={item.pk}").content.decode()
    assert "Replying to" not in html


def test_deck_order_ignores_columns_of_other_decks(client_in: Client, owner: User, other: User,
                                                   connection: Connection) -> None:
    deck = Deck.objects.create(user=owner, name="Main")
    mine = [make_column(deck, connection, k, k) for k in ("home", "mentions")]
    theirs = make_connection(other, "@m@fake.example", remote_id="66")
    foreign = make_column(Deck.objects.create(user=other, name="X"), theirs)
    client_in.post(reverse("timeline:deck_order", args=[deck.pk]),
                   {"columns": [foreign.pk, mine[1].pk, mine[0].pk]})
    assert list(deck.columns.values_list("pk", flat=True)) == [mine[1].pk, mine[0].pk]
    foreign.refresh_from_db()
    assert foreign.deck.user == other
    assert foreign.position == 0
