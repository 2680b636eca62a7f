"""Business Login for Instagram against the stand-in, over HTTP: the authorization window, the
code exchange, long-lived tokens, refresh, expiry and deauthorization."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from urllib.parse import parse_qs, urlencode

import requests

from tests.peers.instagram.conftest import CALLBACK, Graph, Images, Setup
from tests.peers.instagram.peer import InstagramPeer, authorize_link, callback_params


def _exchange(peer: InstagramPeer, app_id: str, secret: str, code: str,
              redirect_uri: str = CALLBACK) -> requests.Response:
    return requests.post(peer.api_url + "/oauth/access_token", data={
        "client_id": app_id, "client_secret": secret, "grant_type": "authorization_code",
        "redirect_uri": redirect_uri, "code": code}, timeout=30)


def test_allow_gives_a_single_use_code_then_short_and_long_tokens(
        instagram_peer: InstagramPeer) -> None:
    app_id, secret = instagram_peer.create_app(CALLBACK)
    ann = instagram_peer.create_user("ann.bakes")
    redirect = instagram_peer.authorize(authorize_link(instagram_peer, app_id, CALLBACK, "s1"))
    assert redirect.startswith(CALLBACK + "?")
    assert redirect.endswith("#_")
    params = callback_params(redirect.removesuffix("#_"))
    assert params["state"] == "s1"
    window = instagram_peer.windows()[-1]
    assert window["scopes"] == ["instagram_business_basic",
                                "instagram_business_content_publish",
                                "instagram_business_manage_comments"]

    first = _exchange(instagram_peer, app_id, secret, params["code"])
    assert first.status_code == 200, first.text
    row = first.json()["data"][0]
    assert row["permissions"].split(",") == window["scopes"]
    assert row["user_id"] != ann.id  # the app-scoped id, not the account id

    again = _exchange(instagram_peer, app_id, secret, params["code"])
    assert again.status_code == 400
    assert again.json()["error_type"] == "OAuthException"
    assert again.json()["error_message"] == "Matching code was not found or was already used"
    instagram_peer.protocol_errors(clear=True)

    short = row["access_token"]
    long = requests.get(instagram_peer.graph_root + "/access_token", params={
        "grant_type": "ig_exchange_token", "client_secret": secret, "access_token": short},
        timeout=30)
    assert long.status_code == 200, long.text
    assert long.json()["token_type"] == "bearer"
    assert long.json()["expires_in"] > 59 * 86400
    me = Graph(instagram_peer, long.json()["access_token"]).get("/me",
                                                                fields="user_id,username")
    assert me.json()["user_id"] == ann.id
    assert me.json()["username"] == "ann.bakes"
    assert me.json()["id"] == row["user_id"]


def test_cancel_redirects_with_the_documented_error_and_state(
        instagram_peer: InstagramPeer) -> None:
    app_id, _ = instagram_peer.create_app(CALLBACK)
    instagram_peer.create_user()
    redirect = instagram_peer.authorize(authorize_link(instagram_peer, app_id, CALLBACK, "x"),
                                        approve=False)
    params = callback_params(redirect.removesuffix("#_"))
    assert params == {"error": "access_denied", "error_reason": "user_denied",
                      "error_description": "The user denied your request.", "state": "x"}


def test_a_redirect_uri_not_registered_exactly_is_refused_without_a_redirect(
        instagram_peer: InstagramPeer) -> None:
    app_id, _ = instagram_peer.create_app(CALLBACK)
    instagram_peer.create_user()
    page = requests.get(authorize_link(instagram_peer, app_id, CALLBACK + "/", "s"),
                        allow_redirects=False, timeout=30)
    assert page.status_code == 400
    assert "redirect_uri" in page.text
    assert "location" not in page.headers
    assert [e["rule"] for e in instagram_peer.protocol_errors(clear=True)] == [
        "Invalid redirect_uri: it must match one of the app's valid OAuth redirect URIs "
        "exactly"]


def test_code_exchange_checks_secret_redirect_and_expiry(instagram_peer: InstagramPeer) -> None:
    app_id, secret = instagram_peer.create_app(CALLBACK)
    instagram_peer.create_user()
    code = callback_params(instagram_peer.authorize(authorize_link(
        instagram_peer, app_id, CALLBACK, "s")).removesuffix("#_"))["code"]
    assert _exchange(instagram_peer, app_id, "wrong", code).status_code == 400
    other = _exchange(instagram_peer, app_id, secret, code, CALLBACK + "?x=1")
    assert "redirect_uri" in other.json()["error_message"]
    instagram_peer.expire_tokens()
    expired = _exchange(instagram_peer, app_id, secret, code)
    assert expired.json()["error_message"] == "This authorization code has expired."
    assert len(instagram_peer.protocol_errors(clear=True)) == 2


def test_refresh_needs_a_long_lived_token_a_day_old(setup: Setup) -> None:
    peer = setup.peer
    young = peer.token_for(setup.ann, setup.app)
    refresh = peer.graph_root + "/refresh_access_token"
    early = requests.get(refresh, params={"grant_type": "ig_refresh_token",
                                          "access_token": young}, timeout=30)
    assert early.status_code == 400
    assert early.json()["error"]["code"] == 100
    old = peer.token_for(setup.ann, setup.app, age_seconds=25 * 3600)
    fresh = requests.get(refresh, params={"grant_type": "ig_refresh_token",
                                          "access_token": old}, timeout=30)
    assert fresh.status_code == 200, fresh.text
    assert fresh.json()["expires_in"] > 59 * 86400
    assert Graph(peer, fresh.json()["access_token"]).get("/me").status_code == 200
    assert len(peer.protocol_errors(clear=True)) == 1


def test_expired_password_and_removed_app_answer_190_with_subcodes(setup: Setup) -> None:
    peer = setup.peer
    assert setup.graph.get("/me").status_code == 200
    peer.expire_tokens(setup.ann)
    error = setup.graph.get("/me").json()["error"]
    assert (error["code"], error["error_subcode"]) == (190, 463)
    token = peer.token_for(setup.ann, setup.app)
    peer.change_password(setup.ann)
    assert Graph(peer, token).get("/me").json()["error"]["error_subcode"] == 460
    token = peer.token_for(setup.ann, setup.app)
    peer.deauthorize(setup.ann, setup.app)
    assert Graph(peer, token).get("/me").json()["error"]["error_subcode"] == 458
    bogus = Graph(peer, "nonsense").get("/me").json()["error"]
    assert bogus["code"] == 190
    assert "error_subcode" not in bogus
    assert bogus["type"] == "OAuthException"
    assert bogus["fbtrace_id"]


def test_deauthorize_posts_a_signed_request_to_the_callback(instagram_peer: InstagramPeer,
                                                           images: Images) -> None:
    hook = images.add("deauth", b"ok", content_type="text/plain")
    app = instagram_peer.create_app(CALLBACK, deauthorize_url=hook)
    ann = instagram_peer.create_user()
    info = instagram_peer.token_info(ann, app)
    answer = instagram_peer.deauthorize(ann, app)
    assert answer["invalidated"] == 1
    assert answer["callback"]["status"] == 200
    signed = answer["callback"]["signed_request"]
    assert [path for path, _ in images.posts] == ["/deauth"]
    assert parse_qs(images.posts[0][1].decode())["signed_request"] == [signed]
    assert signed.count(".") == 1
    sig, payload = signed.split(".")
    want = base64.urlsafe_b64encode(hmac.new(app.app_secret.encode(), payload.encode(),
                                             hashlib.sha256).digest()).decode().rstrip("=")
    assert sig == want
    data = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    assert data["user_id"] == info["user_id"]
    assert data["algorithm"] == "HMAC-SHA256"
    assert time.time() - data["issued_at"] < 3600


def test_flat_code_answer_and_window_rules(instagram_peer: InstagramPeer) -> None:
    instagram_peer.settings(code_answer="flat")
    app_id, secret = instagram_peer.create_app(CALLBACK)
    instagram_peer.create_user()
    link = authorize_link(instagram_peer, app_id, CALLBACK, "s", ["instagram_business_basic"])
    code = callback_params(instagram_peer.authorize(link).removesuffix("#_"))["code"]
    body = _exchange(instagram_peer, app_id, secret, code).json()
    assert body["permissions"] == ["instagram_business_basic"]
    assert set(body) == {"access_token", "user_id", "permissions"}
    assert isinstance(body["user_id"], int)

    old = requests.get(authorize_link(instagram_peer, app_id, CALLBACK, "s",
                                      ["business_basic"]), timeout=30)
    assert old.status_code == 400
    assert "Invalid Scopes: business_basic" in old.text
    stateless = instagram_peer.authorize_url + "?" + urlencode({
        "client_id": app_id, "redirect_uri": CALLBACK, "response_type": "code",
        "scope": "instagram_business_basic instagram_business_content_publish"})
    redirect = instagram_peer.authorize(stateless)
    assert "state" not in callback_params(redirect.removesuffix("#_"))
    assert instagram_peer.windows()[-1]["scopes"] == ["instagram_business_basic",
                                                      "instagram_business_content_publish"]
    rules = [e["rule"] for e in instagram_peer.protocol_errors(clear=True)]
    assert rules == ["Invalid Scopes: business_basic",
                     "no state: oauth-authorize offers it against CSRF"]


def test_the_long_lived_exchange_takes_only_a_live_short_token(setup: Setup) -> None:
    peer = setup.peer
    url = peer.graph_root + "/access_token"
    long = requests.get(url, params={"grant_type": "ig_exchange_token",
                                     "client_secret": setup.app.app_secret,
                                     "access_token": setup.token}, timeout=30)
    assert long.json()["error"]["code"] == 100
    short = peer.token_for(setup.ann, setup.app, long_lived=False)
    wrong = requests.get(url, params={"grant_type": "ig_exchange_token",
                                      "client_secret": "nope", "access_token": short},
                         timeout=30)
    assert wrong.status_code == 400
    peer.expire_tokens(setup.ann)
    late = requests.get(url, params={"grant_type": "ig_exchange_token",
                                     "client_secret": setup.app.app_secret,
                                     "access_token": short}, timeout=30)
    assert late.json()["error"]["error_subcode"] == 463
    assert len(peer.protocol_errors(clear=True)) == 2


def test_me_can_answer_as_the_get_started_page_prints_it(setup: Setup) -> None:
    plain = setup.graph.get("/me", fields="user_id,username").json()
    assert plain["user_id"] == setup.ann.id
    assert plain["username"] == "ann.bakes"
    setup.peer.settings(me_answer="data")
    wrapped = setup.graph.get("/me", fields="user_id,username").json()
    assert wrapped == {"data": [plain]}
