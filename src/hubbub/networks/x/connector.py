"""X (API v2): OAuth 2.0 with PKCE through the operator's app, posts with pictures, video,
replies, threads and quotes, the home timeline, mentions, a person's posts and recent search,
likes and reposts. Plain HTTP over the guarded session (api.py); why no SDK, in
docs/architecture.md.

X takes no idempotency key. A publish whose outcome is unknown is settled by reading the
account's own posts since the attempt (find_published), and a refusal as "duplicate content"
counts as sent once the post is found among them.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import Any, ClassVar

from hubbub.core.image_fit import FitLimits
from hubbub.networks import attempts
from hubbub.networks.base import (
    Account,
    AuthKind,
    AuthStart,
    Capabilities,
    Connected,
    Connector,
    CredentialField,
    Draft,
    Identity,
    MediaFile,
    Page,
    Published,
    Validation,
)
from hubbub.networks.errors import AuthExpired, NotFound, Rejected, Revoked, Transient
from hubbub.networks.x import api, costs, mapping, media, oauth, reading, rules, tokens
from hubbub.networks.x.api import XApi
from hubbub.networks.x.failures import unreadable

# find_published looks this far before `since`, for a server clock behind ours.
CLOCK_SLACK = timedelta(minutes=2)
# After a duplicate refusal, posts from this long before the first attempt may be its own
# (clocks differ a little); an older post with the same text is someone's earlier one.
DUPLICATE_SLACK = timedelta(seconds=15)
# Without a prepared attempt time, a duplicate refusal is matched against this much history.
DUPLICATE_LOOKBACK = timedelta(hours=1)
FIND_PAGES = 5
FIND_PAGE_SIZE = 100
USER_FIELDS = {"user.fields": "name,username,profile_image_url"}
REACTIONS = {"like": "likes", "repost": "retweets"}


class XConnector(Connector):
    slug: ClassVar[str] = oauth.SLUG  # "x"
    name: ClassVar[str] = "X"
    # Why a column kind is missing, from X's API v2 (feedkinds.unavailable_reasons).
    column_kind_reasons: ClassVar[Mapping[str, str]] = {
        "notifications": "the API gives apps mentions but no notifications timeline: use the "
                         "Mentions column",
        "list": "reading a list needs X's list.read permission, which this hub's X app does "
                "not ask for: use a Person or search column",
        "hashtag": "the API has no hashtag timeline: search for the #tag in a search column "
                   "(X bills every post it reads)",
        "feed": "custom feeds are Bluesky's feed generators, and X's API offers apps none: use "
                "a search or Person column",
    }
    auth_kind: ClassVar[AuthKind] = "oauth2"
    # The home timeline allows 180 requests per 15 minutes per account (12 a minute): polling
    # keeps under that with room for posting and paging. X bills per post read, not per
    # request, so polling more often costs little more (costs.py).
    poll_reads_per_minute: ClassVar[float | None] = 10.0
    reading_note: ClassVar[str] = (
        "X bills this hub's app for every post it reads: the Connections page shows what the "
        "X columns you open cost a month, and they pause, saying so, past a monthly cap.")
    credential_fields: ClassVar[tuple[CredentialField, ...]] = (
        CredentialField("access_token", "Access token", "--token", kind="secret",
                        help="An OAuth 2.0 user access token issued to the operator's X app."),
        CredentialField("refresh_token", "Refresh token", "--refresh-token", kind="secret",
                        required=False,
                        help="Its refresh token (offline.access), so the hub can renew the "
                             "two-hour access token."),
    )

    # --- plumbing ------------------------------------------------------------------------------
    @contextmanager
    def _api(self, account: Account) -> Iterator[XApi]:
        ends = mapping.parse_time(account.credentials.get("expires_at"))
        if ends is not None and ends <= datetime.now(UTC) and account.credentials.get(
                "refresh_token"):
            # Known to be over (X's tokens last two hours): renew without a doomed request.
            raise AuthExpired("The X access token has expired")
        with XApi.for_account(account.base_url, account.credentials) as x:
            try:
                yield x
            except AuthExpired as exc:
                # X answers 401 alike for an expired and a revoked token. With a refresh token
                # the engine renews once and decides; without one there is nothing to renew.
                if account.credentials.get("refresh_token"):
                    raise
                raise Revoked(f"{exc.message}. This login cannot be renewed (it has no refresh "
                              "token): reconnect the account.") from None

    @staticmethod
    def _me(x: XApi, account: Account) -> str:
        if account.remote_id:
            return account.remote_id
        return _identity(x).remote_id

    # --- identity and capabilities -------------------------------------------------------------
    def capabilities(self, account: Account) -> Capabilities:
        return rules.capabilities()  # X serves no limits: the documented ones

    def default_capabilities(self) -> Capabilities:
        return rules.capabilities()

    def whoami(self, account: Account) -> Identity:
        with self._api(account) as x:
            return _identity(x)

    # --- auth ----------------------------------------------------------------------------------
    def begin_auth(self, base_url: str, redirect_uri: str) -> AuthStart:
        """X has one server: `base_url` (a typed instance, for other networks) is not used."""
        return oauth.start(redirect_uri)

    def complete_auth(self, params: dict[str, str], state_data: dict[str, Any]) -> Connected:
        code = oauth.check_callback(params, state_data)
        base = str(state_data.get("api_url") or api.api_url())
        credentials = oauth.exchange_code(base, code, str(state_data["redirect_uri"]),
                                          str(state_data["code_verifier"]))
        identity = self.whoami(Account(base_url=base, credentials=credentials))
        return Connected(base_url=base, credentials=credentials, identity=identity)

    def connect_with_token(self, base_url: str, credentials: dict[str, Any]) -> Connected:
        token = str(credentials.get("access_token") or "").strip()
        if not token:
            raise Rejected("Give an X user access token (OAuth 2.0) issued to the operator's "
                           "X app.")
        base = base_url.strip() or api.api_url()
        stored: dict[str, Any] = {"access_token": token, "grant_id": uuid.uuid4().hex}
        refresh_token = str(credentials.get("refresh_token") or "").strip()
        if refresh_token:
            stored["refresh_token"] = refresh_token
        try:
            identity = self.whoami(Account(base_url=base, credentials=stored))
        except AuthExpired:
            raise Revoked("X does not accept this access token.") from None
        return Connected(base_url=base, credentials=stored, identity=identity)

    def credentials_expire_at(self, credentials: Mapping[str, Any]) -> datetime | None:
        """A login without a refresh token ends with its access token (two hours); one with a
        refresh token is renewed and does not end that way."""
        if credentials.get("refresh_token"):
            return None
        return mapping.parse_time(credentials.get("expires_at"))

    def refresh_credentials(self, account: Account) -> dict[str, Any] | None:
        if not account.credentials.get("refresh_token"):
            return None  # connected without offline.access: the person signs in again
        return tokens.refresh(account, oauth.refresh)

    def profile_reads_per_day(self) -> int | None:
        """X bills each profile read: the People turns read a bounded number a day."""
        return costs.profile_reads_per_day()

    def account_notes(self, account: Account) -> tuple[str, ...]:
        """What the open columns of this account cost a month in X API reads, and the cap."""
        return costs.notes(account)

    def disconnect(self, account: Account) -> None:
        oauth.revoke(account.base_url, account.credentials)

    # --- write ---------------------------------------------------------------------------------
    def validate(self, draft: Draft, capabilities: Capabilities) -> Validation:
        return rules.validate(draft, capabilities)

    def prepare(self, account: Account, draft: Draft, idempotency_key: str) -> dict[str, Any]:
        """When this part was first tried: a "duplicate" refusal is matched only against the
        account's posts since then."""
        return attempts.attempt()

    def image_fit(self, capabilities: Capabilities) -> FitLimits:
        return rules.fit_limits(capabilities.media)

    def upload_media(self, account: Account, media_file: MediaFile) -> str:
        with self._api(account) as x:
            return media.upload(x, media_file, rules.fit_limits(rules.capabilities().media))

    def publish(self, account: Account, draft: Draft, idempotency_key: str,
                media_ids: tuple[str, ...],
                prepared: Mapping[str, Any] | None = None) -> Published:
        username = mapping.username_of(account.handle)
        with self._api(account) as x:
            for media_id, item in zip(media_ids, draft.media, strict=False):
                if media.category(item) != "tweet_image":
                    media.ensure_processed(x, media_id)
            response = x.send("POST", "/2/tweets", json_body=mapping.create_body(draft, media_ids),
                              write=True)
            if response.status_code == 403 and x.failure(response).is_duplicate:
                found = self._find(x, account, draft, _attempted(prepared), DUPLICATE_SLACK)
                if found is not None:
                    return found
            body = x.result(response, write=True)
        try:
            return mapping.published(body, username)
        except ValueError:
            raise unreadable(write=True) from None

    def find_published(self, account: Account, draft: Draft, idempotency_key: str,
                       since: datetime,
                       prepared: Mapping[str, Any] | None = None) -> Published | None:
        with self._api(account) as x:
            return self._find(x, account, draft, since, CLOCK_SLACK)

    def _find(self, x: XApi, account: Account, draft: Draft, since: datetime,
              slack: timedelta) -> Published | None:
        """The oldest of the account's own posts since `since` (less `slack`) that is this
        draft."""
        me = self._me(x, account)
        earliest = (since - slack).astimezone(UTC).replace(microsecond=0)
        start = earliest.strftime("%Y-%m-%dT%H:%M:%SZ")
        params = reading.expanded({"max_results": FIND_PAGE_SIZE, "start_time": start,
                                   "exclude": "retweets"})
        found: list[Mapping[str, Any]] = []
        for _ in range(FIND_PAGES):
            body = x.get(f"/2/users/{me}/tweets", params, limit_key="/2/users/:id/tweets")
            posts = body.get("data")
            found += [p for p in posts if isinstance(p, Mapping) and _since(p, earliest)
                      and mapping.matches(p, draft, len(draft.media))
                      ] if isinstance(posts, list) else []
            meta = body.get("meta")
            token = meta.get("next_token") if isinstance(meta, Mapping) else None
            if not token or not posts:
                break
            params = {**params, "pagination_token": str(token)}
        if not found:
            return None
        first = mapping.oldest_first(found)[0]
        username = mapping.username_of(account.handle)
        return Published(remote_id=str(first["id"]),
                         url=mapping.post_url(username, str(first["id"])),
                         created_at=mapping.parse_time(first.get("created_at")))

    def delete(self, account: Account, remote_id: str) -> None:
        """Delete a post; one that is already gone counts as deleted."""
        with self._api(account) as x:
            try:
                x.delete(f"/2/tweets/{remote_id}", limit_key="/2/tweets/:id")
            except NotFound:
                return

    def react(self, account: Account, item_remote_id: str, kind: str) -> str:
        """Like or repost; X keeps one of each, so a repeat is harmless. Returns ""."""
        what = REACTIONS.get(kind)
        if what is None:
            raise NotImplementedError(f"{self.name} cannot {kind} from hubbub")
        with self._api(account) as x:
            x.post(f"/2/users/{self._me(x, account)}/{what}", {"tweet_id": item_remote_id},
                   limit_key=f"/2/users/:id/{what}")
        return ""

    # --- read ----------------------------------------------------------------------------------
    def fetch(self, account: Account, feed: str, cursor: str | None = None) -> Page:
        """A page of `home`, `mentions`, `own`, `author:<handle>` or `search:<query>`, newest
        first; the cursor is X's pagination token."""
        costs.check_cap(account, feed)
        with self._api(account) as x:
            wanted = reading.request_for(x, self._me(x, account), account.handle, feed, cursor)
            body = x.get(wanted.path, wanted.params, what=wanted.what,
                         limit_key=wanted.limit_key)
        return reading.page_from(body, wanted.kind)


def _identity(x: XApi) -> Identity:
    body = x.get("/2/users/me", USER_FIELDS)
    try:
        return mapping.identity_from_user(body.get("data") or {})
    except (ValueError, AttributeError):
        raise Transient("X described the signed-in account in a way hubbub cannot read") from None


def _since(post: Mapping[str, Any], earliest: datetime) -> bool:
    """Made at or after `earliest` (X filters by start_time; this keeps to it regardless)."""
    made = mapping.parse_time(post.get("created_at"))
    return made is None or made >= earliest


def _attempted(prepared: Mapping[str, Any] | None) -> datetime:
    return attempts.attempted(prepared, DUPLICATE_LOOKBACK)
