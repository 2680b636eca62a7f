"""Threads through the whole hub, against the stand-in: the connect pages (the Authorization
Window, the token stored encrypted), then create_post -> scheduler -> engine.process ->
connector as the worker does it, with the picture served from the hub's public address; a
thread of posts; a lost publish answer settled with the stored container and never posted
twice; a changed password waits for a reconnect; the daily limit holds the post."""

from __future__ import annotations

import io
import secrets
from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from PIL import Image

from hubbub.connections.models import Connection, Health
from hubbub.connections.services import save_connection
from hubbub.jobs import scheduler
from hubbub.networks.registry import get_connector
from hubbub.publishing import engine
from hubbub.publishing.models import Delivery, DeliveryState
from hubbub.publishing.services import NewMedia, create_post
from tests.integration.threads_support import ThreadsWorld, make_threads_world
from tests.peers.threads.peer import ThreadsPeer, ThreadsUser

pytestmark = pytest.mark.django_db(transaction=True)
S = DeliveryState


@pytest.fixture
def world(threads_peer: ThreadsPeer, monkeypatch: pytest.MonkeyPatch, settings: Any,
          live_server: Any, tmp_path: Path) -> ThreadsWorld:
    callbacks = (f"{live_server.url}/connections/callback/threads/",)
    return make_threads_world(threads_peer, monkeypatch, settings, live_server.url,
                              tmp_path / "media", callbacks)


@pytest.fixture
def owner(transactional_db: None) -> User:
    return User.objects.create_user("owner", password="a-long-enough-password")


def _run_due() -> None:
    for pk, _ in scheduler.due_deliveries():
        engine.process(pk)


def _png(name: str = "dot.png") -> NewMedia:
    out = io.BytesIO()
    Image.new("RGB", (12, 9), (10, 120, 200)).save(out, "PNG")
    return NewMedia(SimpleUploadedFile(name, out.getvalue(), content_type="image/png"),
                    "A blue dot")


def _connected(world: ThreadsWorld, owner: User) -> tuple[Connection, ThreadsUser]:
    account, user = world.account()
    connected = get_connector("threads").connect_with_token(
        "", {"access_token": account.credentials["access_token"]})
    return save_connection(owner, "threads", connected), user


def test_connect_from_the_hub_and_post_a_picture(world: ThreadsWorld, owner: User,
                                                 live_server: Any) -> None:
    user = world.person("hub_poster")
    world.peer.sign_in(user)
    client = Client()
    client.force_login(owner)
    start = client.post("/connections/connect/threads/", {})
    assert start.status_code == 302, start.content[:500]
    back = world.peer.authorize(start["Location"], user)
    answer = client.get("/connections/callback/threads/?" + back.split("?", 1)[1]
                        .split("#", 1)[0])
    assert answer.status_code == 302
    [connection] = Connection.objects.filter(user=owner, network="threads")
    assert (connection.remote_id, connection.handle) == (user.id, "@hub_poster")
    token = connection.credentials["access_token"]
    assert token not in connection.credentials_enc  # stored encrypted
    assert connection.credentials_expire_at is not None
    text = f"From the hub {secrets.token_hex(4)}"
    create_post(user=owner, text=text, connections=[connection], media=[_png()])
    _run_due()
    delivery = Delivery.objects.get(connection=connection)
    assert delivery.state == S.SENT, delivery.last_error
    [post] = world.live_posts(user)
    assert (post["id"], post["text"], post["alt_text"]) == (delivery.remote_id, text,
                                                            "A blue dot")
    [container] = world.peer.containers(user)
    assert container["fetched_from"].startswith(f"{live_server.url}/public/media/")
    assert delivery.prepared["0"]["stage"]["container"] == container["id"]


def test_a_thread_of_posts_answers_each_part(world: ThreadsWorld, owner: User) -> None:
    connection, user = _connected(world, owner)
    parts = [f"Part {n} {secrets.token_hex(3)}" for n in (1, 2, 3)]
    post = create_post(user=owner, text=" ".join(parts), connections=[connection])
    Delivery.objects.filter(post=post).update(parts=parts)
    _run_due()
    delivery = Delivery.objects.get(post=post)
    assert delivery.state == S.SENT, delivery.last_error
    ids = [p["remote_id"] for p in delivery.parts_done]
    stored = {p["id"]: p for p in world.live_posts(user)}
    assert [stored[i]["text"] for i in ids] == parts
    assert [stored[i]["reply_to"] for i in ids[1:]] == ids[:2]


@pytest.mark.parametrize("kind", ["drop_after", "drop"])
def test_a_lost_answer_is_settled_with_the_stored_container(world: ThreadsWorld, owner: User,
                                                            kind: str) -> None:
    connection, user = _connected(world, owner)
    world.peer.fail_next("POST", "/{user-id}/threads_publish", kind)
    post = create_post(user=owner, text=f"Lost {secrets.token_hex(4)}",
                       connections=[connection], media=[_png()])
    _run_due()
    delivery = Delivery.objects.get(post=post)
    assert delivery.state == S.UNKNOWN
    for _ in range(2):  # settle (found, or not and scheduled again), then publish if not
        _run_due()
    delivery.refresh_from_db()
    assert delivery.state == S.SENT, delivery.last_error
    [stored] = world.live_posts(user)
    assert delivery.remote_id == stored["id"]
    assert len(world.peer.containers(user)) == 1  # staged once, reused


def test_a_changed_password_waits_for_a_reconnect(world: ThreadsWorld, owner: User) -> None:
    connection, user = _connected(world, owner)
    world.peer.change_password(user)
    create_post(user=owner, text=f"Waiting {secrets.token_hex(4)}", connections=[connection])
    _run_due()
    connection.refresh_from_db()
    assert connection.health == Health.NEEDS_RECONNECT
    delivery = Delivery.objects.get(connection=connection)
    assert delivery.state == S.SCHEDULED
    assert "password" in delivery.last_error
    assert world.live_posts(user) == []


def test_the_daily_limit_holds_the_post(world: ThreadsWorld, owner: User) -> None:
    connection, user = _connected(world, owner)
    world.peer.use_quota(user, "posts", 250)
    create_post(user=owner, text=f"Held {secrets.token_hex(4)}", connections=[connection])
    _run_due()
    delivery = Delivery.objects.get(connection=connection)
    assert delivery.state == S.SCHEDULED
    assert "250" in delivery.last_error
    assert world.live_posts(user) == []
