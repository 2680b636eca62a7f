"""Logins that end (credentials_expire_at, any network): "reconnect by <date>" two weeks
ahead on the connection and on each scheduled post the ended login would hold back; and one
sign-in offering several accounts (Connected.other_accounts), the person picking which."""

from __future__ import annotations

from datetime import timedelta

from django.contrib.auth.models import User
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from hubbub.connections.choose_views import OFFER_KEY
from hubbub.connections.models import Connection
from hubbub.publishing.models import Delivery, DeliveryState, Post
from tests.web.conftest import make_connection


def _scheduled(owner: User, connection: Connection, due_in: timedelta, text: str) -> None:
    when = timezone.now() + due_in
    post = Post.objects.create(user=owner, text=text, scheduled_for=when)
    Delivery.objects.create(post=post, connection=connection, state=DeliveryState.SCHEDULED,
                            due_at=when)


def test_connection_shows_reconnect_by_two_weeks_ahead(client_in: Client, owner: User) -> None:
    soon = make_connection(owner, "@soon@fake.example", remote_id="1")
    later = make_connection(owner, "@later@fake.example", remote_id="2")
    never = make_connection(owner, "@never@fake.example", remote_id="3")
    ends = timezone.now() + timedelta(days=10)
    Connection.objects.filter(pk=soon.pk).update(credentials_expire_at=ends)
    Connection.objects.filter(pk=later.pk).update(
        credentials_expire_at=timezone.now() + timedelta(days=30))
    html = client_in.get(reverse("connections:list")).content.decode()
    assert html.count("Reconnect by") == 1
    assert f"Reconnect by {timezone.localtime(ends):%-d %b %Y}" in html
    assert never.credentials_expire_at is None


def test_an_ended_login_says_so(client_in: Client, owner: User) -> None:
    gone = make_connection(owner)
    Connection.objects.filter(pk=gone.pk).update(
        credentials_expire_at=timezone.now() - timedelta(days=1))
    html = client_in.get(reverse("connections:list")).content.decode()
    assert "Its login has ended" in html


def test_scheduled_posts_after_the_end_say_reconnect(client_in: Client, owner: User) -> None:
    connection = make_connection(owner)
    Connection.objects.filter(pk=connection.pk).update(
        credentials_expire_at=timezone.now() + timedelta(days=20))
    _scheduled(owner, connection, timedelta(days=5), "before the end")
    _scheduled(owner, connection, timedelta(days=40), "after the end")
    html = client_in.get(reverse("publishing:posts")).content.decode()
    cards = html.split("<article")[1:]
    warned = [card for card in cards if "login ends before this is due" in card]
    assert len(warned) == 1
    assert "after the end" in warned[0]


def test_offered_accounts_are_connected_only_when_picked(client_in: Client,
                                                         owner: User) -> None:
    from hubbub.connections.choose_views import offer
    from hubbub.networks.base import Connected, Identity

    class Request:  # offer() only needs a session
        session = client_in.session

    request = Request()
    offer(request, "fake", tuple(  # type: ignore[arg-type]
        Connected("https://fake.example", {"access_token": "t", "author": f"page-{n}"},
                  Identity(f"page-{n}", f"Page {n}", f"Page {n}"))
        for n in range(3)))
    request.session.save()
    page = client_in.get(reverse("connections:choose", args=["fake"])).content.decode()
    assert "Page 0" in page
    assert "Page 2" in page
    assert "access_token" not in page
    response = client_in.post(reverse("connections:choose", args=["fake"]),
                              {"accounts": ["2", "x", "0", "99"]})
    assert response.status_code == 302
    assert list(Connection.objects.filter(user=owner).values_list("remote_id", flat=True)) \
        == ["page-1"]
    assert Connection.objects.get(remote_id="page-1").credentials["author"] == "page-1"
    assert OFFER_KEY not in client_in.session
    # Offered again (a reconnect), the account connected before comes ticked.
    offer(request, "fake", tuple(  # type: ignore[arg-type]
        Connected("https://fake.example", {"access_token": "t2", "author": f"page-{n}"},
                  Identity(f"page-{n}", f"Page {n}", f"Page {n}"))
        for n in range(2)))
    request.session.save()
    ticked = client_in.get(reverse("connections:choose", args=["fake"])).content.decode()
    assert 'value="2" checked' in ticked
    assert 'value="1" checked' not in ticked
    client_in.post(reverse("connections:choose", args=["fake"]), {"accounts": ["2"]})
    assert Connection.objects.get(remote_id="page-1").credentials["access_token"] == "t2"
    # Answered once: the offer is gone.
    again = client_in.post(reverse("connections:choose", args=["fake"]), {"accounts": ["1"]})
    assert again.status_code == 302
    assert Connection.objects.filter(user=owner).count() == 1
