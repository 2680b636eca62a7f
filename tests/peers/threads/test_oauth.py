"""Threads authorization on the stand-in: the Authorization Window (exact redirect URI, state
passed back, scopes recorded, Cancel's error redirect), the code exchange (single use, one
hour, same redirect_uri), long-lived tokens and their refresh (24 hours old, not expired),
expiry and deauthorization."""

from __future__ import annotations

import requests

from tests.peers.threads.conftest import CALLBACK, Graph
from tests.peers.threads.peer import ThreadsPeer, callback_params, window_link


def _exchange(graph: Graph, app_id: str, secret: str, code: str,
              redirect: str = CALLBACK) -> requests.Response:
    return graph.call("POST", "/oauth/access_token", data={
        "client_id": app_id, "client_secret": secret, "grant_type": "authorization_code",
        "redirect_uri": redirect, "code": code})


def test_the_whole_dance_gives_a_long_lived_token(threads_peer: ThreadsPeer,
                                                  graph: Graph) -> None:
    app_id, secret = threads_peer.create_app(CALLBACK)
    ann = threads_peer.create_user("ann", "Ann Example")
    url = threads_peer.authorize(window_link(threads_peer, app_id, CALLBACK, "st-1"))
    assert url.startswith(CALLBACK + "?")
    assert url.endswith("#_")
    params = callback_params(url[:-2])
    assert params["state"] == "st-1"
    shown = threads_peer.windows()[0]
    assert shown["scopes"] == ["threads_basic", "threads_content_publish",
                               "threads_read_replies", "threads_manage_replies"]
    answer = _exchange(graph, app_id, secret, params["code"])
    assert answer.status_code == 200, answer.text
    short = answer.json()
    assert short["user_id"] == int(ann.id)
    assert short["access_token"].startswith("TH")
    me = graph.call("GET", "/me", short["access_token"],
                    params={"fields": "id,username,name"}).json()
    assert me == {"id": ann.id, "username": "ann", "name": "Ann Example"}
    long = graph.call("GET", "/access_token", params={
        "grant_type": "th_exchange_token", "client_secret": secret,
        "access_token": short["access_token"]})
    assert long.status_code == 200, long.text
    body = long.json()
    assert body["token_type"] == "bearer"
    assert 60 * 86400 - 60 <= body["expires_in"] <= 60 * 86400
    assert graph.call("GET", "/me", body["access_token"]).json() == {"id": ann.id}


def test_cancel_redirects_with_the_error_and_state(threads_peer: ThreadsPeer) -> None:
    app_id, _ = threads_peer.create_app(CALLBACK)
    threads_peer.create_user("ann")
    url = threads_peer.authorize(window_link(threads_peer, app_id, CALLBACK, "st-2"),
                                 approve=False)
    assert url == (CALLBACK + "?error=access_denied&error_reason=user_denied"
                   "&error_description=The+user+denied+your+request.&state=st-2#_")


def test_the_redirect_uri_must_be_registered_exactly(threads_peer: ThreadsPeer) -> None:
    app_id, _ = threads_peer.create_app(CALLBACK)
    threads_peer.create_user("ann")
    page = requests.get(window_link(threads_peer, app_id, CALLBACK + "/", "s"), timeout=30,
                        allow_redirects=False)
    assert page.status_code == 400
    assert "redirect_uri" in page.text
    missing_basic = requests.get(window_link(threads_peer, app_id, CALLBACK, "s",
                                             ("threads_content_publish",)), timeout=30)
    assert missing_basic.status_code == 400
    assert "threads_basic" in missing_basic.text
    rules = [e["rule"] for e in threads_peer.protocol_errors(clear=True)]
    assert len(rules) == 2


def test_a_code_is_single_use_and_its_redirect_must_match(threads_peer: ThreadsPeer,
                                                          graph: Graph) -> None:
    app_id, secret = threads_peer.create_app([CALLBACK, CALLBACK + "2"])
    threads_peer.create_user("ann")
    code = callback_params(threads_peer.authorize(
        window_link(threads_peer, app_id, CALLBACK, None))[:-2])["code"]
    wrong = _exchange(graph, app_id, secret, code, redirect=CALLBACK + "2")
    assert wrong.status_code == 400
    assert wrong.json()["error_message"].startswith("Error validating verification code")
    assert _exchange(graph, app_id, secret, code).status_code == 200
    again = _exchange(graph, app_id, secret, code)
    assert again.json() == {"error_type": "OAuthException", "code": 400,
                            "error_message": "This authorization code has been used"}
    bad_secret = _exchange(graph, app_id, "nope", code)
    assert bad_secret.json()["error_message"] == "Error validating client secret."
    rules = {e["rule"] for e in threads_peer.protocol_errors(clear=True)}
    assert rules == {"redirect_uri differs from the window's",
                     "an authorization code used twice", "wrong client_secret"}


def test_a_code_lasts_an_hour(threads_peer: ThreadsPeer, graph: Graph) -> None:
    app_id, secret = threads_peer.create_app(CALLBACK)
    threads_peer.create_user("ann")
    code = callback_params(threads_peer.authorize(
        window_link(threads_peer, app_id, CALLBACK, "s"))[:-2])["code"]
    threads_peer.expire_tokens()  # codes not exchanged expire too
    answer = _exchange(graph, app_id, secret, code)
    assert answer.json()["error_message"] == "This authorization code has expired"


def test_refresh_needs_a_day_old_unexpired_long_lived_token(threads_peer: ThreadsPeer,
                                                            graph: Graph) -> None:
    app = threads_peer.create_app(CALLBACK)
    ann = threads_peer.create_user("ann")
    token = threads_peer.token_for(ann, app)

    def refresh(value: str) -> requests.Response:
        return graph.call("GET", "/refresh_access_token", params={
            "grant_type": "th_refresh_token", "access_token": value})

    young = refresh(token)
    assert young.status_code == 400
    assert young.json()["error"]["code"] == 100
    short = threads_peer.token_for(ann, app, long_lived=False)
    assert refresh(short).status_code == 400
    assert threads_peer.age_tokens(86400 + 5, ann) >= 1
    fresh = refresh(token)
    assert fresh.status_code == 200, fresh.text
    assert fresh.json()["expires_in"] > 60 * 86400 - 60
    assert graph.call("GET", "/me", fresh.json()["access_token"]).status_code == 200
    threads_peer.expire_tokens(ann)
    expired = refresh(token)
    assert expired.json()["error"]["code"] == 190
    assert expired.json()["error"]["error_subcode"] == 463
    rules = [e["rule"] for e in threads_peer.protocol_errors(clear=True)]
    assert rules[0].startswith("th_refresh_token on a token")
    assert rules[1] == "th_refresh_token with a short-lived token"


def test_deauthorized_and_expired_tokens_answer_190(threads_peer: ThreadsPeer,
                                                    graph: Graph) -> None:
    app = threads_peer.create_app(CALLBACK)
    ann = threads_peer.create_user("ann")
    token = threads_peer.token_for(ann, app)
    assert graph.call("GET", "/me", token).status_code == 200
    threads_peer.deauthorize(ann, app)
    gone = graph.call("GET", "/me", token).json()["error"]
    assert (gone["code"], gone["error_subcode"]) == (190, 458)
    other = threads_peer.token_for(ann, app)  # allowed again
    threads_peer.expire_tokens(ann)
    expired = graph.call("GET", "/me", other).json()["error"]
    assert (expired["code"], expired["error_subcode"]) == (190, 463)
    nothing = graph.call("GET", "/me").json()["error"]
    assert nothing["code"] == 104
    assert [e["rule"] for e in threads_peer.protocol_errors(clear=True)] == [
        "no access token"]


def test_app_token_from_client_credentials(threads_peer: ThreadsPeer, graph: Graph) -> None:
    app_id, secret = threads_peer.create_app(CALLBACK)
    answer = graph.call("GET", "/oauth/access_token", params={
        "client_id": app_id, "client_secret": secret, "grant_type": "client_credentials"})
    assert answer.json()["access_token"].startswith(f"TH|{app_id}|")


def test_debug_token_tells_whether_a_token_works(threads_peer: ThreadsPeer,
                                                 graph: Graph) -> None:
    app = threads_peer.create_app(CALLBACK)
    ann = threads_peer.create_user("ann")
    token = threads_peer.token_for(ann, app, ("threads_basic",))
    app_token = graph.call("GET", "/oauth/access_token", params={
        "client_id": app.app_id, "client_secret": app.app_secret,
        "grant_type": "client_credentials"}).json()["access_token"]

    def debug() -> dict[str, object]:
        answer = graph.call("GET", "/debug_token", app_token, params={"input_token": token})
        assert answer.status_code == 200, answer.text
        data: dict[str, object] = answer.json()["data"]
        return data

    live = debug()
    assert live["is_valid"] is True
    assert live["user_id"] == ann.id
    assert live["scopes"] == ["threads_basic"]
    threads_peer.deauthorize(ann, app)
    gone = debug()
    assert gone["is_valid"] is False
    assert gone["error"] == {"code": 190, "subcode": 458, "message": (
        f"Error validating access token: User {ann.id} has not authorized application "
        f"{app.app_id}.")}
