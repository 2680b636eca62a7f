"""The Threads stand-in as a test peer: a separate server process (tests/peers/process.py) and
`ThreadsPeer`, the object the `threads_peer` fixture hands to tests. It talks to the control
surface (/_standin/...) and drives the Authorization Window over HTTP as a browser would, never
the code under test. README.md lists every call."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode, urlsplit

from tests.peers.standin_control import StandInPeer
from tests.peers.standin_control import callback_params as callback_params

ALL_SCOPES = ("threads_basic", "threads_content_publish", "threads_read_replies",
              "threads_manage_replies")


@dataclass(frozen=True)
class ThreadsUser:
    id: str
    username: str
    name: str


@dataclass(frozen=True)
class ThreadsApp:
    app_id: str
    app_secret: str

    def __iter__(self) -> Any:  # app_id, app_secret = threads_peer.create_app(...)
        return iter((self.app_id, self.app_secret))


class ThreadsPeer(StandInPeer):
    """A running stand-in. `base_url` serves threads.net's /oauth/authorize and
    graph.threads.net's /v1.0/... (and its unversioned token endpoints) from one origin.

    fail_next: see README.md ("Faults") for paths and kinds; settings: README.md
    ("Settings")."""

    process_name = "threads-standin"
    server_module = "tests.peers.threads.server"
    version = "v1.0"

    @property
    def graph_url(self) -> str:
        """Stands for https://graph.threads.net/v1.0"""
        return f"{self.base_url}/{self.version}"

    @property
    def graph_root(self) -> str:
        """Stands for https://graph.threads.net (the token endpoints are unversioned)."""
        return self.base_url

    @property
    def authorize_url(self) -> str:
        """Stands for https://threads.net/oauth/authorize"""
        return f"{self.base_url}/oauth/authorize"

    # --- seeding -----------------------------------------------------------------------------
    def create_app(self, redirect_uris: str | list[str] | tuple[str, ...] = (), *,
                   name: str = "hubbub", app_id: str | None = None,
                   app_secret: str | None = None) -> ThreadsApp:
        """A Threads app with its valid OAuth redirect URIs (matched exactly)."""
        uris = [redirect_uris] if isinstance(redirect_uris, str) else list(redirect_uris)
        body: dict[str, Any] = {"redirect_uris": uris, "name": name}
        if app_id is not None:
            body["app_id"] = app_id
        if app_secret is not None:
            body["app_secret"] = app_secret
        found = self._call("POST", "apps", body)
        return ThreadsApp(found["app_id"], found["app_secret"])

    def create_user(self, username: str = "ann", name: str | None = None, *,
                    biography: str = "", is_verified: bool = False) -> ThreadsUser:
        """A Threads profile; the first one created is signed in to the window."""
        found = self._call("POST", "users", {"username": username, "name": name or username,
                                             "biography": biography,
                                             "is_verified": is_verified})
        return ThreadsUser(found["id"], found["username"], found["name"])

    def sign_in(self, user: ThreadsUser) -> None:
        """The person the Authorization Window shows as signed in."""
        self.settings(signed_in=user.id)

    def token_for(self, user: ThreadsUser, app: ThreadsApp | str,
                  scopes: list[str] | tuple[str, ...] | str = ALL_SCOPES, *,
                  long_lived: bool = True, age_seconds: float = 0.0) -> str:
        """A user token as if `user` had allowed `app` in the window (and, when long_lived,
        the app had exchanged it), issued `age_seconds` ago; no window involved."""
        app_id = app if isinstance(app, str) else app.app_id
        wanted = scopes.replace(",", " ").split() if isinstance(scopes, str) else list(scopes)
        return str(self._call("POST", "tokens", {
            "user_id": user.id, "app_id": app_id, "scopes": wanted, "long_lived": long_lived,
            "age_seconds": age_seconds})["access_token"])

    def post_as(self, user: ThreadsUser, text: str,
                reply_to: str | None = None, created_at: float | None = None) -> dict[str, Any]:
        """A post (or a reply to `reply_to`, a post or reply id) by someone, straight into the
        store (no app, no quota): replies to the hub's posts, mentions of its user; made at
        `created_at` (epoch seconds) when given, else now."""
        result: dict[str, Any] = self._call("POST", "posts", {
            "from_id": user.id, "text": text, "reply_to": reply_to, "created_at": created_at})
        return result

    def reply_as(self, user: ThreadsUser, media_id: str, text: str,
                 created_at: float | None = None) -> dict[str, Any]:
        return self.post_as(user, text, reply_to=media_id, created_at=created_at)

    def engage(self, media_id: str, **counts: int) -> dict[str, int]:
        """Set a post's views, likes, reposts and shares (what its insights answer)."""
        result: dict[str, int] = self._call("POST", "engage", {"media_id": media_id,
                                                               **counts})
        return result

    # --- reading back ------------------------------------------------------------------------
    def posts(self, user: ThreadsUser | None = None) -> list[dict[str, Any]]:
        """Every post and reply as stored, newest first; deleted ones too (deleted=True)."""
        result: list[dict[str, Any]] = self._call(
            "GET", "posts", params={"user_id": user.id} if user else None)
        return result

    def containers(self, user: ThreadsUser | None = None) -> list[dict[str, Any]]:
        """Every media container, oldest first, with status, params and what was fetched."""
        result: list[dict[str, Any]] = self._call(
            "GET", "containers", params={"user_id": user.id} if user else None)
        return result

    def protocol_errors(self, clear: bool = False) -> list[dict[str, Any]]:
        """Every request that broke a documented rule: method, path, rule, status."""
        return self._log("protocol_errors", clear)

    def windows(self) -> list[dict[str, Any]]:
        """Every Authorization Window shown: client_id, redirect_uri, state, scopes, form."""
        return self._log("windows")

    # --- time and trouble --------------------------------------------------------------------
    def expire_tokens(self, user: ThreadsUser | None = None) -> int:
        """Every user token (of `user`) expires now (then 190/463); codes not exchanged too."""
        return int(self._call("POST", "expire_tokens",
                              {"user_id": user.id} if user else {})["expired"])

    def age_tokens(self, seconds: float, user: ThreadsUser | None = None) -> int:
        """Every user token (of `user`) was issued `seconds` earlier (and so expires earlier):
        a day makes a long-lived token refreshable."""
        body: dict[str, Any] = {"seconds": seconds}
        if user is not None:
            body["user_id"] = user.id
        return int(self._call("POST", "age_tokens", body)["aged"])

    def expire_containers(self, user: ThreadsUser | None = None) -> int:
        """Every unpublished container (of `user`) is past its 24 hours: EXPIRED."""
        return int(self._call("POST", "expire_containers",
                              {"user_id": user.id} if user else {})["expired"])

    def deauthorize(self, user: ThreadsUser, app: ThreadsApp | str) -> int:
        """The person removes the app: its tokens answer 190/458 from now on."""
        app_id = app if isinstance(app, str) else app.app_id
        return int(self._call("POST", "invalidate", {
            "user_id": user.id, "app_id": app_id, "reason": "deauthorized"})["invalidated"])

    def change_password(self, user: ThreadsUser) -> int:
        """The person changes their password: their tokens answer 190/460."""
        return int(self._call("POST", "invalidate", {"user_id": user.id,
                                                     "reason": "password"})["invalidated"])

    def use_quota(self, user: ThreadsUser, kind: str, count: int) -> int:
        """Count `count` publishes of `kind` (posts, replies, deletes) now; answers the use."""
        return int(self._call("POST", "use_quota", {"user_id": user.id, "kind": kind,
                                                    "count": count})["used"])

    # --- playing the person, without a browser -----------------------------------------------
    def authorize(self, url: str, user: ThreadsUser | None = None, *,
                  approve: bool = True) -> str:
        """Open the Authorization Window at `url` as `user` (default: the signed-in person)
        and press Allow (or Cancel); returns the redirect URL the browser would be sent to
        (with Threads' "#_")."""
        page = self.http.get(url, timeout=30)
        form = re.search(r"name=form value=([\w-]+)", page.text)
        signed = re.search(r"name=user_id value=(\d+)", page.text)
        if page.status_code != 200 or form is None or signed is None:
            raise AssertionError(f"window answered {page.status_code}: {page.text}")
        data = {"form": form.group(1), "user_id": user.id if user else signed.group(1),
                "decision": "allow" if approve else "cancel"}
        answer = self.http.post(self.base_url + urlsplit(url).path, data=data,
                                allow_redirects=False, timeout=30)
        if answer.status_code != 302:
            raise AssertionError(f"window answered {answer.status_code}: {answer.text}")
        return str(answer.headers["location"])


def window_link(peer: ThreadsPeer, app_id: str, redirect_uri: str, state: str | None,
                scopes: list[str] | tuple[str, ...] = ALL_SCOPES) -> str:
    query = {"client_id": app_id, "redirect_uri": redirect_uri, "scope": ",".join(scopes),
             "response_type": "code"}
    if state is not None:
        query["state"] = state
    return peer.authorize_url + "?" + urlencode(query)


def start_threads_peer() -> ThreadsPeer:
    return ThreadsPeer.start()
