from __future__ import annotations

from datetime import timedelta
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from hubbub.connections.models import Connection, Health
from hubbub.connections.views import PENDING_KEY
from hubbub.publishing.models import Delivery, DeliveryState, Post
from tests.web.conftest import make_connection

pytestmark = pytest.mark.django_db


def _start(client: Client, server: str = "fake.example") -> Any:
    return client.post(reverse("connections:connect_start", args=["fake"]), {"server": server})


def test_list_shows_each_connection_with_its_health(client_in: Client, owner: User) -> None:
    make_connection(owner, "@ok@fake.example", remote_id="1")
    sick = make_connection(owner, "@sick@fake.example", remote_id="2")
    sick.health, sick.health_detail = Health.NEEDS_RECONNECT, "Token revoked"
    sick.save()
    slow = make_connection(owner, "@slow@fake.example", remote_id="3")
    slow.health = Health.RATE_LIMITED
    slow.rate_limited_until = timezone.now() + timedelta(minutes=5)
    slow.save()
    gone = make_connection(owner, "@gone@fake.example", remote_id="4")
    gone.disconnected_at = timezone.now()
    gone.save()
    html = client_in.get(reverse("connections:list")).content.decode()
    assert "@ok@fake.example" in html
    assert "Fakebook" in html
    assert "Needs reconnect" in html
    assert "Token revoked" in html
    assert "Rate-limited until" in html
    assert "@gone@fake.example" not in html


def test_connect_page_lists_the_networks(client_in: Client) -> None:
    html = client_in.get(reverse("connections:connect")).content.decode()
    assert "Fakebook" in html
    assert reverse("connections:connect_start", args=["fake"]) in html


def test_unknown_network_is_404(client_in: Client) -> None:
    assert client_in.get(reverse("connections:connect_start", args=["nope"])).status_code == 404


def test_connect_sends_to_the_network_and_remembers_the_state(client_in: Client) -> None:
    response = _start(client_in)
    assert response.status_code == 302
    target = urlsplit(response["Location"])
    assert target.hostname == "fake.example"
    query = parse_qs(target.query)
    assert query["redirect_uri"] == ["http://testserver/connections/callback/fake/"]
    state = query["state"][0]
    assert client_in.session[PENDING_KEY][state]["network"] == "fake"


def test_callback_uses_the_public_url_when_set(client_in: Client, settings: Any) -> None:
    settings.PUBLIC_URL = "https://hub.example.org"
    response = _start(client_in)
    query = parse_qs(urlsplit(response["Location"]).query)
    assert query["redirect_uri"] == ["https://hub.example.org/connections/callback/fake/"]


def test_full_connect_flow(client_in: Client, owner: User) -> None:
    state = parse_qs(urlsplit(_start(client_in)["Location"]).query)["state"][0]
    response = client_in.get(reverse("connections:callback", args=["fake"]),
                             {"state": state, "code": "abc"}, follow=True)
    assert "Connected @alice@fake.example" in response.content.decode()
    connection = Connection.objects.get(user=owner)
    assert connection.credentials == {"access_token": "tok-abc"}
    # The state works once only.
    again = client_in.get(reverse("connections:callback", args=["fake"]),
                          {"state": state, "code": "abc"}, follow=True)
    assert "state mismatch" in again.content.decode()


def test_every_end_of_a_sign_in_names_its_own_fragment(client_in: Client) -> None:
    """A browser keeps the callback's fragment through a redirect that has none, and Facebook's
    Login ends its redirect with `#_=_`: the hub's redirect names its own."""
    state = parse_qs(urlsplit(_start(client_in)["Location"]).query)["state"][0]
    callback = reverse("connections:callback", args=["fake"])
    done = client_in.get(callback, {"state": state, "code": "abc"})
    forged = client_in.get(callback, {"state": "forged", "code": "abc"})
    assert done["Location"] == forged["Location"] == f"{reverse('connections:list')}#main"


def test_state_mismatch_says_so(client_in: Client) -> None:
    _start(client_in)
    response = client_in.get(reverse("connections:callback", args=["fake"]),
                             {"state": "forged", "code": "abc"}, follow=True)
    html = response.content.decode()
    assert "This sign-in link has expired or was not started here (state mismatch)" in html
    assert not Connection.objects.exists()


def test_callback_without_a_started_flow(client_in: Client) -> None:
    response = client_in.get(reverse("connections:callback", args=["fake"]), follow=True)
    assert "state mismatch" in response.content.decode()


def test_refused_authorization_is_explained(client_in: Client) -> None:
    state = parse_qs(urlsplit(_start(client_in)["Location"]).query)["state"][0]
    response = client_in.get(
        reverse("connections:callback", args=["fake"]),
        {"state": state, "error": "access_denied", "error_description": "The user said no"},
        follow=True,
    )
    assert response.status_code == 200
    assert "The user said no" in response.content.decode()
    assert not Connection.objects.exists()


def test_a_wrong_address_gets_a_clear_message(client_in: Client) -> None:
    response = _start(client_in, "not a url")
    assert response.status_code == 400
    html = response.content.decode()
    assert "That address does not look right" in html
    assert 'value="not a url"' in html  # what was typed stays


def test_a_server_that_is_not_one_gets_a_clear_message(client_in: Client) -> None:
    response = _start(client_in, "nothing.example")
    assert response.status_code == 400
    assert "nothing.example does not answer like a server we know" in response.content.decode()


def test_reconnect_starts_over_at_the_same_server(client_in: Client,
                                                  connection: Connection) -> None:
    response = client_in.post(reverse("connections:reconnect", args=[connection.pk]))
    assert response.status_code == 302
    assert urlsplit(response["Location"]).hostname == "fake.example"
    assert client_in.get(reverse("connections:reconnect", args=[connection.pk])).status_code == 405


def test_disconnect_confirms_then_hides_and_cancels(client_in: Client, owner: User,
                                                    connection: Connection) -> None:
    post = Post.objects.create(user=owner, text="later")
    Delivery.objects.create(post=post, connection=connection, due_at=timezone.now())
    page = client_in.get(reverse("connections:disconnect", args=[connection.pk]))
    assert b"1 scheduled post for this account will be cancelled" in page.content
    response = client_in.post(reverse("connections:disconnect", args=[connection.pk]))
    assert response.status_code == 302
    connection.refresh_from_db()
    assert connection.disconnected_at is not None
    assert connection.credentials == {}
    assert Delivery.objects.get().state == DeliveryState.CANCELLED
    listing = client_in.get(reverse("connections:list")).content.decode()
    assert "Disconnected @alice@fake.example" in listing
    assert "No accounts connected yet" in listing


def test_another_users_connection_is_404(client: Client, other: User,
                                         connection: Connection) -> None:
    client.force_login(other)
    assert client.get(reverse("connections:disconnect", args=[connection.pk])).status_code == 404
    assert client.post(reverse("connections:disconnect", args=[connection.pk])).status_code == 404
    assert client.post(reverse("connections:reconnect", args=[connection.pk])).status_code == 404
    assert b"@alice@fake.example" not in client.get(reverse("connections:list")).content
    connection.refresh_from_db()
    assert connection.disconnected_at is None


def test_typed_credentials_connect(client_in: Client, owner: User,
                                   monkeypatch: pytest.MonkeyPatch) -> None:
    from hubbub.networks import registry

    monkeypatch.setitem(registry.CONNECTORS, "fakekey", "tests.web.fakes.FakeKeyConnector")
    registry.get_connector.cache_clear()
    url = reverse("connections:connect_start", args=["fakekey"])
    form = client_in.get(url).content.decode()
    for name in ("base_url", "handle", "app_password", "relays"):
        assert f'name="{name}"' in form
    assert 'type="password"' in form
    refused = client_in.post(url, {"handle": "ada", "app_password": "wrong"})
    assert refused.status_code == 400
    assert "refused that handle or app password" in refused.content.decode()
    assert 'value="wrong"' not in refused.content.decode()  # secrets are not echoed back
    response = client_in.post(url, {"handle": "ada", "app_password": "right-password",
                                    "relays": "wss://one.test\n\n wss://two.test "})
    assert response.status_code == 302
    connection = Connection.objects.get(user=owner, network="fakekey")
    assert connection.handle == "@ada"
    assert connection.credentials["relays"] == ["wss://one.test", "wss://two.test"]
    assert "right-password" not in connection.credentials_enc
    # Reconnecting a typed-credentials account goes back to its form.
    again = client_in.post(reverse("connections:reconnect", args=[connection.pk]))
    assert again["Location"] == url
