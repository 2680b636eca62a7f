"""The stand-in's OAuth 2.0 authorization code flow, userinfo and token introspection, played
as a client would."""

from __future__ import annotations

import requests

from tests.peers.linkedin.conftest import CALLBACK
from tests.peers.linkedin.peer import LinkedInPeer, authorize_link, callback_params

SCOPES = "openid profile email w_member_social"


def _exchange(peer: LinkedInPeer, app: tuple[str, str], code: str,
              redirect_uri: str = CALLBACK) -> requests.Response:
    return requests.post(peer.token_url, timeout=10, data={
        "grant_type": "authorization_code", "code": code, "redirect_uri": redirect_uri,
        "client_id": app[0], "client_secret": app[1]})


def _userinfo(peer: LinkedInPeer, token: str) -> requests.Response:
    return requests.get(peer.base_url + "/v2/userinfo", timeout=10,
                        headers={"Authorization": f"Bearer {token}"})


def test_the_whole_dance_gives_a_60_day_token_and_no_refresh_token(li_peer: LinkedInPeer) -> None:
    app = li_peer.create_app(CALLBACK)
    ann = li_peer.create_member("Ann Example", email="ann@example.org")
    url = li_peer.authorize(authorize_link(li_peer, app[0], CALLBACK, SCOPES, "s-1"), ann)
    assert url.startswith(CALLBACK + "?")
    params = callback_params(url)
    assert params["state"] == "s-1"
    answer = _exchange(li_peer, app, params["code"])
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["expires_in"] == 60 * 86400
    assert set(body["scope"].split(",")) == set(SCOPES.split())
    assert "refresh_token" not in body
    assert "refresh_token_expires_in" not in body
    assert len(body["access_token"]) >= 500
    info = _userinfo(li_peer, body["access_token"])
    assert info.status_code == 200
    assert info.json()["sub"] == ann.sub
    assert info.json()["name"] == "Ann Example"
    assert info.json()["email"] == "ann@example.org"
    assert info.json()["email_verified"] is True
    assert li_peer.authorizations()[-1]["scope"] == SCOPES


def test_cancel_redirects_with_user_cancelled_authorize(li_peer: LinkedInPeer) -> None:
    app = li_peer.create_app(CALLBACK)
    ann = li_peer.create_member()
    url = li_peer.authorize(authorize_link(li_peer, app[0], CALLBACK, SCOPES, "s-2"), ann,
                            approve=False)
    params = callback_params(url)
    assert params == {"error": "user_cancelled_authorize", "state": "s-2",
                      "error_description": "The user cancelled the authorization"}


def test_state_is_echoed_as_sent_so_a_client_can_see_a_mismatch(li_peer: LinkedInPeer) -> None:
    app = li_peer.create_app(CALLBACK)
    ann = li_peer.create_member()
    odd = "a b/c?d=&é"
    url = li_peer.authorize(authorize_link(li_peer, app[0], CALLBACK, SCOPES, odd), ann)
    assert callback_params(url)["state"] == odd
    assert callback_params(url)["state"] != "what-the-client-stored"


def test_a_redirect_uri_that_is_not_registered_gets_an_error_page(li_peer: LinkedInPeer) -> None:
    app = li_peer.create_app(CALLBACK)
    page = requests.get(authorize_link(li_peer, app[0], CALLBACK + "/", SCOPES), timeout=10,
                        allow_redirects=False)
    assert page.status_code == 400
    assert "redirect_uri does not match" in page.text
    assert "location" not in page.headers
    errors = li_peer.protocol_errors(clear=True)
    assert [e["rule"] for e in errors] == ["The redirect_uri does not match the registered value"]


def test_a_scope_the_app_lacks_is_refused_with_a_redirect(li_peer: LinkedInPeer) -> None:
    app = li_peer.create_app(CALLBACK)
    ann = li_peer.create_member()
    url = li_peer.authorize(authorize_link(
        li_peer, app[0], CALLBACK, SCOPES + " w_organization_social", "s-3"), ann)
    params = callback_params(url)
    assert params["error"] == "unauthorized_scope_error"
    assert "w_organization_social" in params["error_description"]
    assert params["state"] == "s-3"


def test_a_code_works_once_and_only_with_its_redirect_uri(li_peer: LinkedInPeer) -> None:
    app = li_peer.create_app([CALLBACK, CALLBACK + "2"])
    ann = li_peer.create_member()
    code = callback_params(li_peer.authorize(
        authorize_link(li_peer, app[0], CALLBACK, SCOPES), ann))["code"]
    assert _exchange(li_peer, app, code).status_code == 200
    again = _exchange(li_peer, app, code)
    assert again.status_code == 400
    assert again.json()["error"] == "invalid_request"
    code = callback_params(li_peer.authorize(
        authorize_link(li_peer, app[0], CALLBACK, SCOPES), ann))["code"]
    wrong = _exchange(li_peer, app, code, CALLBACK + "2")
    assert wrong.status_code == 400
    assert len(li_peer.protocol_errors(clear=True)) == 1
    assert _exchange(li_peer, app, code).status_code == 400  # spent by the wrong try


def test_the_secret_goes_in_the_form_body(li_peer: LinkedInPeer) -> None:
    app = li_peer.create_app(CALLBACK)
    ann = li_peer.create_member()
    code = callback_params(li_peer.authorize(
        authorize_link(li_peer, app[0], CALLBACK, SCOPES), ann))["code"]
    wrong = _exchange(li_peer, (app[0], app[1] + "x"), code)
    assert wrong.status_code == 401
    assert wrong.json() == {"error": "invalid_client",
                            "error_description": "Client authentication failed"}
    basic = requests.post(li_peer.token_url, timeout=10, auth=app, data={
        "grant_type": "authorization_code", "code": code, "redirect_uri": CALLBACK})
    assert basic.status_code == 400
    assert "client_id" in basic.json()["error_description"]
    assert len(li_peer.protocol_errors(clear=True)) == 1


def test_refresh_tokens_only_for_apps_approved_for_them(li_peer: LinkedInPeer) -> None:
    ann = li_peer.create_member()
    plain = li_peer.create_app(CALLBACK)
    approved = li_peer.create_app(CALLBACK, refresh_tokens=True)
    assert li_peer.token_for(ann, plain, SCOPES).refresh_token is None
    code = callback_params(li_peer.authorize(
        authorize_link(li_peer, approved[0], CALLBACK, SCOPES), ann))["code"]
    first = _exchange(li_peer, approved, code).json()
    assert first["refresh_token_expires_in"] == 365 * 86400
    li_peer.expire_tokens(ann)
    assert _userinfo(li_peer, first["access_token"]).status_code == 401
    renewed = requests.post(li_peer.token_url, timeout=10, data={
        "grant_type": "refresh_token", "refresh_token": first["refresh_token"],
        "client_id": approved[0], "client_secret": approved[1]})
    assert renewed.status_code == 200, renewed.text
    body = renewed.json()
    assert body["refresh_token"] == first["refresh_token"]  # kept, not rotated
    assert body["expires_in"] == 60 * 86400
    assert body["refresh_token_expires_in"] <= first["refresh_token_expires_in"]
    assert _userinfo(li_peer, body["access_token"]).status_code == 200
    refused = requests.post(li_peer.token_url, timeout=10, data={
        "grant_type": "refresh_token", "refresh_token": first["refresh_token"],
        "client_id": plain[0], "client_secret": plain[1]})
    assert refused.status_code == 400


def test_introspection_says_active_expired_and_revoked(li_peer: LinkedInPeer) -> None:
    ann = li_peer.create_member()
    app = li_peer.create_app(CALLBACK)
    token = li_peer.token_for(ann, app, SCOPES).access_token

    def status() -> dict[str, object]:
        answer = requests.post(li_peer.introspect_url, timeout=10, data={
            "client_id": app[0], "client_secret": app[1], "token": token})
        assert answer.status_code == 200
        result: dict[str, object] = answer.json()
        return result

    first = status()
    assert first["active"] is True
    assert first["status"] == "active"
    assert first["auth_type"] == "3L"
    li_peer.settings(token_seconds=10)
    li_peer.expire_tokens()
    assert status()["status"] == "expired"
    li_peer.revoke(ann)
    assert status()["status"] == "revoked"


def test_userinfo_tells_expired_revoked_and_invalid_tokens_apart(li_peer: LinkedInPeer) -> None:
    ann = li_peer.create_member()
    app = li_peer.create_app(CALLBACK)
    token = li_peer.token_for(ann, app, SCOPES).access_token
    assert _userinfo(li_peer, "nonsense").json()["serviceErrorCode"] == 65600
    li_peer.expire_tokens(ann)
    expired = _userinfo(li_peer, token)
    assert expired.status_code == 401
    assert expired.json()["code"] == "EXPIRED_ACCESS_TOKEN"
    other = li_peer.token_for(ann, app, SCOPES).access_token
    li_peer.revoke(ann, app[0])
    revoked = _userinfo(li_peer, other).json()
    assert revoked == {"status": 401, "serviceErrorCode": 65601, "code": "REVOKED_ACCESS_TOKEN",
                       "message": "The token used in the request has been revoked by the user"}


def test_userinfo_needs_openid_and_shows_only_what_the_scopes_allow(li_peer: LinkedInPeer) -> None:
    ann = li_peer.create_member()
    app = li_peer.create_app(CALLBACK)
    only_openid = _userinfo(li_peer, li_peer.token_for(ann, app, "openid").access_token)
    assert only_openid.json() == {"sub": ann.sub}
    no_openid = _userinfo(li_peer, li_peer.token_for(ann, app, "w_member_social").access_token)
    assert no_openid.status_code == 403
    assert no_openid.json()["code"] == "ACCESS_DENIED"
