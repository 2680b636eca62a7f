"""Everything the Threads stand-in holds: people, apps, grants, codes, tokens, media containers,
posts (and replies), the quotas they count against, and the test knobs (faults, lifetimes).
One lock guards it all; the server's threads take it for each request. README.md names the
Meta page behind each number.

Tokens are the Facebook stand-in's `Token` (tests/peers/facebook/state.py), so the Graph error
helpers shared with it (token_error: 190 and its subcodes) read them as they are.
"""

from __future__ import annotations

import itertools
import secrets
import threading
import time
from dataclasses import dataclass, field
from typing import Any

from tests.peers.facebook.state import Token as Token
from tests.peers.standin_http import Fault as Fault
from tests.peers.standin_http import TakesFaults

VERSION = "v1.0"  # graph.threads.net/v1.0 (every Threads reference page)
# get-started/get-access-tokens-and-permissions: "Authorization codes are valid for 1 hour and
# can only be used once"; short-lived tokens "are valid for one hour" and long-lived ones "for
# 60 days", refreshable once "at least 24 hours old" (get-started/long-lived-tokens).
CODE_SECONDS = 3600.0
SHORT_TOKEN_SECONDS = 3600.0
LONG_TOKEN_SECONDS = 60 * 86400.0
REFRESH_MIN_AGE_SECONDS = 86400.0
# troubleshooting: EXPIRED "The container was not published within 24 hours".
CONTAINER_SECONDS = 86400.0
# overview, "Rate Limiting": 250 posts and 1,000 replies in a 24-hour moving period;
# posts/delete-posts: 100 deletes a day.
QUOTA_POSTS, QUOTA_REPLIES, QUOTA_DELETES, QUOTA_WINDOW = 250, 1000, 100, 86400

# get-started ("Authorization") and the permission pages linked from it.
PERMISSIONS = {
    "threads_basic", "threads_content_publish", "threads_read_replies",
    "threads_manage_replies", "threads_manage_insights", "threads_delete",
    "threads_manage_mentions", "threads_keyword_search", "threads_location_tagging",
    "threads_profile_discovery",
}


@dataclass
class User:
    id: str
    username: str
    name: str
    biography: str = ""
    is_verified: bool = False


@dataclass
class App:
    id: str
    secret: str
    name: str
    redirect_uris: list[str]


@dataclass
class Grant:
    user_id: str
    app_id: str
    scopes: list[str]
    revoked: bool = False


@dataclass
class Code:
    value: str
    app_id: str
    user_id: str
    redirect_uri: str
    expires_at: float
    used: bool = False


@dataclass
class Container:
    """A media container made by POST /{threads-user-id}/threads."""
    id: str
    user_id: str
    app_id: str
    media_type: str  # TEXT, IMAGE, VIDEO, CAROUSEL
    params: dict[str, str]
    children: list[str]
    is_carousel_item: bool
    created_at: float
    expires_at: float
    status: str = "IN_PROGRESS"  # IN_PROGRESS, FINISHED, ERROR, EXPIRED, PUBLISHED
    error_message: str | None = None
    reads_left: int = 0  # status reads still answered IN_PROGRESS
    media: bytes = b""  # what the stand-in fetched from image_url / video_url
    mime_type: str = ""
    width: int = 0
    height: int = 0
    fetched_from: str = ""
    fetch_error: str = ""  # why the fetch or check failed (control surface only)
    post_id: str | None = None  # set once published


@dataclass
class Post:
    """A published Threads media object: a post, or a reply (reply_to set)."""
    id: str
    user_id: str
    media_type: str  # TEXT_POST, IMAGE, VIDEO, CAROUSEL_ALBUM
    text: str
    created_at: float
    shortcode: str
    container_id: str | None = None
    children: list[str] = field(default_factory=list)  # post ids of carousel items
    alt_text: str | None = None
    link_attachment_url: str | None = None
    reply_to: str | None = None  # immediate parent (a post or a reply)
    root: str | None = None  # the top-level post of the reply tree
    reply_audience: str = "EVERYONE"
    topic_tag: str | None = None
    quoted_post: str | None = None
    reposted_post: str | None = None  # a REPOST_FACADE's original
    hidden: bool = False
    deleted: bool = False
    media: bytes = b""
    mime_type: str = ""
    is_carousel_item: bool = False
    app_id: str | None = None
    counts: dict[str, int] = field(default_factory=dict)  # views, likes, reposts, shares


class Store(TakesFaults):
    def __init__(self) -> None:
        self.lock = threading.RLock()
        self.release = threading.Event()
        self.clear()

    def clear(self) -> None:
        # Threads ids look like 17889615691921648: long numbers, not guessable in order here
        self.ids = itertools.count(17841400000000000 + secrets.randbelow(10**9) * 1000)
        self.users: dict[str, User] = {}
        self.apps: dict[str, App] = {}
        self.grants: dict[tuple[str, str], Grant] = {}
        self.codes: dict[str, Code] = {}
        self.tokens: dict[str, Token] = {}
        self.containers: dict[str, Container] = {}
        self.posts: dict[str, Post] = {}
        self.quota: dict[tuple[str, str], list[float]] = {}  # (user, kind) -> times
        self.faults: list[Fault] = []
        self.container_errors: list[str] = []  # the next containers made end in ERROR
        self.seen: list[dict[str, Any]] = []
        self.protocol: list[dict[str, Any]] = []
        self.windows: list[dict[str, Any]] = []  # every Authorization Window shown
        self.forms: dict[str, dict[str, Any]] = {}
        self.signed_in: str | None = None
        self.code_seconds = CODE_SECONDS
        self.short_token_seconds = SHORT_TOKEN_SECONDS
        self.long_token_seconds = LONG_TOKEN_SECONDS
        self.refresh_min_age_seconds = REFRESH_MIN_AGE_SECONDS
        self.container_seconds = CONTAINER_SECONDS
        self.in_progress_reads = 0  # status reads a new container answers IN_PROGRESS
        self.quota_posts = QUOTA_POSTS
        self.quota_replies = QUOTA_REPLIES
        self.quota_deletes = QUOTA_DELETES
        self.code_error_shape = "flat"  # or "graph": code-exchange refusals as {"error": {}}
        self.republish = "error"  # or "same_id": a second publish answers the same post id
        self.release.set()
        self.release = threading.Event()

    def new_id(self) -> str:
        return str(next(self.ids))

    def add_user(self, username: str, name: str) -> User:
        user = User(self.new_id(), username, name)
        self.users[user.id] = user
        self.signed_in = user.id if self.signed_in is None else self.signed_in
        return user

    def add_app(self, redirect_uris: list[str], name: str, app_id: str | None = None,
                secret: str | None = None) -> App:
        app = App(app_id or self.new_id(), secret or secrets.token_hex(16), name, redirect_uris)
        self.apps[app.id] = app
        return app

    def issue(self, app_id: str, user_id: str, *, long_lived: bool,
              age: float = 0.0) -> Token:
        now = time.time()
        seconds = self.long_token_seconds if long_lived else self.short_token_seconds
        # Threads user tokens start with "TH" (the stand-in's reading of the tokens the
        # Threads pages print, e.g. "THQVJ..."); the rest is random.
        value = "THAA" + secrets.token_urlsafe(60).replace("-", "x").replace("_", "Z")
        token = Token(value, "user", app_id, user_id, None, now - age, now - age + seconds,
                      long_lived)
        self.tokens[value] = token
        return token

    def find_token(self, value: str) -> Token | None:
        return self.tokens.get(value)

    def used(self, user_id: str, kind: str, *, count: bool = False) -> int:
        """How much of quota `kind` ("posts", "replies", "deletes",
        "searches") `user_id` used in the
        last 24 hours; `count` adds one now."""
        now = time.time()
        key = (user_id, kind)
        times = [t for t in self.quota.get(key, []) if t > now - QUOTA_WINDOW]
        if count:
            times.append(now)
        self.quota[key] = times
        return len(times)
