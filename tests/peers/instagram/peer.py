"""The Instagram stand-in as a test peer: a separate server process (tests/peers/process.py)
and `InstagramPeer`, the object the `instagram_peer` fixture hands to tests. It talks to the
control surface (/_standin/...), never to the code under test."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from tests.peers.instagram.state import CURRENT_VERSION
from tests.peers.standin_control import StandInPeer
from tests.peers.standin_control import callback_params as callback_params

SCOPES = ("instagram_business_basic", "instagram_business_content_publish",
          "instagram_business_manage_comments")


@dataclass(frozen=True)
class IGUser:
    id: str  # the Instagram professional account id (/me user_id, /{ig-user-id}/media)
    username: str


@dataclass(frozen=True)
class IGApp:
    app_id: str
    app_secret: str

    def __iter__(self) -> Any:  # app_id, app_secret = instagram_peer.create_app(...)
        return iter((self.app_id, self.app_secret))


class InstagramPeer(StandInPeer):
    """A running stand-in; `base_url` serves www.instagram.com's /oauth/authorize,
    api.instagram.com's /oauth/access_token and graph.instagram.com's /{version}/... (and
    unversioned /access_token, /refresh_access_token, /me ...) from one loopback origin.
    README.md lists fault kinds and settings."""

    process_name = "instagram-standin"
    server_module = "tests.peers.instagram.server"
    version = CURRENT_VERSION

    @property
    def authorize_url(self) -> str:
        """Stands for https://www.instagram.com/oauth/authorize"""
        return f"{self.base_url}/oauth/authorize"

    @property
    def api_url(self) -> str:
        """Stands for https://api.instagram.com (POST /oauth/access_token)"""
        return self.base_url

    @property
    def graph_url(self) -> str:
        """Stands for https://graph.instagram.com/v26.0"""
        return f"{self.base_url}/{self.version}"

    @property
    def graph_root(self) -> str:
        """Stands for https://graph.instagram.com (unversioned: /access_token, ...)"""
        return self.base_url

    # --- control surface ---------------------------------------------------------------------
    def create_app(self, redirect_uri: str | list[str] | tuple[str, ...] = (), *,
                   name: str = "hubbub", app_id: str | None = None,
                   app_secret: str | None = None,
                   deauthorize_url: str | None = None) -> IGApp:
        """An Instagram app (Business Login settings: its valid OAuth redirect URIs, exact
        match; optionally a Deauthorize Callback URL); unpacks to (app_id, app_secret)."""
        uris = [redirect_uri] if isinstance(redirect_uri, str) else list(redirect_uri)
        body: dict[str, Any] = {"redirect_uris": uris, "name": name,
                                "deauthorize_url": deauthorize_url}
        if app_id is not None:
            body["app_id"] = app_id
        if app_secret is not None:
            body["app_secret"] = app_secret
        found = self._call("POST", "apps", body)
        return IGApp(found["app_id"], found["app_secret"])

    def create_user(self, username: str = "ann.example", *, name: str | None = None,
                    account_type: str = "BUSINESS") -> IGUser:
        """An Instagram account (BUSINESS, MEDIA_CREATOR or PERSONAL); the first one made is
        the one signed in to the authorization window."""
        found = self._call("POST", "users", {"username": username, "name": name,
                                             "account_type": account_type})
        return IGUser(found["id"], found["username"])

    def sign_in(self, user: IGUser) -> None:
        """The account the authorization window shows as signed in."""
        self.settings(signed_in=user.id)

    def token_for(self, user: IGUser, app: IGApp | str,
                  scopes: list[str] | tuple[str, ...] | str = SCOPES, *,
                  long_lived: bool = True, age_seconds: float = 0) -> str:
        """An Instagram User access token as if `user` had allowed `app` in the window,
        without the window; `age_seconds` makes it that old (a refresh needs 24 hours)."""
        return str(self.token_info(user, app, scopes, long_lived=long_lived,
                                   age_seconds=age_seconds)["access_token"])

    def token_info(self, user: IGUser, app: IGApp | str,
                   scopes: list[str] | tuple[str, ...] | str = SCOPES, *,
                   long_lived: bool = True, age_seconds: float = 0) -> dict[str, Any]:
        """token_for's whole answer: access_token, expires_in, user_id (app-scoped)."""
        app_id = app if isinstance(app, str) else app.app_id
        wanted = scopes.replace(",", " ").split() if isinstance(scopes, str) else list(scopes)
        result: dict[str, Any] = self._call("POST", "tokens", {
            "user_id": user.id, "app_id": app_id, "scopes": wanted, "long_lived": long_lived,
            "age_seconds": age_seconds})
        return result

    def comment_as(self, media_id: str, text: str, *, username: str = "a_follower",
                   user: IGUser | None = None, reply_to: str | None = None,
                   created_at: float | None = None) -> dict[str, Any]:
        """Someone comments on `media_id` (or replies to comment `reply_to`), at `created_at`
        (epoch seconds) when given, else now."""
        result: dict[str, Any] = self._call("POST", "comments", {
            "media_id": media_id, "text": text, "username": username,
            "user_id": user.id if user else None, "parent_id": reply_to,
            "created_at": created_at})
        return result

    def media(self, user: IGUser | None = None) -> list[dict[str, Any]]:
        """Published media, newest first (carousel children too, with parent_id)."""
        return self._log_q("media", user)

    def containers(self, user: IGUser | None = None) -> list[dict[str, Any]]:
        """Every media container made, oldest first."""
        return self._log_q("containers", user)

    def comments(self, media_id: str | None = None) -> list[dict[str, Any]]:
        params = {"media_id": media_id} if media_id else None
        result: list[dict[str, Any]] = self._call("GET", "comments", params=params)
        return result

    def _log_q(self, action: str, user: IGUser | None) -> list[dict[str, Any]]:
        params = {"user_id": user.id} if user else None
        result: list[dict[str, Any]] = self._call("GET", action, params=params)
        return result

    def expire_tokens(self, user: IGUser | None = None) -> int:
        """Every token (of `user`) and every unused code expires now: 190/463."""
        body = {"user_id": user.id} if user else {}
        return int(self._call("POST", "expire_tokens", body)["expired"])

    def expire_containers(self, user: IGUser | None = None) -> int:
        """Every unpublished container expires now (status_code EXPIRED)."""
        body = {"user_id": user.id} if user else {}
        return int(self._call("POST", "expire_containers", body)["expired"])

    def change_password(self, user: IGUser) -> int:
        """Every token of `user` answers 190/460 from now on."""
        return int(self._call("POST", "invalidate", {"user_id": user.id})["invalidated"])

    def deauthorize(self, user: IGUser, app: IGApp | str) -> dict[str, Any]:
        """The person removes the app: tokens answer 190/458; the app's deauthorize URL gets
        a signed_request (the answer says what it answered under "callback")."""
        app_id = app if isinstance(app, str) else app.app_id
        result: dict[str, Any] = self._call("POST", "deauthorize",
                                            {"user_id": user.id, "app_id": app_id})
        return result

    def protocol_errors(self, clear: bool = False) -> list[dict[str, Any]]:
        """Every request that broke a documented rule: method, path, rule, status."""
        return self._log("protocol_errors", clear)

    def windows(self) -> list[dict[str, Any]]:
        """Every authorization window shown: client_id, redirect_uri, state, scopes, ..."""
        return self._log("windows")

    def deauthorizations(self) -> list[dict[str, Any]]:
        return self._log("deauthorizations")

    # --- playing the person, without a browser -----------------------------------------------
    def authorize(self, url: str, user: IGUser | None = None, *, approve: bool = True) -> str:
        """Open the authorization window at `url` as `user` (default: the signed-in account)
        and press Allow (or Cancel); returns the redirect URL (with Instagram's "#_")."""
        page = self.http.get(url, timeout=30)
        form = re.search(r"name=form value=([\w-]+)", page.text)
        signed = re.search(r"name=user_id value=(\d+)", page.text)
        if page.status_code != 200 or form is None or signed is None:
            raise AssertionError(f"authorization window answered {page.status_code}: "
                                 f"{page.text}")
        answer = self.http.post(self.authorize_url, data={
            "form": form.group(1), "user_id": user.id if user else signed.group(1),
            "decision": "allow" if approve else "cancel"}, allow_redirects=False, timeout=30)
        if answer.status_code != 302:
            raise AssertionError(f"authorization window answered {answer.status_code}: "
                                 f"{answer.text}")
        return str(answer.headers["location"])


def authorize_link(peer: InstagramPeer, app_id: str, redirect_uri: str, state: str,
                   scopes: list[str] | tuple[str, ...] = SCOPES) -> str:
    return peer.authorize_url + "?" + urlencode({
        "client_id": app_id, "redirect_uri": redirect_uri, "state": state,
        "response_type": "code", "scope": ",".join(scopes)})


def start_instagram_peer() -> InstagramPeer:
    return InstagramPeer.start()
