"""LinkedIn through the whole hub, against the LinkedIn stand-in: the connect pages (the member,
then the pages they administer picked on the choose page), then create_post -> scheduler ->
engine.process -> connector as the worker does it: a post, an answer lost after LinkedIn made
the post, an ended login that waits for a reconnect, and the CSV import and the composer's
check taking LinkedIn like any network."""

from __future__ import annotations

import secrets
from datetime import timedelta
from typing import Any
from urllib.parse import urlsplit

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.utils import timezone

from hubbub.connections.models import Connection, Health
from hubbub.connections.services import capabilities_for, save_connection
from hubbub.jobs import scheduler
from hubbub.networks.base import Draft
from hubbub.networks.registry import get_connector
from hubbub.publishing import engine
from hubbub.publishing.models import DeliveryState
from hubbub.publishing.services import create_post
from tests.integration.linkedin_support import CALLBACK, LinkedInWorld, make_li_world
from tests.peers.linkedin.peer import LinkedInPeer

pytestmark = pytest.mark.django_db
S = DeliveryState
HUB_CALLBACK = "http://testserver/connections/callback/linkedin/"


@pytest.fixture
def li_world(li_peer: LinkedInPeer, monkeypatch: pytest.MonkeyPatch) -> LinkedInWorld:
    return make_li_world(li_peer, monkeypatch, (CALLBACK, HUB_CALLBACK))


@pytest.fixture
def owner(db: None) -> User:
    return User.objects.create_user("owner", password="a-long-enough-password")


def _connect(world: LinkedInWorld, owner: User) -> Connection:
    account = world.member_account()
    connected = get_connector("linkedin").connect_with_token(
        "", {"access_token": account.credentials["access_token"]})
    return save_connection(owner, "linkedin", connected)


def _run_due() -> None:
    for pk, _ in scheduler.due_deliveries():
        engine.process(pk)


def _live(world: LinkedInWorld, author: str) -> list[dict[str, Any]]:
    return [p for p in world.peer.posts(author) if not p["deleted"]]


def _text(what: str) -> str:
    return f"{what} (#{secrets.token_hex(3)}a)"


def test_connect_the_member_then_pick_a_page(li_world: LinkedInWorld, owner: User) -> None:
    peer = li_world.peer
    member = peer.create_member("Ann Example")
    acme = peer.create_organization("Acme", [member])
    peer.create_organization("Beta", [member])
    client = Client()
    client.force_login(owner)
    page = client.get("/connections/connect/linkedin/").content.decode()
    assert "LinkedIn offers no home feed to apps" in page
    response = client.post("/connections/connect/linkedin/")
    assert response.status_code == 302, response.content.decode()[:500]
    callback = peer.authorize(response["Location"], member)
    parts = urlsplit(callback)
    response = client.get(f"{parts.path}?{parts.query}")
    assert response["Location"] == "/connections/choose/linkedin/#main"
    choose = client.get("/connections/choose/linkedin/").content.decode()
    assert "Acme" in choose
    assert "Beta" in choose
    client.post("/connections/choose/linkedin/", {"accounts": ["1"]})
    rows = {c.remote_id: c for c in Connection.objects.filter(user=owner, network="linkedin")}
    assert set(rows) == {member.urn, acme.urn}
    assert rows[acme.urn].credentials["author"] == acme.urn
    ends = rows[member.urn].credentials_expire_at
    assert ends is not None
    assert ends - timezone.now() > timedelta(days=59)
    assert rows[member.urn].credentials["access_token"] not in rows[member.urn].credentials_enc


def test_a_token_given_by_hand_learns_when_it_ends(li_world: LinkedInWorld,
                                                  owner: User) -> None:
    connection = _connect(li_world, owner)
    ends = connection.credentials_expire_at
    assert ends is not None
    assert timedelta(days=59) < ends - timezone.now() <= timedelta(days=60, minutes=1)


def test_a_post_goes_out_once_with_its_hashtag(li_world: LinkedInWorld, owner: User) -> None:
    connection = _connect(li_world, owner)
    text = _text("hello from the hub")
    post = create_post(user=owner, text=text, connections=[connection])
    _run_due()
    delivery = post.deliveries.get()
    assert delivery.state == S.SENT, delivery.last_error
    [made] = _live(li_world, connection.remote_id)
    assert made["urn"] == delivery.remote_id
    assert made["text"] == text
    assert delivery.remote_url == f"https://www.linkedin.com/feed/update/{made['urn']}/"


def test_an_answer_lost_after_linkedin_posted_is_settled(li_world: LinkedInWorld,
                                                         owner: User, settings: Any) -> None:
    settings.HUBBUB_HTTP_TIMEOUT = 1.0
    connection = _connect(li_world, owner)
    li_world.peer.fail_next("POST", "/rest/posts", "drop_after")
    post = create_post(user=owner, text=_text("lost answer"), connections=[connection])
    _run_due()
    delivery = post.deliveries.get()
    assert delivery.state == S.UNKNOWN
    _run_due()  # the settle: find_published reads the author's own posts
    delivery.refresh_from_db()
    assert delivery.state == S.SENT, delivery.last_error
    [made] = _live(li_world, connection.remote_id)
    assert made["urn"] == delivery.remote_id


def test_an_ended_login_waits_for_a_reconnect(li_world: LinkedInWorld, owner: User) -> None:
    connection = _connect(li_world, owner)
    li_world.peer.expire_tokens()
    post = create_post(user=owner, text=_text("too late"), connections=[connection])
    _run_due()
    delivery = post.deliveries.get()
    assert delivery.state == S.SCHEDULED
    connection.refresh_from_db()
    assert connection.health == Health.NEEDS_RECONNECT
    assert "reconnect" in connection.health_detail.lower()
    assert _live(li_world, connection.remote_id) == []


def test_the_composer_checks_linkedin_by_its_rules(li_world: LinkedInWorld,
                                                   owner: User) -> None:
    connection = _connect(li_world, owner)
    caps = capabilities_for(connection)
    connector = get_connector("linkedin")
    assert connector.validate(Draft(text="(" * 1500), caps).ok
    over = connector.validate(Draft(text="(" * 1501), caps)
    assert [p.code for p in over.problems] == ["too_long"]
