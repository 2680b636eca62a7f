"""Everything the X stand-in holds: accounts, apps, tokens, posts, media, and the test knobs
(faults, access level, credits, rate limits, lifetimes). One lock guards it all; the server's
threads take it for each request."""

from __future__ import annotations

import secrets
import threading
import time
from dataclasses import dataclass, field
from typing import Any

from tests.peers.standin_http import Fault as Fault
from tests.peers.standin_http import TakesFaults

TWITTER_EPOCH_MS = 1288834974657  # snowflake ids count from here (docs.x.com/fundamentals/x-ids)
ACCESS_TOKEN_SECONDS = 7200  # "only stay valid for two hours" (OAuth 2.0 authorization code page)
CODE_SECONDS = 30.0  # "The auth_code has a time limit of 30 seconds" (same page)

# Per-user 15-minute windows from docs.x.com/x-api/fundamentals/rate-limits ("Per User").
RATE_LIMITS: dict[tuple[str, str], tuple[int, int]] = {
    ("POST", "/2/tweets"): (100, 900),
    ("DELETE", "/2/tweets/{id}"): (50, 900),
    ("GET", "/2/tweets"): (5000, 900),
    ("GET", "/2/tweets/{id}"): (900, 900),
    ("GET", "/2/tweets/search/recent"): (300, 900),
    ("GET", "/2/users/{id}/tweets"): (900, 900),
    ("GET", "/2/users/{id}/mentions"): (300, 900),
    ("GET", "/2/users/{id}/timelines/reverse_chronological"): (180, 900),
    ("GET", "/2/users/{id}/liked_tweets"): (75, 900),
    ("POST", "/2/users/{id}/likes"): (50, 900),
    ("DELETE", "/2/users/{id}/likes/{tweet_id}"): (50, 900),
    ("POST", "/2/users/{id}/retweets"): (50, 900),
    ("DELETE", "/2/users/{id}/retweets/{source_tweet_id}"): (50, 900),
    ("GET", "/2/users"): (900, 900),
    ("GET", "/2/users/{id}"): (900, 900),
    ("GET", "/2/users/by"): (900, 900),
    ("GET", "/2/users/by/username/{username}"): (900, 900),
    ("GET", "/2/users/me"): (75, 900),
    ("POST", "/2/media/upload"): (500, 900),
    ("GET", "/2/media/upload"): (1000, 900),
    ("POST", "/2/media/upload/initialize"): (1875, 900),
    ("POST", "/2/media/upload/{id}/append"): (1875, 900),
    ("POST", "/2/media/upload/{id}/finalize"): (1875, 900),
    ("POST", "/2/media/metadata"): (500, 900),
}

# What the retired Free access level could call (docs.x.com/x-api/getting-started/about-x-api,
# "Free": write-only use cases): everything else answers 403 client-forbidden.
FREE_LEVEL = {
    ("POST", "/2/tweets"), ("DELETE", "/2/tweets/{id}"), ("GET", "/2/users/me"),
    ("POST", "/2/media/upload"), ("GET", "/2/media/upload"), ("POST", "/2/media/metadata"),
    ("POST", "/2/media/upload/initialize"), ("POST", "/2/media/upload/{id}/append"),
    ("POST", "/2/media/upload/{id}/finalize"),
}


@dataclass
class User:
    id: str
    username: str
    name: str
    created_at: float
    description: str = ""
    url: str = ""  # the profile's website, as typed (answered through t.co, render.py)
    following: set[str] = field(default_factory=set)
    liked: list[str] = field(default_factory=list)


@dataclass
class App:
    client_id: str
    client_secret: str | None  # None: a public client
    name: str
    redirect_uris: list[str]


@dataclass
class Grant:
    """An authorization code, from the consent screen to its single exchange."""

    code: str
    client_id: str
    user_id: str
    redirect_uri: str
    scopes: list[str]
    challenge: str
    method: str
    expires_at: float
    used: bool = False


@dataclass
class Token:
    value: str
    kind: str  # "access" or "refresh"
    client_id: str
    user_id: str
    scopes: list[str]
    family: str
    expires_at: float | None
    revoked: bool = False
    used: bool = False  # refresh tokens: single use

    def live(self, now: float) -> bool:
        return not self.revoked and (self.expires_at is None or now < self.expires_at)


@dataclass
class Post:
    id: str
    author_id: str
    text: str
    created_at: float
    conversation_id: str
    reply_to: str | None = None
    in_reply_to_user_id: str | None = None
    quote_of: str | None = None
    retweet_of: str | None = None
    media_keys: list[str] = field(default_factory=list)
    client_id: str | None = None
    deleted: bool = False
    liked_by: set[str] = field(default_factory=set)


@dataclass
class Media:
    id: str
    key: str
    owner_id: str
    category: str
    media_type: str
    created_at: float
    total_bytes: int | None = None
    segments: dict[int, bytes] = field(default_factory=dict)
    data: bytes = b""
    state: str = "uploading"  # uploading, pending, in_progress, succeeded, failed
    polls_left: int = 0
    alt_text: str | None = None
    width: int | None = None
    height: int | None = None
    expires_at: float = 0.0

    @property
    def kind(self) -> str:
        return {"3": "photo", "7": "video", "16": "animated_gif"}[self.key.split("_")[0]]


@dataclass
class Window:
    limit: int
    remaining: int
    reset: int


class Store(TakesFaults):
    def __init__(self) -> None:
        self.lock = threading.RLock()
        self.release = threading.Event()  # ends every held connection (reset, shutdown)
        self.clear()

    def clear(self) -> None:
        with self.lock:
            self.release.set()
            self.release = threading.Event()
            self.users: dict[str, User] = {}
            self.apps: dict[str, App] = {}
            self.grants: dict[str, Grant] = {}
            self.tokens: dict[str, Token] = {}
            self.posts: dict[str, Post] = {}
            self.media: dict[str, Media] = {}
            self.faults: list[Fault] = []
            self.windows: dict[tuple[str, str, str], Window] = {}
            self.rate_limits = dict(RATE_LIMITS)
            self.failures: list[dict[str, Any]] = []
            self.seen: list[dict[str, Any]] = []
            self.authorizations: list[dict[str, Any]] = []
            self.consent_forms: dict[str, dict[str, str]] = {}
            self.signed_in: str | None = None
            self.access_level = "pay_per_use"
            self.credits: int | None = None  # None: unlimited
            self.usage_cap: bool = False
            self.rate_limits_enabled = True
            self.token_seconds = ACCESS_TOKEN_SECONDS
            self.code_seconds = CODE_SECONDS
            self.allow_plain_pkce = False
            self.revoke_family_on_reuse = False
            self.processing_polls = 2
            self.processing_fails = False
            self._last_id = 0

    # --- identifiers ------------------------------------------------------------------------
    def next_id(self) -> str:
        with self.lock:
            snowflake = (int(time.time() * 1000) - TWITTER_EPOCH_MS) << 22
            self._last_id = max(self._last_id + 1, snowflake)
            return str(self._last_id)

    # --- accounts and apps ------------------------------------------------------------------
    def add_user(self, username: str, name: str | None = None, description: str = "",
                 url: str = "") -> User:
        with self.lock:
            if any(u.username.lower() == username.lower() for u in self.users.values()):
                raise ValueError(f"the username {username!r} is taken")
            user = User(self.next_id(), username, name or username, time.time(),
                        description=description, url=url)
            self.users[user.id] = user
            if self.signed_in is None:
                self.signed_in = user.id
            return user

    def user_by_name(self, username: str) -> User | None:
        return next(
            (u for u in self.users.values() if u.username.lower() == username.lower()), None
        )

    def add_app(self, redirect_uris: list[str], confidential: bool, name: str) -> App:
        with self.lock:
            client_id = secrets.token_urlsafe(18)
            secret = secrets.token_urlsafe(36) if confidential else None
            app = App(client_id, secret, name, list(redirect_uris))
            self.apps[client_id] = app
            return app

    # --- tokens -----------------------------------------------------------------------------
    def issue(self, client_id: str, user_id: str, scopes: list[str],
              family: str | None = None) -> tuple[Token, Token | None]:
        with self.lock:
            now = time.time()
            family = family or secrets.token_hex(8)
            access = Token(_token_value("at"), "access", client_id, user_id, scopes, family,
                           now + self.token_seconds)
            self.tokens[access.value] = access
            refresh = None
            if "offline.access" in scopes:
                refresh = Token(_token_value("rt"), "refresh", client_id, user_id, scopes,
                                family, None)
                self.tokens[refresh.value] = refresh
            return access, refresh

    def revoke_family(self, family: str) -> None:
        for token in self.tokens.values():
            if token.family == family:
                token.revoked = True

    # --- posts ------------------------------------------------------------------------------
    def live_posts(self) -> list[Post]:
        """Every post not deleted, newest first."""
        return sorted(
            (p for p in self.posts.values() if not p.deleted), key=lambda p: -int(p.id)
        )

    def add_post(self, author: User, text: str, *, reply_to: str | None = None,
                 quote_of: str | None = None, retweet_of: str | None = None,
                 media_keys: list[str] | None = None, client_id: str | None = None) -> Post:
        with self.lock:
            post_id = self.next_id()
            conversation = post_id
            in_reply_to_user = None
            if reply_to is not None:
                parent = self.posts[reply_to]
                conversation = parent.conversation_id
                in_reply_to_user = parent.author_id
            post = Post(post_id, author.id, text, time.time(), conversation, reply_to,
                        in_reply_to_user, quote_of, retweet_of, list(media_keys or []),
                        client_id)
            self.posts[post_id] = post
            return post

    # --- rate limits ------------------------------------------------------------------------
    def take(self, who: str, method: str, template: str) -> Window | None:
        """Count one request of `who` on an endpoint; None when the endpoint has no limit."""
        limit = self.rate_limits.get((method, template))
        if limit is None:
            return None
        count, seconds = limit
        now = time.time()
        key = (who, method, template)
        window = self.windows.get(key)
        if window is None or now >= window.reset:
            window = Window(count, count, int(now) + seconds)
            self.windows[key] = window
        if window.remaining > 0:
            window.remaining -= 1
        elif self.rate_limits_enabled:
            return Window(window.limit, -1, window.reset)  # refused
        return window


def _token_value(kind: str) -> str:
    # X's tokens read like "<base64>:<ms>:1:1:<at|rt>:1" (the OAuth 2.0 pages' examples).
    return f"{secrets.token_urlsafe(40)}:{int(time.time() * 1000)}:1:1:{kind}:1"
