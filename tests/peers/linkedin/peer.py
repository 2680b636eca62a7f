"""The LinkedIn stand-in as a test peer: a separate server process (tests/peers/process.py) and
`LinkedInPeer`, the object the `li_peer` fixture hands to tests. It talks to the control
surface (/_standin/...), never to the code under test."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, urlencode

from tests.peers.linkedin.state import active_versions
from tests.peers.standin_control import StandInPeer
from tests.peers.standin_control import callback_params as callback_params

# A LinkedIn-Version the stand-in accepts (it takes the last 13 months): last month's.
VERSION = active_versions()[1]


@dataclass(frozen=True)
class LIMember:
    sub: str
    urn: str  # urn:li:person:{sub}
    name: str
    email: str


@dataclass(frozen=True)
class LIOrganization:
    id: int
    urn: str  # urn:li:organization:{id}
    name: str
    vanity: str


@dataclass(frozen=True)
class LITokens:
    access_token: str
    expires_in: int
    refresh_token: str | None
    refresh_token_expires_in: int | None
    scope: str  # comma-separated, as LinkedIn's token endpoint answers


class LinkedInPeer(StandInPeer):
    """A running stand-in. `base_url` serves www.linkedin.com's /oauth/v2/... and
    /dms-uploads/..., and api.linkedin.com's /v2/userinfo and /rest/... from one origin.

    fail_next: path is a concrete path, or a template: /rest/posts/{urn},
    /rest/images/{urn}, /rest/socialActions/{urn}/comments, /rest/organizations/{id}; kind
    "500", "502", "503", "504", "429" (options limit="APPLICATION" | "MEMBER"), "401"
    (reason="expired" | "revoked" | "invalid"), "drop" (reset before handling), "drop_after"
    (handled, then reset), "hold" / "hold_after" (hang up to seconds=30 or clear_faults()),
    "delay" (seconds=).
    settings: token_seconds (60 days), refresh_seconds (365 days), code_seconds (1800),
    versions (list of active YYYYMM; None = the last 13 months), processing_polls (1),
    duplicate_seconds (86400), signed_in (member sub the consent page selects).
    requests: method, path, query, linkedin_version, restli_protocol, body, status, at."""

    process_name = "linkedin-standin"
    server_module = "tests.peers.linkedin.server"

    @property
    def authorize_url(self) -> str:
        return self.base_url + "/oauth/v2/authorization"

    @property
    def token_url(self) -> str:
        return self.base_url + "/oauth/v2/accessToken"

    @property
    def introspect_url(self) -> str:
        return self.base_url + "/oauth/v2/introspectToken"

    # --- control surface -------------------------------------------------------------------
    def create_app(self, redirect_uri: str | list[str], *, scopes: list[str] | None = None,
                   refresh_tokens: bool = False, name: str = "hubbub") -> tuple[str, str]:
        """Register an app; returns (client_id, client_secret). `scopes`: the products' scopes
        it may ask for (default openid profile email w_member_social); `refresh_tokens`: the
        app is approved for programmatic refresh tokens (off, as for most apps)."""
        uris = [redirect_uri] if isinstance(redirect_uri, str) else list(redirect_uri)
        found = self._call("POST", "apps", {"redirect_uris": uris, "scopes": scopes,
                                            "refresh_tokens": refresh_tokens, "name": name})
        return found["client_id"], found["client_secret"]

    def create_member(self, name: str = "Ann Example", *, email: str | None = None) -> LIMember:
        found = self._call("POST", "members", {"name": name, "email": email})
        return LIMember(found["sub"], found["urn"], found["name"], found["email"])

    def create_organization(self, name: str, admins: list[LIMember] | None = None, *,
                            role: str = "ADMINISTRATOR") -> LIOrganization:
        """A page; each of `admins` holds `role` on it (ADMINISTRATOR by default)."""
        found = self._call("POST", "organizations", {
            "name": name, "admins": {m.sub: role for m in admins or []}})
        return LIOrganization(found["id"], found["urn"], found["name"], found["vanity"])

    def token_for(self, member: LIMember, app: str | tuple[str, str],
                  scopes: list[str] | str) -> LITokens:
        """Tokens as if `member` had allowed `app` for `scopes`, without the consent page."""
        client_id = app if isinstance(app, str) else app[0]
        wanted = scopes.replace(",", " ").split() if isinstance(scopes, str) else list(scopes)
        found = self._call("POST", "tokens", {"member_id": member.sub, "client_id": client_id,
                                              "scopes": wanted})
        return LITokens(found["access_token"], found["expires_in"], found["refresh_token"],
                        found["refresh_token_expires_in"], found["scope"])

    def post_as(self, author_urn: str, commentary: str, *, age_seconds: float = 0,
                content: dict[str, Any] | None = None) -> dict[str, Any]:
        """A post put straight into the store (someone else's, or one made elsewhere)."""
        result: dict[str, Any] = self._call("POST", "posts", {
            "author": author_urn, "commentary": commentary, "age_seconds": age_seconds,
            "content": content})
        return result

    def posts(self, author_urn: str | None = None) -> list[dict[str, Any]]:
        """Posts as stored, newest first, deleted ones too (deleted=True). `commentary` is the
        little text LinkedIn kept, `sent_commentary` what came in, `text` what people see, `cut`
        whether an unescaped reserved character cut it short."""
        params = {"author": author_urn} if author_urn else None
        result: list[dict[str, Any]] = self._call("GET", "posts", params=params)
        return result

    def images(self) -> list[dict[str, Any]]:
        result: list[dict[str, Any]] = self._call("GET", "images")
        return result

    def videos(self) -> list[dict[str, Any]]:
        """Videos as stored: id, owner, status, size (bytes received), declared_size, parts."""
        result: list[dict[str, Any]] = self._call("GET", "videos")
        return result

    def comments(self, post_urn: str | None = None) -> list[dict[str, Any]]:
        params = {"post": post_urn} if post_urn else None
        result: list[dict[str, Any]] = self._call("GET", "comments", params=params)
        return result

    def comment_as(self, member: LIMember | str, post_urn: str, text: str, *,
                   parent: str | None = None,
                   created_at: float | None = None) -> dict[str, Any]:
        """A comment (or a reply to `parent`, a comment URN) by a member or an organization
        (pass its URN), at `created_at` (epoch seconds) when given, else now."""
        actor = member if isinstance(member, str) else member.urn
        result: dict[str, Any] = self._call("POST", "comments", {
            "actor": actor, "post": post_urn, "text": text, "parent": parent,
            "created_at": created_at})
        return result

    def set_daily_limit(self, method: str, path: str, *, member: int | None = None,
                        application: int | None = None) -> None:
        """Replace one endpoint's daily limits (None: unlimited)."""
        self._call("POST", "daily_limit", {"method": method, "path": path, "member": member,
                                           "application": application})

    def expire_tokens(self, member: LIMember | None = None) -> int:
        """Every access token (of `member`) expires now; codes not yet exchanged too."""
        body = {"member_id": member.sub} if member else {}
        return int(self._call("POST", "expire_tokens", body)["expired"])

    def revoke(self, member: LIMember, client_id: str | None = None) -> int:
        """The member removes the app (or every app) from their permitted services."""
        return int(self._call("POST", "revoke", {"member_id": member.sub,
                                                 "client_id": client_id})["revoked"])

    def protocol_errors(self, clear: bool = False) -> list[dict[str, Any]]:
        """Every request that broke a documented rule: {method, path, query, status, rule}."""
        return self._log("protocol_errors", clear)

    def authorizations(self) -> list[dict[str, Any]]:
        """Every consent page shown: client_id, redirect_uri, scope, state, response_type."""
        return self._log("authorizations")

    # --- playing the member, without a browser -----------------------------------------------
    def authorize(self, authorize_url: str, member: LIMember, *, approve: bool = True) -> str:
        """Open the consent page at `authorize_url` as `member` and press "Allow" (or
        "Cancel"); returns the callback URL the browser would be sent to."""
        page = self.http.get(authorize_url, allow_redirects=False, timeout=30)
        if page.status_code == 302:
            return page.headers["location"]  # refused with a redirect (e.g. a scope)
        found = re.search(r"name=form value=([\w-]+)", page.text)
        if page.status_code != 200 or found is None:
            raise AssertionError(f"consent page answered {page.status_code}: {page.text}")
        answer = self.http.post(
            self.authorize_url,
            data={"form": found.group(1), "member_id": member.sub,
                  "decision": "allow" if approve else "cancel"},
            allow_redirects=False, timeout=30)
        if answer.status_code != 302:
            raise AssertionError(f"consent answered {answer.status_code}: {answer.text}")
        return answer.headers["location"]


def authorize_link(peer: LinkedInPeer, client_id: str, redirect_uri: str, scopes: str,
                   state: str | None = "st") -> str:
    params = {"response_type": "code", "client_id": client_id, "redirect_uri": redirect_uri,
              "scope": scopes}
    if state is not None:
        params["state"] = state
    return peer.authorize_url + "?" + urlencode(params, quote_via=quote)


def encoded(urn: str) -> str:
    """A URN as Rest.li 2.0 wants it in a path or query value."""
    return quote(urn, safe="")


def start_li_peer() -> LinkedInPeer:
    return LinkedInPeer.start()
