"""The person's own monthly read-cost cap for an X account, set on its page in the hub
(connections/cap_views.py), against the X stand-in: the cap they save is the one the columns
obey; bad amounts are refused with a sentence and change nothing; only the connection's owner
reaches the page, and only with the CSRF token."""

from __future__ import annotations

import re
import secrets

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.urls import reverse

from hubbub.connections.models import Connection
from hubbub.connections.services import save_connection
from hubbub.networks.registry import get_connector
from hubbub.networks.x import costs
from hubbub.timeline.models import Column, Deck, Feed
from hubbub.timeline.polling import poll_feed
from hubbub.timeline.selectors import ensure_feed
from tests.integration.x_support import CALLBACK, XWorld, make_x_world
from tests.peers.x.peer import XPeer, XUser

pytestmark = pytest.mark.django_db
PASSWORD = "a-long-enough-password"


@pytest.fixture
def x_world(x_peer: XPeer, monkeypatch: pytest.MonkeyPatch) -> XWorld:
    costs.forget_checks()
    return make_x_world(x_peer, monkeypatch, (CALLBACK,))


@pytest.fixture
def owner(db: None) -> User:
    return User.objects.create_user("owner", password=PASSWORD)


def _connect(world: XWorld, owner: User) -> tuple[Connection, XUser]:
    user, issued = world.person()
    connected = get_connector("x").connect_with_token(
        "", {"access_token": issued.access_token, "refresh_token": issued.refresh_token})
    return save_connection(owner, "x", connected), user


def _client(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _url(connection: Connection) -> str:
    return reverse("connections:read_cap", args=[connection.pk])


def _stored(connection: Connection) -> object:
    connection.refresh_from_db()
    return connection.credentials.get(costs.CAP_KEY, "unset")


def _checked(html: str) -> str:
    """The value of the radio button the page shows ticked."""
    [value] = re.findall(r'<input type="radio" name="choice" value="(\w+)"[^>]* checked', html)
    return value


def _open_home(world: XWorld, connection: Connection, user: XUser, owner: User) -> Feed:
    home = ensure_feed(connection, "home")
    Column.objects.create(deck=Deck.objects.create(user=owner, name="deck"),
                          title="X home").feeds.set([home])
    friend = world.peer.create_user()
    world.peer.follow(user, friend)
    world.peer.post_as(friend, f"worth reading {secrets.token_hex(3)}")
    return home


def test_the_cap_saved_on_the_page_is_the_one_the_columns_obey(x_world: XWorld,
                                                              owner: User) -> None:
    connection, user = _connect(x_world, owner)
    client = _client(owner)
    listed = client.get(reverse("connections:list")).content.decode()
    assert _url(connection) in listed  # the Connections page links to it
    shown = client.get(_url(connection)).content.decode()
    assert _checked(shown) == "default"
    home = _open_home(x_world, connection, user, owner)
    assert not poll_feed(home).error  # under the hub's default cap ($10)
    # A cap of one cent: the open column passes it and pauses, reading nothing.
    answer = client.post(_url(connection), {"choice": "own", "amount": "$0.01"}, follow=True)
    assert "Your cap is now $0.01 a month." in answer.content.decode()
    assert _stored(connection) == 0.01
    reads = len(x_world.peer.requests())
    home.refresh_from_db()
    paused = poll_feed(home).error
    assert "over your cap of $0.01" in paused
    assert paused.endswith("raise the cap (Connections, Read-cost cap).")  # where to go
    assert len(x_world.peer.requests()) == reads
    page = client.get(_url(connection)).content.decode()
    assert "its columns are paused" in page
    assert 'value="0.01"' in page
    assert _checked(page) == "own"
    # No cap: the column reads again, and the pages say no cap is set.
    answer = client.post(_url(connection), {"choice": "none", "amount": ""}, follow=True)
    assert "read without a cap" in answer.content.decode()
    assert _stored(connection) == 0
    home.refresh_from_db()
    assert not poll_feed(home).error
    assert "No cap is set." in client.get(reverse("connections:list")).content.decode()
    assert _checked(client.get(_url(connection)).content.decode()) == "none"
    # Back to the hub's default: the person's own cap is forgotten.
    client.post(_url(connection), {"choice": "default", "amount": "12"})
    assert _stored(connection) == "unset"
    assert "the hub&#x27;s default cap of $10.00" in client.get(_url(connection)).content.decode()


@pytest.mark.parametrize(("typed", "said"), [
    ("", "Type your cap in US dollars"),
    ("ten", "“ten” is not an amount"),
    ("-5", "must be more than $0"),
    ("0", "choose “No cap”"),
    ("1,000", "without commas"),
    ("7.505", "at most two digits after the point"),
    ("100001", "at most $100,000 a month"),
    ("nan", "must be more than $0"),
])
def test_a_bad_amount_is_refused_plainly_and_changes_nothing(
        x_world: XWorld, owner: User, typed: str, said: str) -> None:
    connection, _ = _connect(x_world, owner)
    client = _client(owner)
    client.post(_url(connection), {"choice": "own", "amount": "25"})
    answer = client.post(_url(connection), {"choice": "own", "amount": typed})
    assert answer.status_code == 400
    html = answer.content.decode()
    assert said in html
    assert f'value="{typed}"' in html or not typed  # what they typed is still there
    assert _stored(connection) == 25


def test_an_amount_typed_beside_another_choice_is_not_checked(x_world: XWorld,
                                                             owner: User) -> None:
    connection, _ = _connect(x_world, owner)
    answer = _client(owner).post(_url(connection), {"choice": "none", "amount": "ten"})
    assert answer.status_code == 302
    assert _stored(connection) == 0


def test_an_unknown_choice_is_refused(x_world: XWorld, owner: User) -> None:
    connection, _ = _connect(x_world, owner)
    answer = _client(owner).post(_url(connection), {"choice": "lots", "amount": "5"})
    assert answer.status_code == 400
    assert "Select a valid choice" in answer.content.decode()
    assert _stored(connection) == "unset"


def test_only_the_owner_reaches_the_page_and_only_with_the_csrf_token(
        x_world: XWorld, owner: User) -> None:
    connection, _ = _connect(x_world, owner)
    mallory = User.objects.create_user("mallory", password=PASSWORD)
    stranger = _client(mallory)
    assert stranger.get(_url(connection)).status_code == 404
    assert stranger.post(_url(connection), {"choice": "none"}).status_code == 404
    assert _stored(connection) == "unset"
    assert Client().get(_url(connection)).status_code == 302  # to the sign-in page
    guarded = Client(enforce_csrf_checks=True)
    guarded.force_login(owner)
    assert guarded.post(_url(connection), {"choice": "none"}).status_code == 403
    assert _stored(connection) == "unset"
    # A network that does not bill reads has no such page.
    other = Connection(user=owner, network="mastodon", base_url="https://m.example",
                       remote_id="1", handle="@a@m.example")
    other.credentials = {"access_token": "t"}
    other.save()
    assert _client(owner).get(_url(other)).status_code == 404
