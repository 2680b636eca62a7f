"""LinkedIn: OAuth 2.0 through the operator's app, posting as the member or as an organization
page they administer (Posts API), pictures (Images API), video (Videos API), link previews,
the account's own posts and their comments, replies to comments. Plain HTTP over the guarded
session (api.py).

LinkedIn takes no idempotency key. Each attempt's time is recorded (prepare); a publish whose
outcome is unknown is settled by reading the author's recent posts (q=author) and matching the
commentary, and a refusal as a duplicate counts as sent: with the post it names, or the one
found among the author's posts.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import Any, ClassVar

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
    Item,
    MediaFile,
    Page,
    Published,
    Validation,
)
from hubbub.networks.errors import AuthExpired, NotFound, Rejected, Revoked
from hubbub.networks.linkedin import (
    api,
    conversation,
    little,
    mapping,
    media,
    mentions,
    oauth,
    reading,
    rules,
    video,
)
from hubbub.networks.linkedin.api import LinkedInApi, urn_path
from hubbub.networks.linkedin.failures import unreadable

CLOCK_SLACK = timedelta(minutes=2)
# Without a prepared attempt time, a duplicate refusal is matched against this much history.
DUPLICATE_LOOKBACK = timedelta(hours=1)


def author_of(account: Account) -> str:
    return str(account.credentials.get("author") or account.remote_id)


def write_scope(author: str) -> str:
    return ("w_organization_social" if author.startswith(mapping.ORGANIZATION)
            else "w_member_social")


class LinkedInConnector(Connector):
    slug: ClassVar[str] = oauth.SLUG  # "linkedin"
    name: ClassVar[str] = "LinkedIn"
    # Why a column kind is missing, from LinkedIn's API (feedkinds.unavailable_reasons).
    column_kind_reasons: ClassVar[Mapping[str, str]] = {
        "home": "the API gives apps no home feed, only the account's own posts and the "
                "comments on them",
        "mentions": "the API gives apps no member's mentions, and the hub reads none of a "
                    "page's: the Notifications column shows the comments on your posts",
        "list": "the API has no lists of people for apps to read",
        "hashtag": "the API gives apps no hashtag feed",
        "search": "the API gives apps no search of posts",
        "author": "the API lets apps read the posts of the signed-in member and of the pages "
                  "they administer only",
        "feed": "custom feeds are Bluesky's feed generators, and LinkedIn has none",
    }
    # docs: learn.microsoft.com/linkedin/shared/integrations/people/profile-api
    profiles_not_read: ClassVar[str] = (
        "LinkedIn profiles give the suggestions nothing: LinkedIn's Profile API answers for "
        "the signed-in member only (more needs LinkedIn's partner approval), and its terms "
        "forbid keeping another member's profile data. LinkedIn accounts are suggested by "
        "matching names only.")
    auth_kind: ClassVar[AuthKind] = "oauth2"
    # LinkedIn's limits are per day (reset at midnight UTC) and unpublished; an account's own
    # posts change slowly: two reads a minute keeps a day's polling under 3,000 calls.
    poll_reads_per_minute: ClassVar[float | None] = 2.0
    reading_note: ClassVar[str] = (
        "LinkedIn offers no home feed to apps: the hub can show only this account's own posts "
        "and the comments on them.")
    credential_fields: ClassVar[tuple[CredentialField, ...]] = (
        CredentialField("access_token", "Access token", "--token", kind="secret",
                        help="A member access token issued to the operator's LinkedIn app."),
    )

    # --- plumbing ------------------------------------------------------------------------------
    @contextmanager
    def _api(self, account: Account) -> Iterator[LinkedInApi]:
        with LinkedInApi.for_account(account.base_url, account.credentials) as li:
            try:
                yield li
            except AuthExpired as exc:
                if account.credentials.get("refresh_token"):
                    raise
                raise Revoked(f"{exc.message}. LinkedIn logins last 60 days and this one cannot "
                              "be renewed without you: reconnect the account.") from None

    # --- identity and capabilities -------------------------------------------------------------
    def capabilities(self, account: Account) -> Capabilities:
        return rules.capabilities()

    def default_capabilities(self) -> Capabilities:
        return rules.capabilities()

    def whoami(self, account: Account) -> Identity:
        author = author_of(account)
        with self._api(account) as li:
            if author.startswith(mapping.ORGANIZATION):
                number = author.removeprefix(mapping.ORGANIZATION)
                return mapping.organization_identity(
                    author, li.get(f"/rest/organizations/{urn_path(number)}"))
            return oauth.member(li)

    def credentials_expire_at(self, credentials: Mapping[str, Any]) -> datetime | None:
        key = "refresh_expires_at" if credentials.get("refresh_token") else "expires_at"
        try:
            when = datetime.fromisoformat(str(credentials.get(key) or ""))
        except ValueError:
            return None
        return when if when.tzinfo else when.replace(tzinfo=UTC)

    # --- auth ----------------------------------------------------------------------------------
    def begin_auth(self, base_url: str, redirect_uri: str) -> AuthStart:
        """LinkedIn has one server: `base_url` is not used."""
        return oauth.start(redirect_uri)

    def complete_auth(self, params: dict[str, str], state_data: dict[str, Any]) -> Connected:
        code = oauth.check_callback(params, state_data)
        auth_base = str(state_data.get("auth_url") or api.auth_url())
        api_base = str(state_data.get("api_url") or api.api_url())
        credentials = oauth.exchange_code(auth_base, code, str(state_data["redirect_uri"]))
        credentials["auth_url"] = auth_base
        return oauth.connect(api_base, credentials)

    def connect_with_token(self, base_url: str, credentials: dict[str, Any]) -> Connected:
        token = str(credentials.get("access_token") or "").strip()
        if not token:
            raise Rejected("Give a LinkedIn member access token issued to the operator's "
                           "LinkedIn app.")
        base = base_url.strip() or api.api_url()
        stored = {"access_token": token, **oauth.introspect(api.auth_url(), token)}
        try:
            return oauth.connect(base, stored)
        except AuthExpired:
            raise Revoked("LinkedIn does not accept this access token.") from None

    def refresh_credentials(self, account: Account) -> dict[str, Any] | None:
        held = account.credentials.get("refresh_token")
        if not held:
            return None
        auth_base = str(account.credentials.get("auth_url") or api.auth_url())
        return {**account.credentials, **oauth.refresh(auth_base, str(held))}

    # --- write ---------------------------------------------------------------------------------
    def validate(self, draft: Draft, capabilities: Capabilities) -> Validation:
        return rules.validate(draft, capabilities)

    def prepare(self, account: Account, draft: Draft, idempotency_key: str) -> dict[str, Any]:
        """When this part was first tried (a duplicate refusal is matched from then), the
        link preview and the pages it mentions (mentions.py), read once so that every retry
        sends the same post."""
        prepared: dict[str, Any] = attempts.attempt()
        text = mapping.outgoing_text(draft)
        link = mapping.first_link(text)
        if link and not draft.media and not draft.in_reply_to:
            prepared["article"] = reading.article_for(link)
        if "@" in text and not draft.in_reply_to and mentions.may_resolve(account.credentials):
            with self._api(account) as li:
                named = mentions.resolve(li, text)
            pairs = [(m["name"], m["urn"]) for m in named]
            # Only while the commentary keeps to the limit the composer counted against.
            if named and len(little.to_little(text, pairs)) <= rules.capabilities().text_limit:
                prepared["mentions"] = named
        return prepared

    def upload_media(self, account: Account, media_file: MediaFile) -> str:
        """A picture (Images API) or a video (Videos API, in parts); its URN is stored by
        the engine before anything is posted."""
        with self._api(account) as li:
            if media_file.is_video:
                return video.upload(li, author_of(account), media_file)
            return media.upload(li, author_of(account), media_file)

    def publish(self, account: Account, draft: Draft, idempotency_key: str,
                media_ids: tuple[str, ...],
                prepared: Mapping[str, Any] | None = None) -> Published:
        author = author_of(account)
        if draft.in_reply_to:
            return self._comment(account, author, draft)
        images = [(urn, item.alt_text) for urn, item in zip(media_ids, draft.media,
                                                             strict=False)]
        article = (prepared or {}).get("article")
        if not isinstance(article, Mapping):
            link = mapping.first_link(mapping.outgoing_text(draft))
            article = {"source": link, "title": link} if link else None
        body = mapping.post_body(author, draft, images, article,
                                 mentions.from_prepared(prepared))
        with self._api(account) as li:
            for urn, _alt in images:
                if video.is_video(urn):
                    video.ensure_available(li, urn)
                else:
                    media.ensure_available(li, urn)
            response = li.send("POST", "/rest/posts", json_body=body, write=True)
            if not response.ok:
                failure = li.failure(response)
                if failure.duplicate_of:
                    return Published(failure.duplicate_of, api.post_url(failure.duplicate_of))
                if failure.is_duplicate:
                    found = self._find(li, author, draft, _attempted(prepared),
                                       mentions.from_prepared(prepared))
                    if found is not None:
                        return found
            li.result(response, write=True, scope=write_scope(author))
        urn = response.headers.get("x-restli-id", "").strip()
        if not urn.startswith("urn:li:"):
            raise unreadable(write=True)
        return Published(remote_id=urn, url=api.post_url(urn), created_at=datetime.now(UTC))

    def _comment(self, account: Account, author: str, draft: Draft) -> Published:
        target, parent = mapping.comment_target(draft.in_reply_to)
        body = mapping.comment_body(author, draft, target, parent)
        with self._api(account) as li:
            response = li.send("POST", f"/rest/socialActions/{urn_path(target)}/comments",
                               json_body=body, write=True)
            answer = li.result(response, write=True, scope=write_scope(author))
        return reading.published_comment(answer, response.headers.get("x-restli-id", ""),
                                         target)

    def find_published(self, account: Account, draft: Draft, idempotency_key: str,
                       since: datetime,
                       prepared: Mapping[str, Any] | None = None) -> Published | None:
        author = author_of(account)
        with self._api(account) as li:
            if draft.in_reply_to:
                return reading.find_comment(li, author, draft, since - CLOCK_SLACK)
            return self._find(li, author, draft, since, mentions.from_prepared(prepared))

    def _find(self, li: LinkedInApi, author: str, draft: Draft, since: datetime,
              named: Sequence[tuple[str, str]] = ()) -> Published | None:
        found = reading.own_posts_since(li, author, since - CLOCK_SLACK)
        matching = [p for p in found if mapping.matches(p, draft, len(draft.media), named)]
        if not matching:
            return None
        first = mapping.oldest_first(matching)[0]
        urn = str(first.get("id"))
        return Published(remote_id=urn, url=api.post_url(urn),
                         created_at=mapping.created_at(first))

    def delete(self, account: Account, remote_id: str) -> None:
        """Delete a post (or a comment the account made); one already gone counts as done."""
        author = author_of(account)
        with self._api(account) as li:
            target, parent = mapping.comment_target(remote_id)
            if parent:
                comment_id = parent.rsplit(",", 1)[-1].rstrip(")")
                path = f"/rest/socialActions/{urn_path(target)}/comments/{urn_path(comment_id)}"
                query = api.encode_query({"actor": author})
            else:
                path, query = f"/rest/posts/{urn_path(remote_id)}", ""
            response = li.send("DELETE", path, query=query)
            try:
                li.result(response, scope=write_scope(author))
            except NotFound:
                return

    # --- read ----------------------------------------------------------------------------------
    def fetch(self, account: Account, feed: str, cursor: str | None = None) -> Page:
        """`own`: the account's posts, newest first; `notifications`: the comments on its
        recent posts. LinkedIn offers apps no home feed."""
        author = author_of(account)
        names = {author: account.handle}
        with self._api(account) as li:
            if feed == "own":
                return reading.own_page(li, author, cursor, names)
            if feed == "notifications":
                return reading.comments_page(li, author, cursor, names)
        raise NotImplementedError(f"LinkedIn cannot read {feed!r}: it offers apps no home feed, "
                                  "only the account's own posts and their comments")

    def conversation(self, account: Account, remote_id: str) -> tuple[Item, ...]:
        """The post and its comments, replies to comments included."""
        author = author_of(account)
        with self._api(account) as li:
            return conversation.read(li, remote_id, author, {author: account.handle})


def _attempted(prepared: Mapping[str, Any] | None) -> datetime:
    return attempts.attempted(prepared, DUPLICATE_LOOKBACK)
