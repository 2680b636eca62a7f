"""Facebook Login on the stand-in: the dialog (pages picked, cancel), the code exchange (single
use, exact redirect_uri), long-lived tokens, Page tokens, /debug_token, /me, permissions."""

from __future__ import annotations

from typing import Any

import pytest
import requests

from tests.peers.facebook.conftest import CALLBACK, Graph, Setup
from tests.peers.facebook.peer import FacebookPeer, callback_params, dialog_link


def _exchange(graph: Graph, app_id: str, secret: str, code: str,
              redirect: str = CALLBACK) -> requests.Response:
    return graph.call("GET", "/oauth/access_token", params={
        "client_id": app_id, "client_secret": secret, "redirect_uri": redirect, "code": code})


def test_login_with_page_picking(fb_peer: FacebookPeer, graph: Graph) -> None:
    app_id, secret = fb_peer.create_app(CALLBACK)
    ann = fb_peer.create_user("Ann")
    bakery = fb_peer.create_page("Bakery", admins=[ann])
    fb_peer.create_page("Choir", admins=[ann])
    url = fb_peer.authorize(dialog_link(fb_peer, app_id, CALLBACK, "st-1"), ann,
                            pages=[bakery])
    assert url.startswith(CALLBACK + "?")
    assert url.endswith("#_=_")
    params = callback_params(url.split("#")[0])
    assert params["state"] == "st-1"
    answer = _exchange(graph, app_id, secret, params["code"])
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["token_type"] == "bearer"
    assert 3600 <= body["expires_in"] <= 7200  # short-lived: "about an hour or two"
    accounts = graph.call("GET", "/me/accounts", body["access_token"]).json()
    assert [p["name"] for p in accounts["data"]] == ["Bakery"]
    assert "CREATE_CONTENT" in accounts["data"][0]["tasks"]
    assert accounts["data"][0]["access_token"].startswith("EAA")
    me = graph.call("GET", "/me", body["access_token"]).json()
    assert me == {"name": "Ann", "id": ann.id}
    shown = fb_peer.dialogs()[0]
    assert shown["scopes"] == ["pages_show_list", "pages_manage_posts",
                               "pages_read_engagement", "pages_manage_engagement"]


def test_cancel_redirects_with_the_documented_error(fb_peer: FacebookPeer) -> None:
    app_id, _ = fb_peer.create_app(CALLBACK)
    fb_peer.create_user("Ann")
    url = fb_peer.authorize(dialog_link(fb_peer, app_id, CALLBACK, "st-2"), approve=False)
    query = url.split("?", 1)[1].split("#")[0]
    assert query == ("error_reason=user_denied&error=access_denied"
                     "&error_description=Permissions+error&state=st-2")


def test_code_is_single_use_and_redirect_must_match(fb_peer: FacebookPeer,
                                                    graph: Graph) -> None:
    app_id, secret = fb_peer.create_app(CALLBACK)
    fb_peer.create_user("Ann")
    code = callback_params(fb_peer.authorize(
        dialog_link(fb_peer, app_id, CALLBACK, "s")).split("#")[0])["code"]
    wrong = _exchange(graph, app_id, secret, code, CALLBACK + "/other")
    assert wrong.status_code == 400
    assert wrong.json()["error"]["error_subcode"] == 36008
    assert _exchange(graph, app_id, secret, code).status_code == 200
    again = _exchange(graph, app_id, secret, code)
    error = again.json()["error"]
    assert (again.status_code, error["code"], error["error_subcode"]) == (400, 100, 36009)
    assert error["message"] == "This authorization code has been used."
    assert error["type"] == "OAuthException"
    assert error["fbtrace_id"]
    bad_secret = _exchange(graph, app_id, "nope", code).json()["error"]
    assert bad_secret["code"] == 1
    rules = [e["rule"] for e in fb_peer.protocol_errors(clear=True)]
    assert rules == ["redirect_uri differs from the dialog's",
                     "an authorization code used twice", "wrong client_secret"]


def test_dialog_refuses_unregistered_redirect(fb_peer: FacebookPeer) -> None:
    app_id, _ = fb_peer.create_app(CALLBACK)
    fb_peer.create_user("Ann")
    page = fb_peer.http.get(dialog_link(fb_peer, app_id, CALLBACK + "x", "s"), timeout=30)
    assert page.status_code == 400
    assert "URL blocked" in page.text
    assert "not whitelisted" in fb_peer.protocol_errors(clear=True)[0]["rule"]


def test_long_lived_exchange_gives_page_tokens_that_never_expire(fb_peer: FacebookPeer,
                                                                  graph: Graph) -> None:
    app = fb_peer.create_app(CALLBACK)
    ann = fb_peer.create_user("Ann")
    fb_peer.create_page("Bakery", admins=[ann])
    short = fb_peer.user_token_for(ann, app, long_lived=False)
    answer = graph.call("GET", "/oauth/access_token", params={
        "grant_type": "fb_exchange_token", "client_id": app.app_id,
        "client_secret": app.app_secret, "fb_exchange_token": short})
    assert answer.status_code == 200, answer.text
    long = answer.json()
    assert 59 * 86400 <= long["expires_in"] <= 61 * 86400
    page_token = graph.call("GET", "/me/accounts", long["access_token"]).json()["data"][0][
        "access_token"]
    short_page = graph.call("GET", "/me/accounts", short).json()["data"][0]["access_token"]
    app_token = graph.call("GET", "/oauth/access_token", params={
        "grant_type": "client_credentials", "client_id": app.app_id,
        "client_secret": app.app_secret}).json()["access_token"]
    assert app_token.startswith(app.app_id + "|")

    def debug(token: str) -> dict[str, Any]:
        data: dict[str, Any] = graph.call("GET", "/debug_token", app_token,
                          params={"input_token": token}).json()["data"]
        return data

    info = debug(page_token)
    assert (info["type"], info["expires_at"], info["is_valid"]) == ("PAGE", 0, True)
    assert info["profile_id"]
    assert "pages_manage_posts" in info["scopes"]
    assert debug(short_page)["expires_at"] > 0
    fb_peer.expire_tokens(ann)
    assert debug(short)["is_valid"] is False
    assert debug(short)["error"]["subcode"] == 463
    assert debug(page_token)["is_valid"] is True
    expired = graph.call("GET", "/me", short_page)
    assert expired.json()["error"]["code"] == 190
    assert expired.json()["error"]["error_subcode"] == 463


def test_permissions_and_revocation(setup: Setup) -> None:
    graph, peer = setup.graph, setup.peer
    rows = graph.call("GET", "/me/permissions", setup.user_token).json()["data"]
    assert {"permission": "pages_manage_posts", "status": "granted"} in rows
    assert graph.call("DELETE", "/me/permissions", setup.user_token).json() == {
        "success": True}
    for token in (setup.user_token, setup.page_token):
        error = graph.call("GET", "/me", token).json()["error"]
        assert (error["code"], error["error_subcode"]) == (190, 458)
    assert peer.protocol_errors() == []


@pytest.mark.parametrize(("action", "subcode"), [("change_password", 460),
                                                 ("log_out", 467), ("deauthorize", 458)])
def test_token_invalidations(setup: Setup, action: str, subcode: int) -> None:
    peer = setup.peer
    if action == "deauthorize":
        peer.deauthorize(setup.ann, setup.app)
    else:
        getattr(peer, action)(setup.ann)
    answer = setup.graph.call("GET", "/me", setup.page_token)
    assert answer.status_code == 400
    assert answer.json()["error"]["error_subcode"] == subcode
    assert "WWW-Authenticate" in answer.headers


def test_version_in_path(setup: Setup) -> None:
    for version in ("v21.0", "v26.0", "v19.0"):  # v19.0 expired: served by the oldest one
        plain = requests.get(f"{setup.peer.base_url}/{version}/me",
                             params={"access_token": setup.user_token}, timeout=30)
        assert plain.status_code == 200
    future = requests.get(f"{setup.peer.base_url}/v99.0/me",
                          params={"access_token": setup.user_token}, timeout=30)
    assert future.json()["error"]["code"] == 2500
    assert setup.peer.protocol_errors(clear=True)[0]["rule"] == "unknown path /v99.0/me"


def test_app_token_refusals(fb_peer: FacebookPeer, graph: Graph) -> None:
    app = fb_peer.create_app(CALLBACK)

    def ask(client_id: str, secret: str) -> dict[str, Any]:
        body: dict[str, Any] = graph.call("GET", "/oauth/access_token", params={
            "grant_type": "client_credentials", "client_id": client_id,
            "client_secret": secret}).json()
        return body

    assert ask(app.app_id, app.app_secret)["token_type"] == "bearer"
    assert ask("999", app.app_secret)["error"]["code"] == 101
    assert ask(app.app_id, "wrong")["error"]["message"] == "Error validating client secret."
    fb_peer.protocol_errors(clear=True)


def test_pages_not_ticked_or_not_administered_are_not_granted(fb_peer: FacebookPeer,
                                                               graph: Graph) -> None:
    app_id, secret = fb_peer.create_app(CALLBACK)
    ann = fb_peer.create_user("Ann")
    bob = fb_peer.create_user("Bob")
    fb_peer.create_page("Ann's", admins=[ann])
    bobs = fb_peer.create_page("Bob's", admins=[bob])
    url = fb_peer.authorize(dialog_link(fb_peer, app_id, CALLBACK, "s"), ann, pages=[bobs])
    code = callback_params(url.split("#")[0])["code"]
    token = _exchange(graph, app_id, secret, code).json()["access_token"]
    assert graph.call("GET", "/me/accounts", token).json() == {"data": []}
