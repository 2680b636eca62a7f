"""Everything the Facebook stand-in holds: people, Pages, apps, codes, tokens, posts, photos,
comments, and the test knobs (faults, lifetimes, usage budgets). One lock guards it all; the
server's threads take it for each request. README.md names the Meta page behind each number."""

from __future__ import annotations

import itertools
import secrets
import threading
import time
from dataclasses import dataclass, field
from typing import Any

from tests.peers.standin_http import Fault as Fault
from tests.peers.standin_http import TakesFaults

# developers.facebook.com/docs/facebook-login/guides/access-tokens/get-long-lived:
# short-lived user tokens last "about an hour or two", long-lived ones "about 60 days".
SHORT_TOKEN_SECONDS = 5400.0
LONG_TOKEN_SECONDS = 60 * 86400.0
CODE_SECONDS = 600.0  # the stand-in's choice: Meta does not print the code's lifetime
CURRENT_VERSION = "v26.0"  # docs/graph-api/changelog: "The latest Graph API version is v26.0"
# Versions Meta still serves at the end of 2026 (changelog/versions); older ones are
# handled by the oldest available (docs/graph-api/guides/versioning), so they are accepted.
VERSIONS = ("v21.0", "v22.0", "v23.0", "v24.0", "v25.0", "v26.0")

# Page tasks (docs/pages-api/overview: "Tasks") and what each one lets a token do here.
TASKS = ("ADVERTISE", "ANALYZE", "CREATE_CONTENT", "MESSAGING", "MODERATE", "MANAGE")
PERMISSIONS = {
    "public_profile", "email", "pages_show_list", "pages_manage_posts",
    "pages_read_engagement", "pages_manage_engagement", "pages_read_user_content",
    "pages_manage_metadata", "business_management", "read_insights",
}


@dataclass
class User:
    id: str
    name: str
    password_changed_at: float = 0.0


@dataclass
class Page:
    id: str
    name: str
    category: str
    roles: dict[str, list[str]]  # user id -> tasks
    blocked: bool = False


@dataclass
class App:
    id: str
    secret: str
    name: str
    redirect_uris: list[str]


@dataclass
class Grant:
    """What a person allowed an app: permissions and the Pages picked in the dialog."""
    user_id: str
    app_id: str
    scopes: list[str]
    page_ids: list[str]
    declined: list[str] = field(default_factory=list)
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
    kind: str  # "user", "page", "app"
    app_id: str
    user_id: str | None
    page_id: str | None
    issued_at: float
    expires_at: float  # 0: never (long-lived page tokens)
    long_lived: bool = False
    invalid_reason: str | None = None  # "logged_out", "password", ... (see errors.token_error)

    def live(self, now: float) -> bool:
        return self.invalid_reason is None and (self.expires_at == 0 or self.expires_at > now)


@dataclass
class Photo:
    id: str
    page_id: str
    source: str  # "upload" or the url it was fetched from
    size: int
    caption: str
    published: bool
    post_id: str | None
    created_at: float
    width: int = 0
    height: int = 0
    used: bool = False  # an unpublished photo attached to a post once
    alt_text_custom: str | None = None  # as uploaded (reference/page/photos)


@dataclass
class Post:
    id: str  # "{page-id}_{n}"
    page_id: str
    author: str  # page id (posts by the Page) or a user id (visitor posts)
    message: str
    link: str | None
    photo_ids: list[str]
    created_at: float
    app_id: str | None
    published: bool = True
    deleted: bool = False


@dataclass
class Comment:
    id: str  # "{n}_{m}"
    parent_id: str  # a post or a comment
    post_id: str
    author_id: str  # a page id or a user id
    message: str
    created_at: float
    deleted: bool = False


class Store(TakesFaults):
    def __init__(self) -> None:
        self.lock = threading.RLock()
        self.release = threading.Event()
        self.clear()

    def clear(self) -> None:
        self.ids = itertools.count(int(time.time()) % 10**6 * 10**9 + 100000000000)
        self.users: dict[str, User] = {}
        self.pages: dict[str, Page] = {}
        self.apps: dict[str, App] = {}
        self.grants: dict[tuple[str, str], Grant] = {}
        self.codes: dict[str, Code] = {}
        self.tokens: dict[str, Token] = {}
        self.posts: dict[str, Post] = {}
        self.photos: dict[str, Photo] = {}
        self.comments: dict[str, Comment] = {}
        self.likes: dict[str, dict[str, float]] = {}  # object id -> liker id -> when
        self.faults: list[Fault] = []
        self.seen: list[dict[str, Any]] = []
        self.protocol: list[dict[str, Any]] = []
        self.dialogs: list[dict[str, Any]] = []  # every login dialog shown
        self.forms: dict[str, dict[str, Any]] = {}  # dialog form id -> its request
        self.calls: dict[str, list[float]] = {}  # usage key -> call times
        self.signed_in: str | None = None
        self.short_token_seconds = SHORT_TOKEN_SECONDS
        self.long_token_seconds = LONG_TOKEN_SECONDS
        self.code_seconds = CODE_SECONDS
        self.app_calls_per_hour = 200  # docs/graph-api/overview/rate-limiting: 200 x users
        self.page_calls_per_day = 4800  # same page: 4800 x engaged users, 24 h
        self.usage_header_from = 0  # usage headers from this percentage on (Meta: "once enough
        # calls have been made"; 0 = on every answer)
        self.code_gives_long_lived = False  # True: the code exchange answers a 60-day token
        self.duplicate_seconds = 86400.0  # the stand-in's window for "Duplicate status message"
        # "TH|" plays graph.threads.net's client_credentials answer: Threads' "App Access
        # Tokens" page prints them as TH|<APP_ID>|<ACCESS_TOKEN>; "" is Facebook's APPID|...
        self.app_token_prefix = ""
        self.release.set()
        self.release = threading.Event()

    def new_id(self) -> str:
        return str(next(self.ids))

    def add_user(self, name: str) -> User:
        user = User(self.new_id(), name)
        self.users[user.id] = user
        self.signed_in = user.id if self.signed_in is None else self.signed_in
        return user

    def add_page(self, name: str, roles: dict[str, list[str]], category: str) -> Page:
        page = Page(self.new_id(), name, category, roles)
        self.pages[page.id] = page
        return page

    def add_app(self, redirect_uris: list[str], name: str, app_id: str | None = None,
                secret: str | None = None) -> App:
        app = App(app_id or self.new_id(), secret or secrets.token_hex(16), name, redirect_uris)
        self.apps[app.id] = app
        return app

    def issue(self, kind: str, app_id: str, user_id: str | None, page_id: str | None,
              seconds: float, long_lived: bool) -> Token:
        now = time.time()
        value = "EAA" + secrets.token_urlsafe(48).replace("-", "x").replace("_", "Z")
        token = Token(value, kind, app_id, user_id, page_id, now,
                      0.0 if seconds == 0 else now + seconds, long_lived)
        self.tokens[value] = token
        return token

    def app_token(self, app: App) -> Token:
        value = f"{self.app_token_prefix}{app.id}|{secrets.token_urlsafe(27)}"
        token = Token(value, "app", app.id, None, None, time.time(), 0.0, True)
        self.tokens[value] = token
        return token

    def find_token(self, value: str) -> Token | None:
        token = self.tokens.get(value)
        if token is not None:
            return token
        # docs/facebook-login/guides/access-tokens: "app_id|app_secret" works as an app token
        app_id, _, secret = value.partition("|")
        app = self.apps.get(app_id)
        if app is not None and secret == app.secret:
            return Token(value, "app", app.id, None, None, 0.0, 0.0, True)
        return None

    def page_tasks(self, page_id: str, user_id: str | None) -> list[str]:
        page = self.pages.get(page_id)
        if page is None or user_id is None:
            return []
        return list(page.roles.get(user_id, []))

    def usage(self, key: str, window: float, budget: int, count: bool) -> int:
        """The share of `budget` used in the last `window` seconds, in percent (0-100+)."""
        now = time.time()
        calls = [t for t in self.calls.get(key, []) if t > now - window]
        if count:
            calls.append(now)
        self.calls[key] = calls
        return len(calls) * 100 // max(budget, 1)
