"""Threads: sign-in through the operator's Threads app (long-lived tokens, renewed before they
end), text, image and carousel posts with alt text, replies and threads of posts through
Meta's two-step publishing (a container, then publishing it), the account's own posts and the
replies to them, deleting. Plain HTTP over the shared Meta client (networks/meta/graph.py).

Threads takes no idempotency key. The container is the guard: it is made once per part
(`stage`, stored by the engine before publish) and every retry publishes that same container,
whose status says whether it was published already (publishing.py).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any, ClassVar

from hubbub.core.image_fit import FitLimits
from hubbub.core.public_media import reachability
from hubbub.networks.app_check import check_client_credentials
from hubbub.networks.attempts import attempt, attempted
from hubbub.networks.base import (
    Account,
    AppCredentials,
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
from hubbub.networks.errors import AuthExpired, Rejected, Transient
from hubbub.networks.meta import media as meta_media
from hubbub.networks.meta.connection import stored_id, token_connection
from hubbub.networks.threads import (
    api,
    conversation,
    mapping,
    oauth,
    publishing,
    reading,
    rules,
)
from hubbub.networks.threads.api import ThreadsApi
from hubbub.networks.threads.failures import RECONNECT

PROFILE_FIELDS = "id,username,name,threads_profile_picture_url"
READING_NOTE = ("Threads gives apps no home timeline: hubbub shows this account's own posts "
                "and the replies to them.")


class ThreadsConnector(Connector):
    slug: ClassVar[str] = oauth.SLUG  # "threads"
    name: ClassVar[str] = "Threads"
    # Why a column kind is missing, from the Threads API (feedkinds.unavailable_reasons). The
    # permissions named are threads_manage_mentions, threads_keyword_search and
    # threads_profile_discovery, not written out: a tile of the dialog cannot wrap them.
    column_kind_reasons: ClassVar[Mapping[str, str]] = {
        "home": "the API gives apps no home timeline, only the account's own posts and the "
                "replies to them",
        "mentions": "reading mentions needs Threads' mentions permission, which this hub's app "
                    "does not ask for: Notifications shows the replies to your posts",
        "list": "the API gives apps no lists",
        "hashtag": "topic tags are read through keyword search, whose permission this hub's "
                   "app does not ask for",
        "search": "keyword search needs Threads' keyword search permission, which this hub's "
                  "app does not ask for",
        "author": "another account's posts need Threads' profile discovery permission, which "
                  "this hub's app does not ask for",
        "feed": "the API gives apps none of Threads' custom feeds",
    }
    # docs: developers.facebook.com/documentation/threads/threads-profiles
    profiles_not_read: ClassVar[str] = (
        "Threads profiles are not read: the Threads API gives an app the signed-in account's "
        "own bio only; another profile's needs its profile discovery API (the "
        "threads_profile_discovery permission), which this hub's app does not ask for. "
        "Threads accounts are suggested by matching names only.")
    auth_kind: ClassVar[AuthKind] = "oauth2"
    # Calls count per app and person over 24 hours (4,800 x impressions, at least 10:
    # "Overview", Rate Limiting): 48,000 a day at the least; two reads a minute is ~2,900.
    poll_reads_per_minute: ClassVar[float | None] = 2.0
    reading_note: ClassVar[str] = READING_NOTE
    credential_fields: ClassVar[tuple[CredentialField, ...]] = (
        CredentialField("access_token", "Threads access token", "--token", kind="secret",
                        help="A long-lived Threads user access token issued to the operator's "
                             "Threads app."),
    )

    # --- plumbing ------------------------------------------------------------------------------
    @contextmanager
    def _api(self, account: Account) -> Iterator[ThreadsApi]:
        if oauth.due_for_renewal(account.credentials):
            # The engine and the poller renew on AuthExpired (refresh_credentials); Threads
            # renews only a token that has not expired yet, so the hub asks before it does.
            raise AuthExpired("The Threads login ends soon: hubbub renews it first.")
        with ThreadsApi.for_account(account.base_url, account.credentials) as g:
            yield g

    @staticmethod
    def _user_id(account: Account) -> str:
        return stored_id(account, "user_id", f"This Threads connection does not say which "
                                             f"account it is: {RECONNECT}.")

    # --- identity and capabilities -------------------------------------------------------------
    def capabilities(self, account: Account) -> Capabilities:
        return rules.capabilities()  # the API serves no text or media limits

    def default_capabilities(self) -> Capabilities:
        return rules.capabilities()

    def whoami(self, account: Account) -> Identity:
        with self._api(account) as g:
            return _identity(g, "me")

    def check_app(self, app: AppCredentials) -> None:
        check_client_credentials(f"{api.graph_url()}/{oauth.CODE_PATH}", app, "Threads")

    def credentials_expire_at(self, credentials: Mapping[str, Any]) -> datetime | None:
        """A long-lived token lasts 60 days; the hub renews it in its last week when it is
        used (a connection nobody posts to or reads must be reconnected by then)."""
        return oauth.expires_at(credentials)

    def refresh_credentials(self, account: Account) -> dict[str, Any] | None:
        expires = oauth.expires_at(account.credentials)
        if expires is not None and expires <= datetime.now(UTC):
            return None  # "Long-Lived Tokens": an expired token cannot be refreshed
        try:
            return oauth.refresh(account.base_url, account.credentials)
        except Rejected:
            if expires is None:
                raise
            # Still valid: keep it, and do not ask again for a day.
            return {**dict(account.credentials),
                    "issued_at": datetime.now(UTC).isoformat()}

    def account_notes(self, account: Account) -> tuple[str, ...]:
        why = reachability()
        if not why:
            return ()
        return (f"Threads fetches a post's images from the hub: {why}",)

    # --- auth ----------------------------------------------------------------------------------
    def begin_auth(self, base_url: str, redirect_uri: str) -> AuthStart:
        """Threads has one server: `base_url` is not used."""
        return oauth.start(redirect_uri)

    def complete_auth(self, params: dict[str, str], state_data: dict[str, Any]) -> Connected:
        code = oauth.check_callback(params, state_data)
        base = str(state_data.get("graph_url") or api.graph_url())
        credentials = oauth.exchange_code(base, code, str(state_data["redirect_uri"]))
        identity = self.whoami(Account(base_url=base, credentials=credentials))
        credentials["user_id"] = identity.remote_id
        return Connected(base_url=base, credentials=credentials, identity=identity)

    def connect_with_token(self, base_url: str, credentials: dict[str, Any]) -> Connected:
        return token_connection(
            base_url, credentials, origin=api.graph_url, whoami=self.whoami,
            missing="Give a Threads access token issued to the operator's Threads app.",
            id_key="user_id")

    # --- write ---------------------------------------------------------------------------------
    def validate(self, draft: Draft, capabilities: Capabilities) -> Validation:
        return rules.validate(draft, capabilities)

    def prepare(self, account: Account, draft: Draft, idempotency_key: str) -> dict[str, Any]:
        """When this part was first tried: find_published looks at posts since then."""
        return attempt()

    def upload_media(self, account: Account, media: MediaFile) -> str:
        """Threads takes no upload: the picture is kept (JPEG, PNG within 8 MB) or fitted to
        that under MEDIA_ROOT, and its place there is the media id; each container names it by
        a fresh public address. Refused at once when the hub has no public address."""
        if media.is_video:
            raise Rejected("hubbub does not post video to Threads yet: leave the video out "
                           "for this account")
        media_id = meta_media.prepare_image(media, network="Threads", limits=rules.fit_limits())
        meta_media.address(media_id, "Threads")  # Rejected now if there is no public address
        return media_id

    def image_fit(self, capabilities: Capabilities) -> FitLimits:
        return rules.fit_limits()

    def stage(self, account: Account, draft: Draft, media_ids: tuple[str, ...],
              prepared: Mapping[str, Any]) -> dict[str, Any]:
        with self._api(account) as g:
            return publishing.make_container(g, self._user_id(account), draft, media_ids)

    def publish(self, account: Account, draft: Draft, idempotency_key: str,
                media_ids: tuple[str, ...],
                prepared: Mapping[str, Any] | None = None) -> Published:
        stage = (prepared or {}).get("stage")
        with self._api(account) as g:
            return publishing.publish_container(
                g, self._user_id(account), account.handle, api.authorize_url(), draft,
                stage if isinstance(stage, Mapping) else {}, media_ids,
                attempted(prepared, publishing.CLOCK_SLACK))

    def find_published(self, account: Account, draft: Draft, idempotency_key: str,
                       since: datetime,
                       prepared: Mapping[str, Any] | None = None) -> Published | None:
        stage = (prepared or {}).get("stage")
        with self._api(account) as g:
            return publishing.find(g, self._user_id(account), account.handle,
                                   api.authorize_url(), draft,
                                   stage if isinstance(stage, Mapping) else None,
                                   min(since, attempted(prepared, publishing.CLOCK_SLACK)))

    def delete(self, account: Account, remote_id: str) -> None:
        """Delete a post or reply ("Delete Posts"); one already gone counts as deleted."""
        with self._api(account) as g:
            g.delete_gone(remote_id, what="delete the post")

    # --- engage --------------------------------------------------------------------------------
    def react(self, account: Account, item_remote_id: str, kind: str) -> str:
        """The Threads API has no endpoint to like or bookmark a post as the account."""
        raise NotImplementedError(f"Threads' API does not let an app {kind}")

    # --- read ----------------------------------------------------------------------------------
    def fetch(self, account: Account, feed: str, cursor: str | None = None) -> Page:
        """A page of `own` (the account's posts) or `notifications` (replies to them)."""
        with self._api(account) as g:
            return reading.fetch(g, self._user_id(account), account.handle, feed, cursor,
                                 api.authorize_url())

    def conversation(self, account: Account, remote_id: str) -> tuple[Item, ...]:
        """The thread's root post and every reply below it, replies to replies included."""
        with self._api(account) as g:
            return conversation.read(g, remote_id, account.handle, api.authorize_url())


def _identity(g: ThreadsApi, who: str) -> Identity:
    body = g.get(who, {"fields": PROFILE_FIELDS}, what="read the account")
    user_id, username = body.get("id"), body.get("username")
    if not isinstance(user_id, str | int) or not str(user_id) or not isinstance(username, str):
        raise Transient("Threads described the account in a way hubbub cannot read")
    name = body.get("name")
    picture = body.get("threads_profile_picture_url")
    web = api.authorize_url()
    return Identity(remote_id=str(user_id), handle=f"@{username}",
                    display_name=name if isinstance(name, str) and name.strip() else username,
                    avatar_url=picture if isinstance(picture, str) else "",
                    profile_url=mapping.profile_url(web, username))
