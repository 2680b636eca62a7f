"""The owner's network apps page, and what the Connect page says about those networks."""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.urls import reverse

from hubbub.connections.models import NetworkApp
from hubbub.connections.network_apps import OPERATOR_APP_NETWORKS, app_credentials, save_app
from hubbub.networks import registry
from tests.peers.facebook.peer import FacebookPeer
from tests.web.app_fakes import FakeMetaConnector
from tests.web.conftest import PASSWORD

pytestmark = pytest.mark.django_db

SECRET = "s3cret-value-0123456789-wxyz"
APPS = reverse("connections:apps")
CONNECT = reverse("connections:connect")


@pytest.fixture(autouse=True)
def no_app_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for spec in OPERATOR_APP_NETWORKS.values():
        for name in spec.env_vars:
            monkeypatch.delenv(name, raising=False)
            monkeypatch.delenv(f"{name}_FILE", raising=False)


@pytest.fixture
def with_x_and_facebook(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setattr(registry, "CONNECTORS", {
        "fake": "tests.web.fakes.FakeConnector",
        "x": "tests.web.app_fakes.FakeXConnector",
        "facebook": "tests.web.app_fakes.FakeMetaConnector",
    })
    registry.get_connector.cache_clear()
    yield
    registry.get_connector.cache_clear()


@pytest.fixture
def other_in(other: User) -> Client:
    client = Client()
    assert client.login(username=other.username, password=PASSWORD)
    return client


def _save(client: Client, network: str, **fields: str) -> Any:
    data = {f"{network}-{k}": v for k, v in fields.items()}
    return client.post(reverse("connections:app_save", args=[network]), data)


def _card(html: str, network: str) -> str:
    match = re.search(rf'<section class="card app-card" id="app-{network}".*?</section>', html,
                      re.S)
    assert match, f"no card for {network}"
    return match.group(0)


def test_the_owner_sees_every_network_with_what_to_register(client_in: Client,
                                                            settings: Any) -> None:
    settings.PUBLIC_URL = "https://hub.example.org"
    html = client_in.get(APPS).content.decode()
    for spec in OPERATOR_APP_NETWORKS.values():
        card = _card(html, spec.slug)
        assert f"https://hub.example.org/connections/callback/{spec.slug}/" in card
        assert all(f"<code>{scope}</code>" in card for scope in spec.scopes)
        assert spec.portal_url in card
        assert "Not configured" in card
        assert "Connector coming soon" in card
    assert "<code>w_organization_social</code>" in _card(html, "linkedin")


def test_without_a_public_url_the_redirect_url_is_the_request_s(client_in: Client) -> None:
    html = client_in.get(APPS).content.decode()
    assert "http://testserver/connections/callback/x/" in html


def test_the_owner_saves_an_app_and_the_secret_never_comes_back(
        client_in: Client, caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.DEBUG):
        response = _save(client_in, "x", client_id="x-client", client_secret=SECRET)
    assert response.status_code == 302
    assert response["Location"] == f"{APPS}#app-x"
    app = app_credentials("x")
    assert app is not None
    assert (app.client_id, app.client_secret) == ("x-client", SECRET)
    html = client_in.get(APPS).content.decode()
    card = _card(html, "x")
    assert "Ready" in card
    assert "Saved the X app." in html
    assert "set, ends in …wxyz" in card
    assert SECRET not in html
    assert SECRET[:-4] not in html
    assert 'name="x-client_secret"' in card
    assert 'value="' + SECRET not in card
    assert SECRET not in caplog.text


def test_a_refused_form_keeps_nothing_and_renders_no_secret(client_in: Client) -> None:
    response = _save(client_in, "linkedin", client_id="has space", client_secret=SECRET)
    assert response.status_code == 400
    html = response.content.decode()
    assert "Client ID holds spaces, invisible or non-ASCII characters" in html
    assert SECRET not in html
    assert not NetworkApp.objects.exists()
    response = _save(client_in, "linkedin", client_id="ok", client_secret="")
    assert response.status_code == 400
    assert "This field is required." in _card(response.content.decode(), "linkedin")


def test_changing_only_the_id_keeps_the_secret(client_in: Client) -> None:
    save_app("facebook", "111", SECRET)
    assert "Leave it empty to keep the stored one." in client_in.get(APPS).content.decode()
    assert _save(client_in, "facebook", client_id="222", client_secret="").status_code == 302
    app = app_credentials("facebook")
    assert app is not None
    assert (app.client_id, app.client_secret) == ("222", SECRET)


def test_remove_forgets_the_saved_app(client_in: Client) -> None:
    save_app("threads", "111", SECRET)
    response = client_in.post(reverse("connections:app_remove", args=["threads"]))
    assert response.status_code == 302
    assert not NetworkApp.objects.exists()


def test_an_app_set_by_the_environment_is_read_only_here(
        client_in: Client, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HUBBUB_X_CLIENT_ID", "env-id")
    monkeypatch.setenv("HUBBUB_X_CLIENT_SECRET", SECRET)
    card = _card(client_in.get(APPS).content.decode(), "x")
    assert "Set by environment (read-only here)" in card
    assert "<form method=\"post\" action=\"/connections/apps/x/\"" not in card
    assert "env-id" in card
    assert SECRET not in card
    response = _save(client_in, "x", client_id="other", client_secret="other-secret")
    assert response.status_code == 302
    assert not NetworkApp.objects.exists()
    assert "set by the environment" in client_in.get(APPS).content.decode()


@pytest.mark.parametrize("how", ["get", "save", "remove", "check"])
def test_anyone_but_the_owner_is_refused(other_in: Client, how: str) -> None:
    save_app("x", "x-client", SECRET)
    if how == "get":
        response = other_in.get(APPS)
    elif how == "save":
        response = _save(other_in, "x", client_id="mine", client_secret="mine-secret-value")
    else:
        response = other_in.post(reverse(f"connections:app_{how}", args=["x"]))
    assert response.status_code == 404
    assert SECRET not in response.content.decode()
    assert "x-client" not in response.content.decode()
    app = app_credentials("x")
    assert app is not None
    assert (app.client_id, app.client_secret) == ("x-client", SECRET)


def test_someone_logged_out_is_sent_to_log_in(client: Client) -> None:
    response = client.get(APPS)
    assert response.status_code == 302
    assert "/accounts/login/" in response["Location"]


def test_an_unknown_network_is_404(client_in: Client) -> None:
    response = client_in.post(reverse("connections:app_save", args=["mastodon"]),
                              {"mastodon-client_id": "a", "mastodon-client_secret": "b"})
    assert response.status_code == 404


def test_connect_page_says_why_each_network_cannot_be_connected(
        client_in: Client, other_in: Client, with_x_and_facebook: None) -> None:
    html = client_in.get(CONNECT).content.decode()
    assert reverse("connections:connect_start", args=["fake"]) in html
    assert reverse("connections:connect_start", args=["x"]) not in html
    assert "The operator has not registered an X app yet." in html
    assert f'href="{APPS}#app-x"' in html  # the owner is shown where to register it
    for name in ("LinkedIn", "Instagram", "Threads"):
        assert f"This hub cannot connect {name} accounts yet." in html
    other_html = other_in.get(CONNECT).content.decode()
    assert "The operator has not registered an X app yet." in other_html
    assert "Ask whoever runs this hub to register one." in other_html
    assert APPS not in other_html


def test_with_an_app_the_network_can_be_connected(client_in: Client,
                                                  with_x_and_facebook: None) -> None:
    start = reverse("connections:connect_start", args=["x"])
    assert client_in.get(start).status_code == 409  # a stale link says why, too
    save_app("x", "x-client", SECRET)
    html = client_in.get(CONNECT).content.decode()
    assert start in html
    assert "The operator has not registered an X app yet." not in html
    assert client_in.get(start).status_code == 200


def test_x_cannot_be_checked_without_a_person_and_the_page_says_so(
        client_in: Client, with_x_and_facebook: None) -> None:
    save_app("x", "x-client", SECRET)
    card = _card(client_in.get(APPS).content.decode(), "x")
    assert "Check with" not in card
    assert "X cannot check an app without a person signing in" in card
    client_in.post(reverse("connections:app_check", args=["x"]))
    assert "the app is checked when someone first connects" in client_in.get(APPS).content.decode()


def test_a_meta_app_is_checked_with_meta(client_in: Client, with_x_and_facebook: None,
                                         monkeypatch: pytest.MonkeyPatch,
                                         fb_peer: FacebookPeer) -> None:
    save_app("facebook", "1234567890", SECRET)
    assert "Check with Facebook" in _card(client_in.get(APPS).content.decode(), "facebook")
    check = reverse("connections:app_check", args=["facebook"])
    fb_peer.create_app(app_id="1234567890", app_secret=SECRET)
    monkeypatch.setattr(FakeMetaConnector, "token_url",
                        fb_peer.graph_url + "/oauth/access_token")
    client_in.post(check)
    good = client_in.get(APPS).content.decode()
    save_app("facebook", "999", None)  # an app id Meta does not know
    client_in.post(check)
    bad = client_in.get(APPS).content.decode()
    assert "Facebook accepted the app (App ID 1234567890)." in good
    assert ("Facebook refused the app: Error validating application. Invalid application ID."
            in bad)
    assert len(fb_peer.requests()) == 2
    assert [e["rule"] for e in fb_peer.protocol_errors(clear=True)] == ["unknown client_id"]
    assert SECRET not in good + bad


@pytest.mark.parametrize("value", ["%00", "%ED%A0%80", "%FF%FE", "x" * 100_000, "a%0Ab",
                                   "%E2%80%8B"])
def test_hostile_values_are_refused_without_a_500(client_in: Client, value: str) -> None:
    for network in OPERATOR_APP_NETWORKS:
        for body in (f"{network}-client_id={value}&{network}-client_secret={value}",
                     f"{network}-client_id=ok&{network}-client_secret={value}",
                     f"{network}-client_id={value}&{network}-client_id=2&"
                     f"{network}-client_secret[]=3"):
            response = client_in.generic(
                "POST", reverse("connections:app_save", args=[network]), body.encode("ascii"),
                content_type="application/x-www-form-urlencoded")
            assert response.status_code == 400, (network, body[:40], response.status_code)
    assert not NetworkApp.objects.exists()


def test_the_connections_page_points_only_the_owner_to_network_apps(
        client_in: Client, other_in: Client) -> None:
    assert f'href="{APPS}"' in client_in.get(reverse("connections:list")).content.decode()
    assert APPS not in other_in.get(reverse("connections:list")).content.decode()
