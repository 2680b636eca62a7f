"""The Facebook stand-in as a test peer: a separate server process (tests/peers/process.py) and
`FacebookPeer`, the object the `fb_peer` fixture hands to tests. It talks to the control
surface (/_standin/...), never to the code under test."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode, urlsplit

from tests.peers.facebook.state import CURRENT_VERSION
from tests.peers.standin_control import StandInPeer
from tests.peers.standin_control import callback_params as callback_params

PAGE_SCOPES = ("pages_show_list", "pages_manage_posts", "pages_read_engagement",
               "pages_manage_engagement")


@dataclass(frozen=True)
class FBUser:
    id: str
    name: str


@dataclass(frozen=True)
class FBPage:
    id: str
    name: str


@dataclass(frozen=True)
class FBApp:
    app_id: str
    app_secret: str

    def __iter__(self) -> Any:  # (app_id, app_secret) = fb_peer.create_app(...)
        return iter((self.app_id, self.app_secret))


class FacebookPeer(StandInPeer):
    """A running stand-in. `base_url` serves www.facebook.com's /{version}/dialog/oauth and
    graph.facebook.com's /{version}/... from one loopback origin.

    fail_next: path is concrete (e.g. /123/feed) or a template: /{page-id}/feed,
    /{page-id}/photos, /{object-id}/comments, /{object-id}, /me/accounts,
    /oauth/access_token, /dialog/oauth; with or without the version. kind: a Graph error
    code "190" (options subcode=463|460|458|467), "4", "17", "32", "613" (usage headers at
    100%), "368", "200", "10", "100", "506", "1", "2" (HTTP 500 error objects),
    "500"/"502"/"503"/"504" (a bare HTTP error page), "drop" (reset before handling),
    "drop_after" (handled, then reset), "hold"/"timeout" and "hold_after" (hang up to
    seconds=30 or clear_faults()), "delay" (seconds=, then normal).
    settings: short_token_seconds (5400), long_token_seconds (60 days), code_seconds (600),
    app_calls_per_hour (200), page_calls_per_day (4800), usage_header_from (0),
    code_gives_long_lived (False), duplicate_seconds (86400), signed_in (user id),
    app_token_prefix ("": "TH|" answers client_credentials as graph.threads.net does).
    requests: every Graph or dialog request seen: method, path, version, query
    (access_token hidden), status, at."""

    process_name = "facebook-standin"
    server_module = "tests.peers.facebook.server"

    version = CURRENT_VERSION

    @property
    def graph_url(self) -> str:
        """Stands for https://graph.facebook.com/v26.0"""
        return f"{self.base_url}/{self.version}"

    @property
    def dialog_url(self) -> str:
        """Stands for https://www.facebook.com/v26.0/dialog/oauth"""
        return f"{self.base_url}/{self.version}/dialog/oauth"

    # --- control surface ---------------------------------------------------------------------
    def create_app(self, redirect_uri: str | list[str] | tuple[str, ...] = (), *,
                   name: str = "hubbub", app_id: str | None = None,
                   app_secret: str | None = None) -> FBApp:
        """Register an app with its Valid OAuth Redirect URIs (none for an app only checked
        with client_credentials), and the id and secret given (default: made up); unpacks to
        (app_id, secret)."""
        uris = [redirect_uri] if isinstance(redirect_uri, str) else list(redirect_uri)
        body: dict[str, Any] = {"redirect_uris": uris, "name": name}
        if app_id is not None:
            body["app_id"] = app_id
        if app_secret is not None:
            body["app_secret"] = app_secret
        found = self._call("POST", "apps", body)
        return FBApp(found["app_id"], found["app_secret"])

    def create_user(self, name: str = "Ann Example") -> FBUser:
        """A person; the first one created is the one signed in to the Login dialog."""
        found = self._call("POST", "users", {"name": name})
        return FBUser(found["id"], found["name"])

    def sign_in(self, user: FBUser) -> None:
        """The person the Login dialog shows as signed in."""
        self.settings(signed_in=user.id)

    def create_page(self, name: str, admins: list[FBUser], *, tasks: list[str] | None = None,
                    category: str = "Community") -> FBPage:
        """A Page; each admin gets `tasks` (default: all six, as a full-control admin)."""
        found = self._call("POST", "pages", {"name": name, "admins": [u.id for u in admins],
                                             "tasks": tasks, "category": category})
        return FBPage(found["id"], found["name"])

    def user_token_for(self, user: FBUser, app: FBApp | str,
                       scopes: list[str] | tuple[str, ...] | str = PAGE_SCOPES,
                       *, long_lived: bool = True, pages: list[FBPage] | None = None) -> str:
        """A user access token as if `user` had gone through the dialog for `app` and picked
        `pages` (default: all theirs), without the dialog."""
        app_id = app if isinstance(app, str) else app.app_id
        wanted = scopes.replace(",", " ").split() if isinstance(scopes, str) else list(scopes)
        found = self._call("POST", "tokens", {
            "user_id": user.id, "app_id": app_id, "scopes": wanted, "long_lived": long_lived,
            "pages": None if pages is None else [p.id for p in pages]})
        return str(found["access_token"])

    def page_token_for(self, user_token: str, page: FBPage) -> str:
        """The Page access token /me/accounts would give for `user_token`."""
        return str(self._call("POST", "page_tokens", {"user_token": user_token,
                                                      "page_id": page.id})["access_token"])

    def comment_as(self, who: FBUser | FBPage, object_id: str, text: str,
                   created_at: float | None = None) -> dict[str, Any]:
        """A comment (or a reply, when object_id is a comment) by someone, into the store;
        made at `created_at` (epoch seconds) when given, else now."""
        result: dict[str, Any] = self._call("POST", "comments", {
            "from_id": who.id, "object_id": object_id, "message": text,
            "created_at": created_at})
        return result

    def like_as(self, who: FBUser | FBPage, object_id: str) -> int:
        """`who` likes a post, comment, photo or Page; returns how many like it now."""
        return int(self._call("POST", "likes", {"from_id": who.id,
                                                "object_id": object_id})["likes"])

    def posts(self, page: FBPage | None = None) -> list[dict[str, Any]]:
        """Posts as stored, newest first; deleted ones too (deleted=True)."""
        result: list[dict[str, Any]] = self._call(
            "GET", "posts", params={"page_id": page.id} if page else None)
        return result

    def photos(self, page: FBPage | None = None) -> list[dict[str, Any]]:
        result: list[dict[str, Any]] = self._call(
            "GET", "photos", params={"page_id": page.id} if page else None)
        return result

    def comments(self, post_id: str | None = None) -> list[dict[str, Any]]:
        """Comments and replies, oldest first (parent_id tells which)."""
        result: list[dict[str, Any]] = self._call(
            "GET", "comments", params={"post_id": post_id} if post_id else None)
        return result

    def expire_tokens(self, user: FBUser | None = None) -> int:
        """Every token that can expire (of `user`) expires now (then 190/463); long-lived
        Page tokens and app tokens do not expire. Codes not exchanged expire too."""
        return int(self._call("POST", "expire_tokens",
                              {"user_id": user.id} if user else {})["expired"])

    def change_password(self, user: FBUser) -> int:
        """The person changes their password: their tokens answer 190/460."""
        return int(self._call("POST", "invalidate", {"user_id": user.id,
                                                     "reason": "password"})["invalidated"])

    def log_out(self, user: FBUser) -> int:
        return int(self._call("POST", "invalidate", {"user_id": user.id,
                                                     "reason": "logged_out"})["invalidated"])

    def deauthorize(self, user: FBUser, app: FBApp | str) -> int:
        """The person removes the app in their settings: its tokens answer 190/458."""
        app_id = app if isinstance(app, str) else app.app_id
        return int(self._call("POST", "invalidate", {"user_id": user.id, "app_id": app_id,
                                                     "reason": "deauthorized"})["invalidated"])

    def block_page(self, page: FBPage, blocked: bool = True) -> None:
        """Publishing to the Page answers 368 (temporarily blocked) until unblocked."""
        self._call("POST", "block", {"page_id": page.id, "blocked": blocked})

    def protocol_errors(self, clear: bool = False) -> list[dict[str, Any]]:
        """Every request that broke a documented rule: method, path, rule, status."""
        return self._log("protocol_errors", clear)

    def dialogs(self) -> list[dict[str, Any]]:
        """Every Login dialog shown: client_id, redirect_uri, state, scopes, response_type."""
        return self._log("dialogs")

    # --- playing the person, without a browser -----------------------------------------------
    def authorize(self, dialog_url: str, user: FBUser | None = None, *,
                  pages: list[FBPage] | None = None, approve: bool = True) -> str:
        """Open the Login dialog at `dialog_url`, as `user` (default: the signed-in person),
        tick `pages` (default: every Page shown) and press Continue (or Cancel); returns the
        redirect URL the browser would be sent to (with Facebook's "#_=_")."""
        page = self.http.get(dialog_url, timeout=30)
        form = re.search(r"name=form value=([\w-]+)", page.text)
        signed = re.search(r"name=user_id value=(\d+)", page.text)
        if page.status_code != 200 or form is None or signed is None:
            raise AssertionError(f"dialog answered {page.status_code}: {page.text}")
        shown = re.findall(r"name=page value=(\d+)", page.text)
        ticked = shown if pages is None else [p.id for p in pages]
        data: list[tuple[str, str]] = [("form", form.group(1)),
                                       ("user_id", user.id if user else signed.group(1)),
                                       ("decision", "continue" if approve else "cancel")]
        data += [("page", pid) for pid in ticked]
        path = urlsplit(dialog_url).path
        answer = self.http.post(self.base_url + path, data=data, allow_redirects=False,
                                timeout=30)
        if answer.status_code != 302:
            raise AssertionError(f"dialog answered {answer.status_code}: {answer.text}")
        return str(answer.headers["location"])


def dialog_link(peer: FacebookPeer, app_id: str, redirect_uri: str, state: str,
                scopes: list[str] | tuple[str, ...] = PAGE_SCOPES) -> str:
    return peer.dialog_url + "?" + urlencode({
        "client_id": app_id, "redirect_uri": redirect_uri, "state": state,
        "response_type": "code", "scope": ",".join(scopes)})


def start_fb_peer() -> FacebookPeer:
    return FacebookPeer.start()
