"""The deck's like button on Facebook items, against the stand-in: the Page's posts and the
comments on them are read into the hub by polling, then liked from the deck (the htmx
fragment and the plain form); what the hub shows for what a Page cannot do."""

from __future__ import annotations

import secrets

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.urls import reverse

from hubbub.connections.models import Connection
from hubbub.connections.services import save_connection
from hubbub.networks.base import Account, Draft
from hubbub.networks.registry import get_connector
from hubbub.timeline import polling
from hubbub.timeline.models import Feed, Item
from tests.integration.facebook_support import FBWorld, make_fb_world
from tests.peers.facebook.peer import FacebookPeer

pytestmark = pytest.mark.django_db


@pytest.fixture
def fb_world(fb_peer: FacebookPeer, monkeypatch: pytest.MonkeyPatch) -> FBWorld:
    return make_fb_world(fb_peer, monkeypatch)


@pytest.fixture
def owner(db: None) -> User:
    return User.objects.create_user("owner", password="a-long-enough-password")


def _connected(world: FBWorld, owner: User) -> tuple[Connection, Account]:
    account, _, _ = world.account()
    connected = get_connector("facebook").connect_with_token(
        "", {"access_token": account.credentials["access_token"]})
    return save_connection(owner, "facebook", connected), account


def _read(connection: Connection, key: str) -> list[Item]:
    feed, _ = Feed.objects.get_or_create(connection=connection, key=key)
    polling.poll_feed(feed)
    return list(Item.objects.filter(connection=connection, entries__feed=feed))


def test_the_like_button_likes_a_page_post_and_a_comment(fb_world: FBWorld,
                                                         owner: User) -> None:
    connection, account = _connected(fb_world, owner)
    text = f"From the Page {secrets.token_hex(4)}"
    published = get_connector("facebook").publish(account, Draft(text=text), "k", ())
    visitor = fb_world.peer.create_user("Dee Visitor")
    fb_world.peer.comment_as(visitor, published.remote_id, "Well said")
    [post] = [i for i in _read(connection, "own") if i.remote_id == published.remote_id]
    [comment] = [i for i in _read(connection, "notifications") if i.text == "Well said"]
    client = Client()
    client.force_login(owner)
    # With htmx: the buttons come back, the like pressed.
    answer = client.post(reverse("timeline:item_react", args=[post.pk]), {"kind": "like"},
                         HTTP_HX_REQUEST="true")
    html = answer.content.decode()
    assert answer.status_code == 200
    assert "Liked." in html
    assert 'data-act="like" aria-pressed="true"' in html
    # Without JavaScript: back to the deck with the message.
    answer = client.post(reverse("timeline:item_react", args=[comment.pk]),
                         {"kind": "like", "next": reverse("timeline:home")}, follow=True)
    assert "Liked." in answer.content.decode()
    post.refresh_from_db()
    comment.refresh_from_db()
    assert post.liked
    assert comment.liked
    # Each is liked once, by the Page: a visitor's like makes two.
    for remote_id in (post.remote_id, comment.remote_id):
        assert fb_world.peer.like_as(visitor, remote_id) == 2
    # Reading the Page again keeps the hub's knowledge: Facebook does not say who liked.
    [again] = [i for i in _read(connection, "own") if i.remote_id == published.remote_id]
    assert again.liked
    # Pressing it again does not ask Facebook again.
    before = len(fb_world.peer.requests())
    client.post(reverse("timeline:item_react", args=[post.pk]), {"kind": "like"},
                HTTP_HX_REQUEST="true")
    assert len(fb_world.peer.requests()) == before


def test_repost_and_a_refused_like_are_said_beside_the_post(fb_world: FBWorld,
                                                            owner: User) -> None:
    connection, account = _connected(fb_world, owner)
    published = get_connector("facebook").publish(
        account, Draft(text=f"Share me {secrets.token_hex(4)}"), "k", ())
    [post] = [i for i in _read(connection, "own") if i.remote_id == published.remote_id]
    client = Client()
    client.force_login(owner)
    answer = client.post(reverse("timeline:item_react", args=[post.pk]), {"kind": "repost"},
                         HTTP_HX_REQUEST="true")
    # Said as Facebook's rule, not as something the hub may do one day.
    html = answer.content.decode()
    assert "Facebook&#x27;s API does not let an app repost as a Page." in html
    assert "from hubbub yet" not in html
    # Facebook refuses the like (the Page lost its permission): said, and not marked liked.
    fb_world.peer.fail_next("POST", "/{object-id}/likes", "200")
    answer = client.post(reverse("timeline:item_react", args=[post.pk]), {"kind": "like"},
                         HTTP_HX_REQUEST="true")
    html = answer.content.decode()
    assert "Facebook said no" in html
    assert 'data-act="like" aria-pressed="false"' in html
    post.refresh_from_db()
    assert not post.liked
    assert not post.reposted
    fb_world.peer.protocol_errors(clear=True)

