"""Mastodon (and Mastodon-API servers) through Mastodon.py, over the guarded HTTP session."""

from __future__ import annotations

import base64
import hashlib
import io
import logging
import secrets
import time
from collections.abc import Mapping, Sequence
from contextlib import AbstractContextManager
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, ClassVar
from urllib.parse import urlencode, urlsplit

from hubbub.core.counting import count_text
from hubbub.core.http import (
    guarded_session,
)
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
    Problem,
    Published,
    Validation,
)
from hubbub.networks.draft_checks import over_limit
from hubbub.networks.errors import (
    ConnectorError,
    NotFound,
    Rejected,
    Revoked,
    Transient,
)
from hubbub.networks.image_fit import fitted
from hubbub.networks.mastodon import (
    apps,
    columns,
    conversation,
    failures,
    mapping,
    oauth,
    quotes,
    rules,
    streaming,
)
from hubbub.networks.mastodon import direct as direct_messages
from hubbub.networks.mastodon.client import Api as _Api
from hubbub.networks.mastodon.client import open_api
from hubbub.networks.mastodon.lists import list_id
from hubbub.networks.mastodon.mention_types import MentionTypes
from hubbub.networks.mastodon.search import each as _each
from hubbub.networks.mastodon.search import next_cursor, search_page

log = logging.getLogger(__name__)

REACTION_METHODS = {"like": "status_favourite", "repost": "status_reblog",
                    "bookmark": "status_bookmark"}
# find_published looks this far before `since`, in case the server's clock runs behind ours.
CLOCK_SLACK = timedelta(minutes=2)
FIND_PUBLISHED_PAGES = 5
PAGE_SIZE = 40
MEDIA_PROCESSING_WAIT_SECONDS = 60.0


class MastodonConnector(Connector):
    slug: ClassVar[str] = oauth.SLUG  # "mastodon"
    # Mastodon's default limit is 300 requests per 5 minutes per account: polling takes half,
    # leaving the rest for posting, reactions and paging back.
    poll_reads_per_minute: ClassVar[float | None] = 30.0
    name: ClassVar[str] = "Mastodon"
    # Mastodon 4.5 quotes (quoted_status_id); an older server gets the link (publish).
    native_quotes: ClassVar[bool] = True
    # Why a column kind is missing, from Mastodon's API (feedkinds.unavailable_reasons).
    column_kind_reasons: ClassVar[Mapping[str, str]] = {
        "feed": "custom feeds are Bluesky's feed generators, and Mastodon has nothing like "
                "them: use a list, hashtag or search column",
    }
    column_param_refusal = columns.column_param_refusal  # tag letters, list ids and titles
    auth_kind: ClassVar[AuthKind] = "oauth2"
    # People connect through OAuth in the browser; bots and scripts bring a token.
    credential_fields: ClassVar[tuple[CredentialField, ...]] = (
        CredentialField("base_url", "Instance", "--instance", kind="url",
                        placeholder="example.social"),
        CredentialField("access_token", "Access token", "--token", kind="secret",
                        help="From Preferences > Development on your server."),
    )

    direct_mention_note: ClassVar[str] = (
        "{name} can read this message too: Mastodon delivers a direct message to everyone "
        "it mentions.")

    def __init__(self) -> None:
        self._mention_types = MentionTypes()

    def mention(self, handle: str, own_handle: str) -> str | None:
        """@user@host; @user for an account of the poster's own domain (its handle's, which
        may differ from the web address: Mastodon's LOCAL_DOMAIN and WEB_DOMAIN). Mastodon
        shows and counts both as @user."""
        user, _, host = handle.strip().lstrip("@").partition("@")
        if not user or not user.replace("_", "").replace(".", "").replace("-", "").isalnum():
            return None
        own = own_handle.strip().lstrip("@").rpartition("@")[2].lower()
        return f"@{user}" if not host or host.lower() == own else f"@{user}@{host}"

    # --- plumbing ------------------------------------------------------------------------------
    def _api(self, base_url: str, access_token: str | None) -> AbstractContextManager[_Api]:
        return open_api(base_url, access_token)

    def _account_api(self, account: Account) -> AbstractContextManager[_Api]:
        token = account.credentials.get("access_token")
        if not token:
            raise Revoked("No access token is stored for this account: reconnect it.")
        return self._api(account.base_url, str(token))

    # --- identity and capabilities -------------------------------------------------------------
    def capabilities(self, account: Account) -> Capabilities:
        with self._account_api(account) as api:
            instance = api.call("instance_v2")
            if not mapping.is_instance_document(instance):
                raise NotFound(f"{account.base_url} did not describe itself as a Mastodon "
                               "server")
            caps = mapping.capabilities_from_instance(instance)
            # The person's own defaults (scope read:accounts, within "read"). A server that
            # does not answer them leaves them unknown: the limits alone are still right.
            try:
                preferences = api.call("preferences")
            except ConnectorError as exc:
                log.info("no posting defaults from %s: %s", account.base_url, exc)
                return caps
        return mapping.with_posting_defaults(caps, preferences)

    def default_capabilities(self) -> Capabilities:
        return mapping.default_capabilities()

    def _upload_caps(self, api: _Api) -> Capabilities:
        """The instance's media limits for an upload (its defaults when it does not say)."""
        try:
            instance = api.call("instance_v2")
        except ConnectorError as exc:
            log.info("no media limits from the server, using the defaults: %s", exc)
            return self.default_capabilities()
        if not mapping.is_instance_document(instance):
            return self.default_capabilities()
        return mapping.capabilities_from_instance(instance)

    def whoami(self, account: Account) -> Identity:
        with self._account_api(account) as api:
            me = api.call("account_verify_credentials")
        return mapping.identity_from_account(me, account.base_url)

    # --- auth ----------------------------------------------------------------------------------
    def begin_auth(self, base_url: str, redirect_uri: str) -> AuthStart:
        base = oauth.normalize(base_url)
        session = guarded_session()
        try:
            oauth.probe_instance(session, base)
            app = apps.registered_app(
                self.slug, base, redirect_uri,
                lambda: oauth.register_app(session, base, redirect_uri),
            )
        finally:
            session.close()
        state = secrets.token_urlsafe(32)
        verifier = secrets.token_urlsafe(64)
        challenge = (
            base64.urlsafe_b64encode(hashlib.sha256(verifier.encode("ascii")).digest())
            .rstrip(b"=")
            .decode("ascii")
        )
        query = urlencode(
            {
                "client_id": app.client_id,
                "redirect_uri": redirect_uri,
                "response_type": "code",
                "scope": " ".join(oauth.SCOPES),
                "state": state,
                "code_challenge": challenge,
                "code_challenge_method": "S256",
            }
        )
        return AuthStart(
            redirect_url=f"{base}/oauth/authorize?{query}",
            state=state,
            state_data={
                "base_url": base,
                "state": state,
                "code_verifier": verifier,
                "client_id": app.client_id,
                "redirect_uri": redirect_uri,
            },
        )

    def complete_auth(self, params: dict[str, str], state_data: dict[str, Any]) -> Connected:
        base = str(state_data["base_url"])
        host = urlsplit(base).netloc
        error = params.get("error")
        if error:
            if error == "access_denied":
                raise Rejected(
                    f"Authorization was declined on {host}: nothing was connected. "
                    "Start again if that was a mistake."
                )
            detail = params.get("error_description") or error
            raise Rejected(f"{host} did not authorize hubbub: {detail}")
        expected = str(state_data.get("state") or "")
        if not expected or not secrets.compare_digest(params.get("state", ""), expected):
            raise Rejected(
                "The sign-in could not be completed (state mismatch: the link is stale or was "
                "not started here). Please connect again."
            )
        code = params.get("code")
        if not code:
            raise Rejected(f"{host} sent no authorization code back. Please connect again.")
        client_id = str(state_data["client_id"])
        redirect_uri = str(state_data["redirect_uri"])
        app = apps.find_app_by_client_id(self.slug, base, client_id)
        if app is None:
            raise Rejected("This sign-in was started for an app hubbub no longer has. Try again.")
        session = guarded_session()
        try:
            token = oauth.exchange_code(
                session, base, app, code, redirect_uri, str(state_data["code_verifier"])
            )
        finally:
            session.close()
        identity = self.whoami(Account(base_url=base, credentials={"access_token": token}))
        return Connected(
            base_url=base,
            credentials={"access_token": token, "client_id": client_id},
            identity=identity,
        )

    def connect_with_token(self, base_url: str, credentials: dict[str, Any]) -> Connected:
        base = oauth.normalize(base_url)
        token = str(credentials.get("access_token") or "").strip()
        if not token:
            raise Rejected("Paste an access token (from Preferences > Development on your server).")
        session = guarded_session()
        try:
            oauth.probe_instance(session, base)
        finally:
            session.close()
        try:
            identity = self.whoami(Account(base_url=base, credentials={"access_token": token}))
        except Revoked:
            raise Revoked(
                f"The access token is invalid: {urlsplit(base).netloc} does not accept it."
            ) from None
        return Connected(base_url=base, credentials={"access_token": token}, identity=identity)

    def disconnect(self, account: Account) -> None:
        token = account.credentials.get("access_token")
        if not token:
            return
        data = {"token": str(token)}
        client_id = account.credentials.get("client_id")
        app = apps.find_app_by_client_id(self.slug, account.base_url, str(client_id)) if (
            client_id
        ) else None
        if app is not None:
            data.update(client_id=app.client_id, client_secret=app.client_secret)
        session = guarded_session()
        try:
            response = oauth.post_form(session, f"{account.base_url}/oauth/revoke", data,
                                       account.base_url)
        finally:
            session.close()
        if not response.ok:
            raise failures.map_status(
                response.status_code, oauth.error_text(response), response.headers,
                base_url=account.base_url,
            )

    # --- write ---------------------------------------------------------------------------------
    def validate(self, draft: Draft, capabilities: Capabilities) -> Validation:
        caps = capabilities
        url_length = caps.url_length if caps.url_length is not None else 23
        count = count_text(
            caps.counting, draft.text, content_warning=draft.content_warning, url_length=url_length
        )
        problems: list[Problem] = []
        if not draft.text.strip() and not draft.media:
            problems.append(Problem("empty", "Write something or attach media."))
        if count > caps.text_limit:
            over = count - caps.text_limit
            problems.append(Problem("too_long", over_limit(over, caps.text_limit)))
        problems.extend(rules.media_problems(draft.media, caps))
        return Validation(count=count, limit=caps.text_limit, problems=tuple(problems))

    def publish(
        self,
        account: Account,
        draft: Draft,
        idempotency_key: str,
        media_ids: tuple[str, ...],
        prepared: Mapping[str, Any] | None = None,
    ) -> Published:
        with self._account_api(account) as api:
            text, quoted = quotes.text_and_quote(api, draft)
            try:
                status = api.call(
                    "status_post",
                    text,
                    in_reply_to_id=draft.in_reply_to or None,
                    quoted_status_id=quoted,
                    media_ids=list(media_ids) or None,
                    visibility=draft.visibility or None,
                    spoiler_text=draft.content_warning or None,
                    language=draft.language or None,
                    idempotency_key=idempotency_key,
                    unsafe_write=True,
                )
            except Rejected as exc:
                # 422 "Cannot attach files that have not finished processing": nothing was
                # posted; the same uploads and key go again after the backoff.
                if media_ids and "processing" in exc.message.lower():
                    raise Transient(f"The server is still processing the video: {exc.message}"
                                    ) from exc
                raise
        return mapping.published_from_status(status)

    def upload_media(self, account: Account, media: MediaFile) -> str:
        """Upload one file. A picture over the instance's byte or pixel limit goes fitted to
        them (networks/image_fit.py); the type sent is the one read from the bytes (given a
        path, Mastodon.py would guess it again from the file name)."""
        path = Path(media.path)
        try:
            stream: Any = open(path, "rb")  # noqa: SIM115 - closed below
        except OSError as exc:
            raise Rejected(f"{path.name} cannot be read: {exc.strerror}") from None
        with stream, self._account_api(account) as api:
            mime_type, name = media.mime_type, path.name
            if not media.is_video:  # a video goes as it is, read as it is sent
                picture = fitted(media, self.image_fit(self._upload_caps(api)), "this server")
                if not picture.as_is:
                    stream, mime_type = io.BytesIO(picture.data), picture.mime_type
                    name = f"{path.stem}.{mime_type.removeprefix('image/')}"
            attachment = api.call(
                "media_post",
                stream,
                mime_type=mime_type or None,
                description=media.alt_text or None,
                file_name=name or None,
            )
            media_id = str(attachment["id"])
            # Video (and large images) are processed after a 202 (POST /api/v2/media): a status
            # can only attach them once processed, so poll GET /api/v1/media/:id a bounded
            # while for the url to appear. Still processing after that: the id is returned all
            # the same (the engine saves it), and publish turns the server's "not finished
            # processing" into a retry that reuses it, so nothing is uploaded or posted twice.
            deadline = time.monotonic() + MEDIA_PROCESSING_WAIT_SECONDS
            pause = 0.5
            while attachment.get("url") is None and time.monotonic() < deadline:
                time.sleep(pause)
                pause = min(pause * 2, 5.0)
                attachment = api.call("media", media_id)
        return media_id

    def find_published(
        self,
        account: Account,
        draft: Draft,
        idempotency_key: str,
        since: datetime,
        prepared: Mapping[str, Any] | None = None,
    ) -> Published | None:
        earliest = since - CLOCK_SLACK
        # A quote went as it is, or with the quoted post's link on a server that cannot quote.
        texts = {draft.text, mapping.with_quote_link(draft.text, draft.quote_url)
                 if draft.quote else draft.text}
        with self._account_api(account) as api:
            account_id = account.remote_id or str(api.call("account_verify_credentials")["id"])
            page = api.call("account_statuses", account_id, exclude_reblogs=True, limit=PAGE_SIZE)
            matches: list[Mapping[str, Any]] = []
            for _ in range(FIND_PUBLISHED_PAGES):
                if not page:
                    break
                reached_older = False
                for status in page:
                    if mapping.parse_time(status.get("created_at")) < earliest:
                        reached_older = True
                        continue
                    if any(mapping.status_matches(
                        status, text, draft.content_warning, len(draft.media)
                    ) for text in texts):
                        matches.append(status)
                if reached_older:
                    break
                page = api.call("fetch_next", page)
        if not matches:
            return None
        first = min(matches, key=lambda s: mapping.parse_time(s.get("created_at")))
        return mapping.published_from_status(first)

    def delete(self, account: Account, remote_id: str) -> None:
        """Delete a status; one that is already gone counts as deleted."""
        with self._account_api(account) as api:
            try:
                api.call("status_delete", remote_id)
            except NotFound:
                return

    def react(self, account: Account, item_remote_id: str, kind: str) -> str:
        """Favourite, boost or bookmark a status. Mastodon makes each idempotent (doing it twice
        keeps one), so a retry or a double click is harmless. Returns "" (no separate id)."""
        method = REACTION_METHODS.get(kind)
        if method is None:
            raise NotImplementedError(f"{self.name} cannot {kind}")
        with self._account_api(account) as api:
            api.call(method, item_remote_id)
        return ""

    # --- read ----------------------------------------------------------------------------------
    def fetch(self, account: Account, feed: str, cursor: str | None = None) -> Page:
        """A page of a feed, newest first; the cursor is the next page's max_id. Feeds: home,
        notifications, mentions, own, list:<id or title>, hashtag:<tag>, author:<handle>,
        search:<words>."""
        kind, _, value = feed.partition(":")
        value = value.strip()
        base = account.base_url
        with self._account_api(account) as api:
            paging: dict[str, Any] = {"max_id": cursor or None, "limit": PAGE_SIZE}
            if feed == "home":
                page = api.call("timeline_home", **paging)
            elif feed == "mentions":
                page = self._mention_types.page(api, paging)
                return Page(items=_each(page, lambda n: mapping.item_from_notification(n, base)),
                            next_cursor=next_cursor(page, PAGE_SIZE))
            elif feed == "notifications":
                page = api.call("notifications", **paging)
                return Page(
                    items=_each(page, lambda n: mapping.item_from_any_notification(n, base)),
                    next_cursor=next_cursor(page, PAGE_SIZE))
            elif feed == direct_messages.DIRECT:
                return direct_messages.read(api, base, cursor)
            elif kind == "hashtag" and value:
                page = api.call("timeline_hashtag", value.lstrip("#"), **paging)
            elif kind == "list" and value:
                page = api.call("timeline_list", list_id(api, value), **paging)
            elif kind == "search" and value:
                return search_page(api, value, cursor, base, PAGE_SIZE)
            elif feed == "own" or (kind == "author" and value):
                page = api.call("account_statuses", self._account_id(api, account, value),
                                **paging)
            else:
                raise NotImplementedError(f"{self.name} cannot read {feed!r}")
        return Page(items=_each(page, lambda s: mapping.item_from_status(s, base)),
                    next_cursor=next_cursor(page, PAGE_SIZE))

    def conversation(self, account: Account, remote_id: str) -> tuple[Item, ...]:
        """The status with its context (networks/mastodon/conversation.py)."""
        with self._account_api(account) as api:
            return conversation.read(api, account.base_url, remote_id)

    def send_direct(self, account: Account, conversation: Mapping[str, Any], draft: Draft,
                    idempotency_key: str) -> Published:
        """A direct status answering the conversation (networks/mastodon/direct.py)."""
        with self._account_api(account) as api:
            return direct_messages.send(api, account.handle, conversation, draft, idempotency_key)

    def _account_id(self, api: _Api, account: Account, handle: str) -> str:
        """The id of `handle` on this server ("" for the connected account itself)."""
        acct = handle.strip().lstrip("@")
        if not acct or f"@{acct}".lower() == account.handle.lower():
            if account.remote_id:
                return account.remote_id
            return str(api.call("account_verify_credentials")["id"])
        name, _, domain = acct.partition("@")
        base = urlsplit(account.base_url)
        own_domain = account.handle.lstrip("@").partition("@")[2]
        local = {d.lower() for d in (base.netloc, base.hostname or "", own_domain) if d}
        if domain.lower() in local:
            acct = name  # a local account is looked up by its bare name
        return str(api.call("account_lookup", acct)["id"])

    def can_stream(self, feed: str) -> bool:
        return streaming.can_stream(feed)

    def stream(self, account: Account, feeds: Sequence[str]) -> streaming.MastodonStream:
        """home and mentions from /api/v1/streaming/user, hashtag:<tag> and list:<id> from
        their own streams; see networks/mastodon/streaming.py."""
        token = account.credentials.get("access_token")
        if not token:
            raise Revoked("No access token is stored for this account: reconnect it.")
        return streaming.MastodonStream(account.base_url, str(token), feeds)
