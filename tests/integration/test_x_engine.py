"""X through the whole hub, against the X stand-in: the connect pages, then create_post ->
scheduler -> engine.process -> connector, as the worker does it: a post, a thread split by X's
count, an expired login renewed on the way, an app the person removed, an answer lost after X
made the post, a duplicate refusal, the read-cost cap on a column."""

from __future__ import annotations

import secrets
from typing import Any
from urllib.parse import urlsplit

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.utils import timezone

from hubbub.connections.models import Connection, Health
from hubbub.connections.services import account_for, save_connection
from hubbub.jobs import scheduler
from hubbub.networks.base import Draft
from hubbub.networks.registry import get_connector
from hubbub.publishing import engine
from hubbub.publishing.customize import split_for
from hubbub.publishing.models import Delivery, DeliveryState
from hubbub.publishing.services import TargetCustom, create_post
from hubbub.publishing.target_drafts import validate_for_targets
from tests.integration.x_support import CALLBACK, XWorld, make_x_world
from tests.peers.x.peer import XPeer, XUser

pytestmark = pytest.mark.django_db
S = DeliveryState


# The callback the hub builds under Django's test client (no HUBBUB_PUBLIC_URL).
HUB_CALLBACK = "http://testserver/connections/callback/x/"


@pytest.fixture
def x_world(x_peer: XPeer, monkeypatch: pytest.MonkeyPatch) -> XWorld:
    return make_x_world(x_peer, monkeypatch, (CALLBACK, HUB_CALLBACK))


@pytest.fixture
def owner(db: None) -> User:
    return User.objects.create_user("owner", password="a-long-enough-password")


def _connect(world: XWorld, owner: User) -> tuple[Connection, XUser]:
    user, issued = world.person()
    connected = get_connector("x").connect_with_token(
        "", {"access_token": issued.access_token, "refresh_token": issued.refresh_token})
    return save_connection(owner, "x", connected), user


def _run_due() -> None:
    for pk, _ in scheduler.due_deliveries():
        engine.process(pk)


def _posted(world: XWorld, user: XUser) -> list[dict[str, Any]]:
    return [p for p in world.peer.posts(user) if not p["deleted"]]


def _text(what: str) -> str:
    return f"{what} {secrets.token_hex(4)}"


def test_connect_through_the_hubs_pages(x_world: XWorld, owner: User) -> None:
    client = Client()
    client.force_login(owner)
    page = client.get("/connections/connect/x/").content.decode()
    assert "X bills this hub&#x27;s app for every post it reads" in page
    response = client.post("/connections/connect/x/")  # one server: nothing to type
    assert response.status_code == 302, response.content.decode()[:500]
    authorize = response["Location"]
    assert authorize.startswith(x_world.peer.authorize_url)
    person = x_world.peer.create_user()
    callback = x_world.peer.authorize(authorize, person)
    parts = urlsplit(callback)
    response = client.get(f"{parts.path}?{parts.query}")
    assert response.status_code == 302
    connection = Connection.objects.get(user=owner, network="x")
    assert connection.handle == f"@{person.username}"
    assert connection.remote_id == person.id
    assert connection.credentials["refresh_token"] not in connection.credentials_enc


def test_a_post_goes_out_once(x_world: XWorld, owner: User) -> None:
    connection, user = _connect(x_world, owner)
    post = create_post(user=owner, text=_text("hello from the hub"), connections=[connection])
    _run_due()
    delivery = post.deliveries.get()
    assert delivery.state == S.SENT, delivery.last_error
    [made] = _posted(x_world, user)
    assert made["id"] == delivery.remote_id
    assert delivery.remote_url == f"https://x.com/{user.username}/status/{made['id']}"


def test_a_long_text_is_split_by_xs_count_and_posted_as_a_thread(
        x_world: XWorld, owner: User) -> None:
    connection, user = _connect(x_world, owner)
    text = " ".join(f"Sentence {n} has 字字 in it." for n in range(30))
    [check] = validate_for_targets(Draft(text=text), [connection]).values()
    assert [p.code for p in check.problems] == ["too_long"]
    parts = split_for(connection, text, "", numbered=True)
    assert len(parts) > 1
    assert all(check.limit >= validate_for_targets(Draft(text=p), [connection])[
        connection.pk].count for p in parts)
    post = create_post(user=owner, text=text, connections=[connection],
                       customize={connection.pk: TargetCustom(parts=parts)})
    _run_due()
    delivery = post.deliveries.get()
    assert delivery.state == S.SENT, delivery.last_error
    made = {p["id"]: p for p in _posted(x_world, user)}
    ids = [p["remote_id"] for p in delivery.parts_done]
    assert [made[i]["text"] for i in ids] == list(parts)
    assert [made[i]["reply_to"] for i in ids] == [None, *ids[:-1]]


def test_an_expired_login_is_renewed_and_stored_on_the_way(x_world: XWorld,
                                                            owner: User) -> None:
    connection, user = _connect(x_world, owner)
    before = connection.credentials
    x_world.peer.expire_tokens()
    post = create_post(user=owner, text=_text("after renewal"), connections=[connection])
    _run_due()
    delivery = post.deliveries.get()
    assert delivery.state == S.SENT, delivery.last_error
    stored = Connection.objects.get(pk=connection.pk).credentials
    assert stored["refresh_token"] != before["refresh_token"]
    assert stored["grant_id"] == before["grant_id"]
    assert len(_posted(x_world, user)) == 1


def test_an_app_the_person_removed_waits_for_a_reconnect(x_world: XWorld,
                                                         owner: User) -> None:
    connection, user = _connect(x_world, owner)
    x_world.peer.revoke_app(user, x_world.client_id)
    post = create_post(user=owner, text=_text("nobody home"), connections=[connection])
    _run_due()
    delivery = post.deliveries.get()
    assert delivery.state == S.SCHEDULED
    assert delivery.error_kind == "revoked"
    connection.refresh_from_db()
    assert connection.health == Health.NEEDS_RECONNECT
    assert _posted(x_world, user) == []


def test_an_answer_lost_after_x_posted_is_settled_by_reading_back(
        x_world: XWorld, owner: User, settings: Any) -> None:
    settings.HUBBUB_HTTP_TIMEOUT = 1.0
    connection, user = _connect(x_world, owner)
    x_world.peer.fail_next("POST", "/2/tweets", "drop_after")
    post = create_post(user=owner, text=_text("lost answer"), connections=[connection])
    _run_due()
    delivery = post.deliveries.get()
    assert delivery.state == S.UNKNOWN
    _run_due()  # the settle: find_published reads the account's own posts
    delivery.refresh_from_db()
    assert delivery.state == S.SENT, delivery.last_error
    [made] = _posted(x_world, user)
    assert made["id"] == delivery.remote_id


def test_a_500_after_x_stored_the_post_is_found_not_posted_twice(
        x_world: XWorld, owner: User) -> None:
    connection, user = _connect(x_world, owner)
    x_world.peer.fail_next("POST", "/2/tweets", "500")
    post = create_post(user=owner, text=_text("five hundred"), connections=[connection])
    _run_due()
    delivery = post.deliveries.get()
    assert delivery.state == S.UNKNOWN
    for _ in range(3):  # settle, and resend if X had not kept it
        Delivery.objects.filter(pk=delivery.pk).update(due_at=timezone.now())
        _run_due()
    delivery.refresh_from_db()
    assert delivery.state == S.SENT, delivery.last_error
    assert [p["id"] for p in _posted(x_world, user)] == [delivery.remote_id]


def test_a_duplicate_of_what_this_delivery_posted_counts_as_sent(
        x_world: XWorld, owner: User) -> None:
    connection, user = _connect(x_world, owner)
    text = _text("said twice")
    post = create_post(user=owner, text=text, connections=[connection])
    delivery = post.deliveries.get()
    # The first attempt made the post, but the hub never heard (prepared, then sent by hand).
    stored = engine.claim(delivery.pk, "w1")
    assert stored is not None
    connector, account = get_connector("x"), account_for(connection)
    prepared = {"0": connector.prepare(account, Draft(text=text), delivery.idempotency_key)}
    Delivery.objects.filter(pk=delivery.pk).update(prepared=prepared, state=S.SCHEDULED,
                                                   due_at=timezone.now())
    connector.publish(account, Draft(text=text), delivery.idempotency_key, (), prepared["0"])
    _run_due()  # X refuses the same text as a duplicate: it is found, and counts as sent
    delivery.refresh_from_db()
    assert delivery.state == S.SENT, delivery.last_error
    assert [p["id"] for p in _posted(x_world, user)] == [delivery.remote_id]


def test_a_duplicate_of_an_older_post_is_refused_with_a_sentence(
        x_world: XWorld, owner: User) -> None:
    connection, user = _connect(x_world, owner)
    text = _text("old news")
    old = x_world.peer.post_as(user, text, age_seconds=600)
    post = create_post(user=owner, text=text, connections=[connection])
    _run_due()
    delivery = post.deliveries.get()
    assert delivery.state == S.FAILED
    assert "duplicate" in delivery.last_error
    assert [p["id"] for p in _posted(x_world, user)] == [old["id"]]


def test_the_connections_page_shows_the_read_cost_and_the_cap_pauses_the_column(
        x_world: XWorld, owner: User) -> None:
    from hubbub.networks.x import costs
    from hubbub.timeline.models import Column, Deck
    from hubbub.timeline.polling import poll_feed
    from hubbub.timeline.selectors import ensure_feed

    costs.forget_checks()
    connection, user = _connect(x_world, owner)
    client = Client()
    client.force_login(owner)
    page = client.get("/connections/").content.decode()
    assert "No column reads this X account" in page
    home = ensure_feed(connection, "home")
    deck = Deck.objects.create(user=owner, name="deck")
    Column.objects.create(deck=deck, title="X home").feeds.set([home])
    friend = x_world.peer.create_user()
    x_world.peer.follow(user, friend)
    x_world.peer.post_as(friend, "worth reading")
    assert not poll_feed(home).error  # under the default cap ($10): read
    monthly = costs.estimate(connection.pk).monthly_usd
    page = client.get("/connections/").content.decode()
    assert f"would cost about ${monthly:,.2f} a month in X API reads" in page
    assert "the hub&#x27;s default cap of $10.00" in page
    costs.set_monthly_cap(connection, 1)
    reads = len(x_world.peer.requests())
    home.refresh_from_db()
    paused = poll_feed(home)
    assert "Paused to stay under your cap" in paused.error
    assert len(x_world.peer.requests()) == reads  # nothing was read, nothing billed
    home.refresh_from_db()
    assert "over your cap of $1.00" in home.last_error  # what the column shows
    page = client.get("/connections/").content.decode()
    assert "its columns are paused" in page
