"""The X stand-in as a test peer: a separate server process (tests/peers/process.py) and
`XPeer`, the object the `x_peer` fixture hands to tests. It talks to the control surface
(/_standin/...), never to the code under test."""

from __future__ import annotations

import base64
import hashlib
import re
import secrets
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from tests.peers.standin_control import StandInPeer
from tests.peers.standin_control import callback_params as callback_params


@dataclass(frozen=True)
class XUser:
    id: str
    username: str
    name: str


@dataclass(frozen=True)
class XTokens:
    access_token: str
    refresh_token: str | None
    expires_in: int
    scope: str


class XPeer(StandInPeer):
    """A running stand-in. `base_url` serves api.x.com's /2/... paths and x.com's
    /i/oauth2/authorize page from one loopback origin.

    fail_next: path is a concrete path or the document's template (e.g.
    /2/users/{id}/mentions); kind "500", "502", "503", "504", "429" (options reset=epoch),
    "402" (credits depleted), "usage_cap" (429 usage-capped), "401", "drop" (reset before the
    request is handled), "drop_after" (handled, then reset: the post exists but no answer
    came), "hold" / "hold_after" (the connection hangs up to options seconds=30), "delay"
    (seconds=, then normal).
    settings: access_level ("pay_per_use" | "free"), credits (int | None), usage_cap (bool),
    rate_limits_enabled, token_seconds, code_seconds, allow_plain_pkce,
    revoke_family_on_reuse, processing_polls, processing_fails, signed_in (user id).
    requests: every API request seen (method, path, query, status), in order."""

    process_name = "x-standin"
    server_module = "tests.peers.x.server"

    @property
    def authorize_url(self) -> str:
        return self.base_url + "/i/oauth2/authorize"

    @property
    def token_url(self) -> str:
        return self.base_url + "/2/oauth2/token"

    @property
    def revoke_url(self) -> str:
        return self.base_url + "/2/oauth2/revoke"

    # --- control surface ---------------------------------------------------------------------
    def create_app(self, redirect_uri: str | list[str], *, confidential: bool = True,
                   name: str = "hubbub") -> tuple[str, str | None]:
        """Register an app; returns (client_id, client_secret). A public client (confidential
        False) has no secret."""
        uris = [redirect_uri] if isinstance(redirect_uri, str) else list(redirect_uri)
        found = self._call("POST", "apps", {"redirect_uris": uris, "confidential": confidential,
                                            "name": name})
        return found["client_id"], found["client_secret"]

    def create_user(self, username: str | None = None, *, name: str | None = None,
                    description: str = "", url: str = "") -> XUser:
        """A user; `description` (the bio) and `url` (the website) as the person typed them:
        answered as X does, each address through t.co with its expanded_url (render.py)."""
        found = self._call("POST", "users", {"username": username or _username(),
                                             "name": name, "description": description,
                                             "url": url})
        return XUser(found["id"], found["username"], found["name"])

    def token_for(self, user: XUser, app: str | tuple[str, str | None],
                  scopes: list[str] | str) -> XTokens:
        """Tokens as if `user` had approved `app` (a client id, or create_app's pair) for
        `scopes`, without the consent page. A refresh token only with offline.access."""
        client_id = app if isinstance(app, str) else app[0]
        wanted = scopes.split() if isinstance(scopes, str) else list(scopes)
        found = self._call("POST", "tokens", {"user_id": user.id, "client_id": client_id,
                                              "scopes": wanted})
        return XTokens(found["access_token"], found["refresh_token"], found["expires_in"],
                       found["scope"])

    def post_as(self, user: XUser, text: str, *, reply_to: str | None = None,
                quote_of: str | None = None, age_seconds: float = 0) -> dict[str, Any]:
        """A post by someone else (or anyone), straight into the store."""
        result: dict[str, Any] = self._call("POST", "posts", {
            "user_id": user.id, "text": text, "reply_to": reply_to, "quote_of": quote_of,
            "age_seconds": age_seconds})
        return result

    def follow(self, user: XUser, target: XUser) -> None:
        self._call("POST", "follow", {"user_id": user.id, "target_id": target.id})

    def like_as(self, user: XUser, post_id: str) -> None:
        self._call("POST", "like", {"user_id": user.id, "post_id": post_id})

    def posts(self, user: XUser | None = None) -> list[dict[str, Any]]:
        """Posts as stored (newest first), deleted ones included with deleted=True."""
        params = {"user_id": user.id} if user else None
        result: list[dict[str, Any]] = self._call("GET", "posts", params=params)
        return result

    def media(self, user: XUser | None = None) -> list[dict[str, Any]]:
        params = {"user_id": user.id} if user else None
        result: list[dict[str, Any]] = self._call("GET", "media", params=params)
        return result

    def set_rate_limit(self, method: str, path: str, limit: int, window: int = 900) -> None:
        """Replace one endpoint's per-user limit (path: the document's template)."""
        self._call("POST", "rate_limit", {"method": method, "path": path, "limit": limit,
                                          "window": window})

    def expire_tokens(self, user: XUser | None = None) -> int:
        """Every access token (of `user`) expires now; codes not yet exchanged too."""
        body = {"user_id": user.id} if user else {}
        return int(self._call("POST", "expire_tokens", body)["expired"])

    def revoke_app(self, user: XUser, client_id: str) -> None:
        """The person removes the app in X's settings: its tokens stop working."""
        self._call("POST", "revoke_app", {"user_id": user.id, "client_id": client_id})

    def validation_errors(self, clear: bool = False) -> list[dict[str, Any]]:
        """Every request or answer that broke X's OpenAPI document, in order."""
        return self._log("validation_errors", clear)

    def authorizations(self) -> list[dict[str, Any]]:
        """Every consent page shown: client_id, redirect_uri, scope, state, method."""
        return self._log("authorizations")

    # --- playing the person, without a browser -----------------------------------------------
    def authorize(self, authorize_url: str, user: XUser, *, approve: bool = True) -> str:
        """Open the consent page at `authorize_url` as `user` and press "Authorize app" (or
        "Cancel"); returns the callback URL the browser would be sent to."""
        page = self.http.get(authorize_url, timeout=30)
        found = re.search(r"name=form value=([\w-]+)", page.text)
        if page.status_code != 200 or found is None:
            raise AssertionError(f"consent page answered {page.status_code}: {page.text}")
        answer = self.http.post(
            self.authorize_url,
            data={"form": found.group(1), "user_id": user.id,
                  "decision": "allow" if approve else "deny"},
            allow_redirects=False, timeout=30)
        if answer.status_code != 302:
            raise AssertionError(f"consent answered {answer.status_code}: {answer.text}")
        return answer.headers["location"]


def pkce_pair() -> tuple[str, str]:
    """(verifier, S256 challenge) for tests that play the client."""
    verifier = secrets.token_urlsafe(48)
    digest = hashlib.sha256(verifier.encode()).digest()
    return verifier, base64.urlsafe_b64encode(digest).decode().rstrip("=")


def authorize_link(peer: XPeer, client_id: str, redirect_uri: str, scopes: str, state: str,
                   challenge: str, method: str = "S256") -> str:
    return peer.authorize_url + "?" + urlencode({
        "response_type": "code", "client_id": client_id, "redirect_uri": redirect_uri,
        "scope": scopes, "state": state, "code_challenge": challenge,
        "code_challenge_method": method})


def _username() -> str:
    return "u" + secrets.token_hex(5)


def start_x_peer() -> XPeer:
    return XPeer.start()
