"""Facebook through the whole hub, against the stand-in: the connect pages (Facebook Login, the
Pages offered beside the first, one more picked), then create_post -> scheduler ->
engine.process -> connector as the worker does it; an answer lost after the post was made is
settled by reading the Page back; a revoked login waits for a reconnect."""

from __future__ import annotations

import secrets
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.test import Client

from hubbub.connections.models import Connection, Health
from hubbub.connections.services import save_connection
from hubbub.jobs import scheduler
from hubbub.networks.registry import get_connector
from hubbub.publishing import engine
from hubbub.publishing.models import Delivery, DeliveryState
from hubbub.publishing.services import create_post
from tests.integration.facebook_support import FBWorld, live_posts, make_fb_world
from tests.peers.facebook.peer import FacebookPeer

pytestmark = pytest.mark.django_db
S = DeliveryState


@pytest.fixture
def fb_world(fb_peer: FacebookPeer, monkeypatch: pytest.MonkeyPatch) -> FBWorld:
    return make_fb_world(fb_peer, monkeypatch)


@pytest.fixture
def owner(db: None) -> User:
    return User.objects.create_user("owner", password="a-long-enough-password")


def _run_due() -> None:
    for pk, _ in scheduler.due_deliveries():
        engine.process(pk)


def test_connect_pages_from_the_hub_and_post_to_them(fb_world: FBWorld, owner: User) -> None:
    user, pages = fb_world.person(pages=3)
    fb_world.peer.sign_in(user)
    client = Client()
    client.force_login(owner)
    start = client.post("/connections/connect/facebook/", {})
    assert start.status_code == 302, start.content[:500]
    back = fb_world.peer.authorize(start["Location"], user, pages=pages)
    answer = client.get("/connections/callback/facebook/?" + back.split("?", 1)[1]
                        .split("#", 1)[0])
    assert answer.status_code == 302
    # The first Page is the connection; the other two are offered on the choose page.
    [first] = Connection.objects.filter(user=owner, network="facebook")
    choose = client.get(answer["Location"])
    assert choose.status_code == 200
    offered = choose.content.decode().split('name="accounts" value="')[1:]
    numbers = [v.split('"', 1)[0] for v in offered]
    names = [v.split("<span>", 1)[1].split("<", 1)[0] for v in offered]
    assert len(numbers) == 2
    assert first.remote_id not in {p.id for p in pages if p.name in names}
    # The first one offered: it was numbered 0 once, which no id can be, and never connected.
    picked = client.post(answer["Location"], {"accounts": numbers[:1]})
    assert picked.status_code == 302
    connections = list(Connection.objects.filter(user=owner, network="facebook"))
    assert {c.handle for c in connections} == {first.handle, names[0]}
    text = f"From the hub {secrets.token_hex(4)}"
    create_post(user=owner, text=text, connections=connections)
    _run_due()
    states = list(Delivery.objects.values_list("state", flat=True))
    assert states == [S.SENT, S.SENT]
    posted = [p for page in pages for p in live_posts(fb_world.peer, page)]
    assert [str(p["message"]) for p in posted] == [text, text]
    urls = set(Delivery.objects.values_list("remote_url", flat=True))
    assert len(urls) == 2


def _connected(world: FBWorld, owner: User) -> tuple[Connection, Any, Any]:
    account, user, page = world.account()
    connected = get_connector("facebook").connect_with_token(
        "", {"access_token": account.credentials["access_token"]})
    return save_connection(owner, "facebook", connected), user, page


def test_a_lost_answer_is_settled_by_reading_the_page(fb_world: FBWorld, owner: User,
                                                      settings: Any) -> None:
    settings.HUBBUB_HTTP_TIMEOUT = 1.0
    connection, _, page = _connected(fb_world, owner)
    fb_world.peer.fail_next("POST", "/{page-id}/feed", "drop_after")
    post = create_post(user=owner, text=f"Lost {secrets.token_hex(4)}",
                       connections=[connection])
    _run_due()
    delivery = Delivery.objects.get(post=post)
    assert delivery.state == S.UNKNOWN
    _run_due()  # settle: find_published reads the Page
    delivery.refresh_from_db()
    assert delivery.state == S.SENT
    [stored] = live_posts(fb_world.peer, page)
    assert delivery.remote_id == stored["id"]


def test_a_changed_password_waits_for_a_reconnect(fb_world: FBWorld, owner: User) -> None:
    connection, user, page = _connected(fb_world, owner)
    fb_world.peer.change_password(user)
    create_post(user=owner, text=f"Waiting {secrets.token_hex(4)}", connections=[connection])
    _run_due()
    connection.refresh_from_db()
    assert connection.health == Health.NEEDS_RECONNECT
    delivery = Delivery.objects.get(connection=connection)
    assert delivery.state == S.SCHEDULED
    assert "password" in delivery.last_error
    assert live_posts(fb_world.peer, page) == []
