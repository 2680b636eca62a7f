"""The stand-in's OAuth 2.0 Authorization Code flow with PKCE, played as a client would."""

from __future__ import annotations

import base64

import requests

from tests.peers.x.peer import XPeer, authorize_link, callback_params, pkce_pair

CALLBACK = "http://127.0.0.1:8000/connections/x/callback"
SCOPES = "tweet.read tweet.write users.read media.write offline.access"


def _basic(client_id: str, secret: str | None) -> dict[str, str]:
    raw = f"{client_id}:{secret}".encode()
    return {"Authorization": "Basic " + base64.b64encode(raw).decode()}


def _code(peer: XPeer, client_id: str, challenge: str, state: str = "s1") -> str:
    user = peer.create_user()
    url = peer.authorize(authorize_link(peer, client_id, CALLBACK, SCOPES, state, challenge),
                         user)
    params = callback_params(url)
    assert url.startswith(CALLBACK)
    assert params["state"] == state
    return params["code"]


def _exchange(peer: XPeer, app: tuple[str, str | None], code: str,
              verifier: str) -> requests.Response:
    return requests.post(peer.token_url, headers=_basic(*app), timeout=10, data={
        "grant_type": "authorization_code", "code": code, "redirect_uri": CALLBACK,
        "code_verifier": verifier})


def _refresh(peer: XPeer, app: tuple[str, str | None], refresh: str) -> requests.Response:
    return requests.post(peer.token_url, headers=_basic(*app), timeout=10,
                         data={"grant_type": "refresh_token", "refresh_token": refresh})


def _me(peer: XPeer, access: str) -> requests.Response:
    return requests.get(peer.base_url + "/2/users/me", timeout=10,
                        headers={"Authorization": f"Bearer {access}"})


def test_the_whole_dance_gives_tokens_that_work(x_peer: XPeer) -> None:
    app = x_peer.create_app(CALLBACK)
    verifier, challenge = pkce_pair()
    answer = _exchange(x_peer, app, _code(x_peer, app[0], challenge), verifier)
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["token_type"] == "bearer"
    assert body["expires_in"] == 7200
    assert set(body["scope"].split()) == set(SCOPES.split())
    assert body["refresh_token"]
    assert _me(x_peer, body["access_token"]).status_code == 200
    seen = x_peer.authorizations()[-1]
    assert seen["code_challenge_method"] == "S256"
    assert seen["redirect_uri"] == CALLBACK


def test_a_wrong_verifier_is_refused_and_spends_the_code(x_peer: XPeer) -> None:
    app = x_peer.create_app(CALLBACK)
    verifier, challenge = pkce_pair()
    code = _code(x_peer, app[0], challenge)
    wrong = _exchange(x_peer, app, code, verifier + "x")
    assert wrong.status_code == 400
    assert wrong.json()["error"] == "invalid_request"
    assert _exchange(x_peer, app, code, verifier).status_code == 400


def test_a_code_works_once(x_peer: XPeer) -> None:
    app = x_peer.create_app(CALLBACK)
    verifier, challenge = pkce_pair()
    code = _code(x_peer, app[0], challenge)
    assert _exchange(x_peer, app, code, verifier).status_code == 200
    again = _exchange(x_peer, app, code, verifier)
    assert again.status_code == 400
    assert again.json() == {"error": "invalid_request", "error_description":
                            "Value passed for the authorization code was invalid."}


def test_an_expired_code_is_refused(x_peer: XPeer) -> None:
    app = x_peer.create_app(CALLBACK)
    verifier, challenge = pkce_pair()
    code = _code(x_peer, app[0], challenge)
    x_peer.expire_tokens()
    assert _exchange(x_peer, app, code, verifier).status_code == 400


def test_a_confidential_client_must_authenticate(x_peer: XPeer) -> None:
    app = x_peer.create_app(CALLBACK)
    verifier, challenge = pkce_pair()
    code = _code(x_peer, app[0], challenge)
    bare = requests.post(x_peer.token_url, timeout=10, data={
        "grant_type": "authorization_code", "code": code, "redirect_uri": CALLBACK,
        "code_verifier": verifier, "client_id": app[0]})
    assert bare.status_code == 401
    assert bare.json()["error"] == "unauthorized_client"
    wrong = _exchange(x_peer, (app[0], "not-the-secret"), code, verifier)
    assert wrong.status_code == 401


def test_refresh_rotates_and_the_old_refresh_token_is_refused(x_peer: XPeer) -> None:
    app = x_peer.create_app(CALLBACK)
    verifier, challenge = pkce_pair()
    first = _exchange(x_peer, app, _code(x_peer, app[0], challenge), verifier).json()
    second = _refresh(x_peer, app, first["refresh_token"])
    assert second.status_code == 200, second.text
    rotated = second.json()
    assert rotated["refresh_token"] != first["refresh_token"]
    assert rotated["access_token"] != first["access_token"]
    reused = _refresh(x_peer, app, first["refresh_token"])
    assert reused.status_code == 400
    assert reused.json() == {"error": "invalid_request",
                             "error_description": "Value passed for the token was invalid."}
    # The rotated pair still works (a reuse does not revoke the family unless a test asks).
    assert _me(x_peer, rotated["access_token"]).status_code == 200
    assert _refresh(x_peer, app, rotated["refresh_token"]).status_code == 200


def test_reuse_can_be_set_to_revoke_the_whole_family(x_peer: XPeer) -> None:
    x_peer.settings(revoke_family_on_reuse=True)
    app = x_peer.create_app(CALLBACK)
    verifier, challenge = pkce_pair()
    first = _exchange(x_peer, app, _code(x_peer, app[0], challenge), verifier).json()
    rotated = _refresh(x_peer, app, first["refresh_token"]).json()
    assert _refresh(x_peer, app, first["refresh_token"]).status_code == 400
    assert _me(x_peer, rotated["access_token"]).status_code == 401
    assert _refresh(x_peer, app, rotated["refresh_token"]).status_code == 400


def test_no_refresh_token_without_offline_access(x_peer: XPeer) -> None:
    app = x_peer.create_app(CALLBACK)
    user = x_peer.create_user()
    tokens = x_peer.token_for(user, app, "tweet.read users.read")
    assert tokens.refresh_token is None
    assert x_peer.token_for(user, app, SCOPES).refresh_token


def test_expired_and_revoked_access_tokens_answer_401(x_peer: XPeer) -> None:
    app = x_peer.create_app(CALLBACK)
    user = x_peer.create_user()
    tokens = x_peer.token_for(user, app, SCOPES)
    assert _me(x_peer, tokens.access_token).status_code == 200
    x_peer.expire_tokens(user)
    expired = _me(x_peer, tokens.access_token)
    assert expired.status_code == 401
    assert expired.json()["title"] == "Unauthorized"
    fresh = x_peer.token_for(user, app, SCOPES)
    revoke = requests.post(x_peer.revoke_url, headers=_basic(*app), timeout=10,
                           data={"token": fresh.access_token})
    assert revoke.json() == {"revoked": True}
    assert _me(x_peer, fresh.access_token).status_code == 401
    other = x_peer.token_for(user, app, SCOPES)
    x_peer.revoke_app(user, app[0])
    assert _me(x_peer, other.access_token).status_code == 401
    assert other.refresh_token is not None
    assert _refresh(x_peer, app, other.refresh_token).status_code == 400


def test_the_consent_page_refuses_bad_requests_without_redirecting(x_peer: XPeer) -> None:
    client_id, _secret = x_peer.create_app(CALLBACK)
    x_peer.create_user()
    _verifier, challenge = pkce_pair()
    cases = {
        "unknown client_id": authorize_link(x_peer, "nope", CALLBACK, SCOPES, "s", challenge),
        "redirect_uri": authorize_link(x_peer, client_id, CALLBACK + "/", SCOPES, "s",
                                       challenge),
        "state is required": authorize_link(x_peer, client_id, CALLBACK, SCOPES, "",
                                            challenge),
        "S256": authorize_link(x_peer, client_id, CALLBACK, SCOPES, "s", challenge, "plain"),
        "invalid scope": authorize_link(x_peer, client_id, CALLBACK, "tweet.read bogus", "s",
                                        challenge),
    }
    for reason, url in cases.items():
        page = requests.get(url, timeout=10, allow_redirects=False)
        assert page.status_code == 400, reason
        assert "Location" not in page.headers
        assert reason in page.text


def test_cancel_redirects_with_access_denied_and_the_state(x_peer: XPeer) -> None:
    client_id, _secret = x_peer.create_app(CALLBACK)
    user = x_peer.create_user()
    _verifier, challenge = pkce_pair()
    url = x_peer.authorize(
        authorize_link(x_peer, client_id, CALLBACK, SCOPES, "st8", challenge), user,
        approve=False)
    assert callback_params(url) == {"error": "access_denied", "state": "st8"}


def test_a_public_client_sends_its_client_id(x_peer: XPeer) -> None:
    client_id, secret = x_peer.create_app(CALLBACK, confidential=False)
    assert secret is None
    verifier, challenge = pkce_pair()
    code = _code(x_peer, client_id, challenge)
    answer = requests.post(x_peer.token_url, timeout=10, data={
        "grant_type": "authorization_code", "code": code, "redirect_uri": CALLBACK,
        "code_verifier": verifier, "client_id": client_id})
    assert answer.status_code == 200, answer.text
