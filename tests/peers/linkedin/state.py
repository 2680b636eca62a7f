"""Everything the LinkedIn stand-in holds: members, organizations and their roles, apps, codes,
tokens, posts, images, comments, and the test knobs (faults, lifetimes, daily limits). One lock
guards it all; the server's threads take it for each request."""

from __future__ import annotations

import datetime as dt
import secrets
import string
import threading
import time
from dataclasses import dataclass, field
from typing import Any

from tests.peers.standin_http import Fault as Fault
from tests.peers.standin_http import TakesFaults

DAY = 86400
# "By default, access tokens are valid for 60 days and programmatic refresh tokens are valid for
# a year" (learn.microsoft.com/linkedin/shared/authentication/programmatic-refresh-tokens).
ACCESS_TOKEN_SECONDS = 60 * DAY
REFRESH_TOKEN_SECONDS = 365 * DAY
# "The authorization code must be exchanged for an access token within 30 minutes"
# (authorization-code-flow, step 2).
CODE_SECONDS = 30 * 60
# Products an app usually has: Sign In with LinkedIn using OpenID Connect, Share on LinkedIn;
# Community Management adds the organization scopes and r_member_social (restricted).
DEFAULT_APP_SCOPES = ("openid", "profile", "email", "w_member_social")
KNOWN_SCOPES = {
    "openid", "profile", "email", "w_member_social", "r_member_social",
    "w_organization_social", "r_organization_social", "rw_organization_admin",
    "r_organization_admin", "r_basicprofile", "r_1st_connections_size",
}
# Daily limits per member and per application, in UTC days ("These limits reset at midnight
# UTC every day": learn.microsoft.com/linkedin/shared/api-guide/concepts/rate-limits). The page
# does not publish the numbers (each app sees them in the Developer Portal); 150 per member and
# 100,000 per application for posting are the figures commonly quoted for Share on LinkedIn and
# are the stand-in's defaults, settable per test.
DAILY_LIMITS: dict[tuple[str, str], tuple[int | None, int | None]] = {
    ("POST", "/rest/posts"): (150, 100_000),
}
ROLES = {"ADMINISTRATOR", "DIRECT_SPONSORED_CONTENT_POSTER", "RECRUITING_POSTER",
         "LEAD_GEN_FORMS_MANAGER", "ANALYST", "CURATOR", "CONTENT_ADMINISTRATOR"}
POSTING_ROLES = {"ADMINISTRATOR", "DIRECT_SPONSORED_CONTENT_POSTER", "CONTENT_ADMINISTRATOR"}


def _member_id() -> str:
    alphabet = string.ascii_letters + string.digits + "-_"
    return "".join(secrets.choice(alphabet) for _ in range(10))


def active_versions(now: float | None = None) -> list[str]:
    """YYYYMM of the current month and the twelve before it ("LinkedIn will support each API
    version for a minimum of one year", learn.microsoft.com/linkedin/marketing/versioning)."""
    today = dt.datetime.fromtimestamp(now or time.time(), dt.UTC)
    year, month = today.year, today.month
    found = []
    for _ in range(13):
        found.append(f"{year:04d}{month:02d}")
        month -= 1
        if month == 0:
            year, month = year - 1, 12
    return found


@dataclass
class Member:
    id: str
    name: str
    given_name: str
    family_name: str
    email: str
    picture: str

    @property
    def urn(self) -> str:
        return f"urn:li:person:{self.id}"


@dataclass
class Organization:
    id: int
    name: str
    vanity: str
    roles: dict[str, str] = field(default_factory=dict)  # member id -> role

    @property
    def urn(self) -> str:
        return f"urn:li:organization:{self.id}"


@dataclass
class App:
    client_id: str
    client_secret: str
    redirect_uris: list[str]
    scopes: list[str]
    name: str
    refresh_tokens: bool = False  # "approved partners" only; off as for most apps


@dataclass
class Grant:
    code: str
    client_id: str
    member_id: str
    redirect_uri: str
    scopes: list[str]
    expires_at: float
    used: bool = False


@dataclass
class Token:
    value: str
    kind: str  # "access" | "refresh"
    client_id: str
    member_id: str
    scopes: list[str]
    created_at: float
    expires_at: float
    revoked: bool = False


@dataclass
class Post:
    urn: str
    author: str
    commentary: str  # as stored: the little text LinkedIn kept (cut at a broken element)
    sent_commentary: str  # what the client sent
    visibility: str
    distribution: dict[str, Any]
    lifecycle_state: str
    content: dict[str, Any] | None
    reshare_disabled: bool
    created_at: int  # ms
    client_id: str | None
    extra: dict[str, Any] = field(default_factory=dict)
    deleted: bool = False


@dataclass
class Image:
    urn: str
    owner: str
    upload_token: str
    upload_expires_at: int  # ms
    status: str = "WAITING_UPLOAD"  # -> PROCESSING -> AVAILABLE | PROCESSING_FAILED
    data: bytes = b""
    media_type: str | None = None
    polls: int = 0


@dataclass
class Video:
    urn: str
    owner: str
    size: int  # fileSizeBytes as declared at initializeUpload
    upload_token: str  # the upload URLs' secret (one URL per part: /dms-uploads/video/{t}/{n})
    upload_expires_at: int  # ms
    parts: list[tuple[int, int]]  # (firstByte, lastByte) of each part
    received: dict[int, bytes] = field(default_factory=dict)  # part number -> bytes
    etags: dict[int, str] = field(default_factory=dict)
    status: str = "WAITING_UPLOAD"  # -> (finalizeUpload) PROCESSING -> AVAILABLE | ..._FAILED
    data: bytes = b""
    polls: int = 0


@dataclass
class Comment:
    id: str
    object: str  # the post URN it is on
    actor: str
    text: str
    created_at: int  # ms
    parent: str | None = None  # the parent comment's URN for a reply

    @property
    def urn(self) -> str:
        return f"urn:li:comment:({self.object},{self.id})"


class Store(TakesFaults):
    def __init__(self) -> None:
        self.lock = threading.RLock()
        self.release = threading.Event()
        self.clear()

    def clear(self) -> None:
        self.members: dict[str, Member] = {}
        self.organizations: dict[int, Organization] = {}
        self.apps: dict[str, App] = {}
        self.grants: dict[str, Grant] = {}
        self.tokens: dict[str, Token] = {}
        self.posts: dict[str, Post] = {}
        self.images: dict[str, Image] = {}
        self.videos: dict[str, Video] = {}
        self.comments: list[Comment] = []
        self.faults: list[Fault] = []
        self.consent_forms: dict[str, dict[str, str]] = {}
        self.authorizations: list[dict[str, Any]] = []
        self.seen: list[dict[str, Any]] = []
        self.protocol_errors: list[dict[str, Any]] = []
        self.daily: dict[tuple[str, str, str, str], int] = {}  # (day, who, method, template)
        self.daily_limits = dict(DAILY_LIMITS)
        self.next_id = int(time.time() * 1000) << 22
        self.next_org = 1_000_001
        # settings
        self.token_seconds: float = ACCESS_TOKEN_SECONDS
        self.refresh_seconds: float = REFRESH_TOKEN_SECONDS
        self.code_seconds: float = CODE_SECONDS
        self.versions: list[str] | None = None  # None: active_versions()
        self.processing_polls = 1
        self.duplicate_seconds: float = DAY
        self.signed_in: str | None = None
        # A post's comment list leaves out replies to comments (read through the comment's URN).
        self.top_level_comments = False
        self.release.set()
        self.release = threading.Event()

    # --- ids ------------------------------------------------------------------------------
    def new_id(self) -> int:
        self.next_id += 1 + secrets.randbelow(4096)
        return self.next_id

    # --- accounts -------------------------------------------------------------------------
    def add_member(self, name: str, email: str | None = None) -> Member:
        given, _, family = name.partition(" ")
        member_id = _member_id()
        member = Member(member_id, name, given, family, email or f"{member_id.lower()}@example.com",
                        f"https://media.licdn.com/dms/image/{member_id}/profile-displayphoto")
        self.members[member.id] = member
        return member

    def add_organization(self, name: str, admins: dict[str, str]) -> Organization:
        org_id = self.next_org
        self.next_org += 1 + secrets.randbelow(97)
        vanity = "".join(c for c in name.lower().replace(" ", "-") if c.isalnum() or c == "-")
        org = Organization(org_id, name, vanity or f"org-{org_id}", dict(admins))
        self.organizations[org.id] = org
        return org

    def add_app(self, redirect_uris: list[str], scopes: list[str], name: str,
                refresh_tokens: bool) -> App:
        app = App(secrets.token_hex(7), "WPL_AP1." + secrets.token_urlsafe(12) + "==",
                  redirect_uris, scopes, name, refresh_tokens)
        self.apps[app.client_id] = app
        return app

    def issue(self, client_id: str, member_id: str,
              scopes: list[str], with_refresh: bool = True) -> tuple[Token, Token | None]:
        now = time.time()
        # "the length of access tokens is ~500 characters" (authorization-code-flow, step 3)
        access = Token("AQ" + secrets.token_urlsafe(375), "access", client_id, member_id,
                       list(scopes), now, now + self.token_seconds)
        self.tokens[access.value] = access
        refresh = None
        if with_refresh and self.apps[client_id].refresh_tokens:
            refresh = Token("AQ" + secrets.token_urlsafe(375), "refresh", client_id, member_id,
                            list(scopes), now, now + self.refresh_seconds)
            self.tokens[refresh.value] = refresh
        return access, refresh

    def role(self, member_id: str, org_urn: str) -> str | None:
        prefix = "urn:li:organization:"
        if not org_urn.startswith(prefix) or not org_urn[len(prefix):].isdigit():
            return None
        org = self.organizations.get(int(org_urn[len(prefix):]))
        return org.roles.get(member_id) if org else None

    # --- faults and limits ----------------------------------------------------------------
    def count_daily(self, member_id: str, client_id: str, method: str,
                    template: str) -> str | None:
        """Count one call; the name of the limit spent ("MEMBER" / "APPLICATION") or None."""
        limits = self.daily_limits.get((method, template))
        if limits is None:
            return None
        day = dt.datetime.now(dt.UTC).date().isoformat()
        member_limit, app_limit = limits
        member_key = (day, "member:" + member_id, method, template)
        app_key = (day, "app:" + client_id, method, template)
        if app_limit is not None and self.daily.get(app_key, 0) >= app_limit:
            return "APPLICATION"
        if member_limit is not None and self.daily.get(member_key, 0) >= member_limit:
            return "MEMBER"
        self.daily[member_key] = self.daily.get(member_key, 0) + 1
        self.daily[app_key] = self.daily.get(app_key, 0) + 1
        return None
