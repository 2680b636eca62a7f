"""Everything the Instagram stand-in holds: Instagram professional accounts, apps, grants,
codes, tokens, media containers, published media, comments, and the test knobs (faults,
lifetimes, quotas, how long containers stay IN_PROGRESS). One lock guards it all; the server's
threads take it for each request. README.md names the Meta page behind each number."""

from __future__ import annotations

import itertools
import secrets
import threading
import time
from dataclasses import dataclass, field
from typing import Any

from tests.peers.standin_http import Fault as Fault
from tests.peers.standin_http import TakesFaults

# instagram-platform/reference/access_token: short-lived tokens "expire in one hour",
# long-lived ones "in 60 days"; the examples answer expires_in 5183944.
SHORT_TOKEN_SECONDS = 3600.0
LONG_TOKEN_SECONDS = 5183944.0
# Business Login for Instagram: the authorization code "is valid for 1 hour" and single use.
CODE_SECONDS = 3600.0
# reference/refresh_access_token: a long-lived token "at least 24 hours old" can be refreshed.
REFRESH_AFTER_SECONDS = 86400.0
# reference/ig-user/media "Limitations": "Containers expire after 24 hours"; "400 containers
# within a rolling 24 hour period"; reference/ig-user/media_publish "Limitations": "can only
# publish 50 posts within a 24 hour moving period" (older pages said 100, then 25).
CONTAINER_SECONDS = 86400.0
CONTAINERS_PER_DAY = 400
PUBLISH_QUOTA = 50
QUOTA_SECONDS = 86400
CURRENT_VERSION = "v26.0"
# Business Login for Instagram: the scope values (the old business_* ones are deprecated).
PERMISSIONS = {"instagram_business_basic", "instagram_business_content_publish",
               "instagram_business_manage_comments", "instagram_business_manage_messages",
               "instagram_business_manage_insights"}


@dataclass
class User:
    """An Instagram professional account (business or creator)."""
    id: str  # the Instagram professional account id (/me user_id; /{ig-id}/media)
    username: str
    name: str
    account_type: str  # "BUSINESS" or "MEDIA_CREATOR" (a personal account: "PERSONAL")
    scoped_ids: dict[str, str] = field(default_factory=dict)  # app id -> app-scoped user id


@dataclass
class App:
    id: str
    secret: str
    name: str
    redirect_uris: list[str]
    deauthorize_url: str | None = None


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
class Token:
    value: str
    app_id: str
    user_id: str
    issued_at: float
    expires_at: float
    long_lived: bool
    invalid_reason: str | None = None  # "deauthorized", "password", "refreshed"

    def live(self, now: float) -> bool:
        return self.invalid_reason is None and self.expires_at > now


@dataclass
class Container:
    id: str
    user_id: str
    app_id: str
    kind: str  # "IMAGE", "VIDEO" (a carousel item), "CAROUSEL", "STORIES", "REELS"
    caption: str
    image_url: str | None
    alt_text: str | None
    is_carousel_item: bool
    children: list[str]
    created_at: float
    image: bytes = b""
    width: int = 0
    height: int = 0
    error: int | None = None  # the error subcode when status_code is ERROR
    error_values: dict[str, str] = field(default_factory=dict)  # its message's placeholders
    reads_left: int = 0  # status reads still answered IN_PROGRESS
    expires_at: float = 0.0
    published_id: str | None = None
    used_in: str | None = None  # the carousel container a carousel item went into
    video_url: str | None = None
    video_size: int = 0  # bytes of the video fetched from video_url


@dataclass
class Media:
    id: str
    user_id: str
    app_id: str
    container_id: str
    media_type: str  # IMAGE, CAROUSEL_ALBUM, VIDEO
    product_type: str  # FEED, STORY, REELS
    caption: str
    alt_text: str | None
    children: list[str]  # child media ids (carousel)
    created_at: float
    shortcode: str
    image: bytes = b""
    parent_id: str | None = None  # the album a carousel child belongs to
    comments_enabled: bool = True
    deleted: bool = False


@dataclass
class Comment:
    id: str
    media_id: str
    parent_id: str | None  # a top-level comment's id for replies
    user_id: str | None  # an account of this stand-in, or None for an outside commenter
    username: str
    text: str
    created_at: float
    hidden: bool = False
    deleted: bool = False


class Store(TakesFaults):
    def __init__(self) -> None:
        self.lock = threading.RLock()
        self.release = threading.Event()
        self.clear()

    def clear(self) -> None:
        self.ids = itertools.count(17841400000000000 + int(time.time()) % 10**6 * 10**4)
        self.users: dict[str, User] = {}
        self.scoped: dict[str, tuple[str, str]] = {}  # app-scoped id -> (user id, app id)
        self.apps: dict[str, App] = {}
        self.grants: dict[tuple[str, str], Grant] = {}
        self.codes: dict[str, Code] = {}
        self.tokens: dict[str, Token] = {}
        self.containers: dict[str, Container] = {}
        self.media: dict[str, Media] = {}
        self.comments: dict[str, Comment] = {}
        self.faults: list[Fault] = []
        self.seen: list[dict[str, Any]] = []
        self.protocol: list[dict[str, Any]] = []
        self.windows: list[dict[str, Any]] = []  # every authorization window shown
        self.forms: dict[str, dict[str, Any]] = {}
        self.calls: dict[str, list[float]] = {}
        self.deauthorizations: list[dict[str, Any]] = []  # callbacks sent and their answers
        self.signed_in: str | None = None
        self.short_token_seconds = SHORT_TOKEN_SECONDS
        self.long_token_seconds = LONG_TOKEN_SECONDS
        self.code_seconds = CODE_SECONDS
        self.refresh_after_seconds = REFRESH_AFTER_SECONDS
        self.container_seconds = CONTAINER_SECONDS
        self.containers_per_day = CONTAINERS_PER_DAY
        self.publish_quota = PUBLISH_QUOTA
        self.fetch_timeout_seconds = 10.0  # how long the media fetch may take (then 2207003)
        self.in_progress_reads = 1  # status reads that answer IN_PROGRESS before FINISHED
        self.calls_per_day = 4800  # Business Use Case budget per account (rate-limiting page)
        self.usage_header_from = 0  # usage header from this percentage on (0: every answer)
        self.me_answer = "flat"  # "flat": /me answers the object; "data": {"data": [{...}]}
        self.code_answer = "data"  # "data": {"data": [{...}]} as documented; "flat": {...}
        self.republish = "error"  # a second media_publish of a container: "error" | "same"
        self.image_errors = "status"  # a bad image: "status" (container ERROR) | "sync" (400)
        self.release.set()
        self.release = threading.Event()

    def new_id(self) -> str:
        return str(next(self.ids))

    def add_user(self, username: str, name: str, account_type: str) -> User:
        user = User(self.new_id(), username, name, account_type)
        self.users[user.id] = user
        self.signed_in = user.id if self.signed_in is None else self.signed_in
        return user

    def add_app(self, redirect_uris: list[str], name: str, app_id: str | None = None,
                secret: str | None = None, deauthorize_url: str | None = None) -> App:
        app = App(app_id or self.new_id(), secret or secrets.token_hex(16), name,
                  redirect_uris, deauthorize_url)
        self.apps[app.id] = app
        return app

    def scoped_id(self, user: User, app_id: str) -> str:
        """The app-scoped id of `user` for `app_id` (Business Login answers it as user_id)."""
        found = user.scoped_ids.get(app_id)
        if found is None:
            found = self.new_id()
            user.scoped_ids[app_id] = found
            self.scoped[found] = (user.id, app_id)
        return found

    def issue(self, app_id: str, user_id: str, long_lived: bool) -> Token:
        now = time.time()
        seconds = self.long_token_seconds if long_lived else self.short_token_seconds
        prefix = "IGAA" if long_lived else "IGQV"
        value = prefix + secrets.token_urlsafe(60).replace("-", "x").replace("_", "Z")
        token = Token(value, app_id, user_id, now, now + seconds, long_lived)
        self.tokens[value] = token
        return token

    def usage(self, key: str, window: float, budget: int, count: bool) -> int:
        now = time.time()
        calls = [t for t in self.calls.get(key, []) if t > now - window]
        if count:
            calls.append(now)
        self.calls[key] = calls
        return len(calls) * 100 // max(budget, 1)
