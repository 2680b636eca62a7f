"""Bluesky (AT Protocol): app-password sessions, posts with facets and embeds, exactly once by
a client-chosen record key, reads through the PDS (which proxies app.bsky.* to the AppView)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any, ClassVar

from hubbub.core.counting import BLUESKY_MAX_BYTES, bluesky_length, graphemes
from hubbub.core.image_fit import FitLimits
from hubbub.networks.base import (
    Account,
    AuthKind,
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
from hubbub.networks.bluesky import auth, conversation, feeds, items, mapping, records
from hubbub.networks.bluesky import media as bluesky_media
from hubbub.networks.bluesky.mapping import LIKE, POST, REPOST
from hubbub.networks.bluesky.tid import derived_tid, is_tid, new_tid
from hubbub.networks.bluesky.xrpc import Xrpc
from hubbub.networks.draft_checks import over_limit
from hubbub.networks.errors import (
    ConnectorError,
    Rejected,
    Revoked,
)
from hubbub.networks.media_rules import video_problems

PAGE_SIZE = 50
SUBJECTS_PER_CALL = 25  # app.bsky.feed.getPosts takes at most 25 URIs
REACTIONS = {"like": LIKE, "repost": REPOST}


class BlueskyConnector(Connector):
    slug: ClassVar[str] = "bluesky"
    # The AppView allows 3000 requests per 5 minutes per IP address, shared by every account
    # this hub reads from it: 60 a minute an account, and polling of all of them together
    # within 480 a minute (the rest of the 600 left to posting, threads and profiles).
    poll_reads_per_minute: ClassVar[float | None] = 60.0
    hub_poll_reads_per_minute: ClassVar[float | None] = 480.0
    name: ClassVar[str] = "Bluesky"
    # A quote is an embed record (with media: recordWithMedia) in the post record.
    native_quotes: ClassVar[bool] = True
    # What a hashtag, list or custom feed column takes: its tags and its addresses.
    column_param_refusal = feeds.column_param_refusal

    def mention(self, handle: str, own_handle: str) -> str | None:
        """@handle, which the post's mention facet resolves to its DID when sent; an account
        known only by its DID has no handle to write."""
        handle = handle.strip().lstrip("@")
        return None if not handle or handle.startswith("did:") or "." not in handle \
            else f"@{handle}"
    auth_kind: ClassVar[AuthKind] = "app_password"
    credential_fields: ClassVar[tuple[CredentialField, ...]] = (
        CredentialField("handle", "Handle", "--handle", placeholder="alice.bsky.social"),
        CredentialField("app_password", "App password", "--app-password", kind="secret",
                        help=auth.SETTINGS_HINT, placeholder="xxxx-xxxx-xxxx-xxxx"),
        CredentialField("base_url", "Server (PDS)", "--service", kind="url", required=False,
                        help="Leave empty to look it up from the handle.",
                        placeholder="https://bsky.social"),
    )

    # --- plumbing ------------------------------------------------------------------------------
    def _api(self, account: Account) -> Xrpc:
        token = account.credentials.get("accessJwt")
        if not token:
            raise Revoked("No Bluesky session is stored for this account: reconnect it.")
        return Xrpc(account.base_url, str(token))

    @staticmethod
    def _did(account: Account) -> str:
        did = str(account.credentials.get("did") or account.remote_id)
        if not did.startswith("did:"):
            raise Revoked("The stored Bluesky session names no account: reconnect it.")
        return did

    # --- identity and capabilities -------------------------------------------------------------
    def capabilities(self, account: Account) -> Capabilities:
        with Xrpc(account.base_url) as api:
            described = api.query("com.atproto.server.describeServer", auth=False)
        return mapping.capabilities_from_server(described)

    def default_capabilities(self) -> Capabilities:
        return mapping.default_capabilities()

    def whoami(self, account: Account) -> Identity:
        host = mapping.host_of(account.base_url)
        with self._api(account) as api:
            response = api.send("GET", "com.atproto.server.getSession")
            failure = api.failure(response) if response.status_code == 400 else None
            if failure is not None and failure.error not in ("ExpiredToken", "InvalidToken"):
                # getSession takes no arguments: any other 400 means the session is not valid
                # (the reference PDS answers "Could not find user info" for a taken-down account).
                raise Revoked(f"{host} no longer knows this Bluesky session{failure.said()}. "
                              "Reconnect the account.")
            session = api.result(response)
            if session.get("active") is False:
                status = str(session.get("status") or "inactive")
                raise Revoked(f"{host} says this Bluesky account is {status}. Reconnect it once "
                              "it is active again.")
            return _identity(api, str(session["did"]), str(session.get("handle") or ""))

    # --- auth ----------------------------------------------------------------------------------
    def connect_with_token(self, base_url: str, credentials: dict[str, Any]) -> Connected:
        """Sign in once with {"handle", "app_password"}. `base_url` is the PDS; when empty, the
        handle's PDS is looked up. Stores the session (accessJwt, refreshJwt, did, handle,
        service), never the password."""
        handle = auth.normalize_handle(str(credentials.get("handle") or ""))
        password = str(credentials.get("app_password") or "").strip()
        if not password:
            raise Rejected(f"Enter an app password. {auth.SETTINGS_HINT}")
        service = auth.normalize_service(base_url) if base_url.strip() else (
            auth.resolve_service(handle)
        )
        session = auth.create_session(service, handle, password)
        stored = mapping.credentials_from_session(session, service)
        base = stored["service"]
        with Xrpc(base, stored["accessJwt"]) as api:
            identity = _identity(api, stored["did"], stored["handle"])
        return Connected(base_url=base, credentials=stored, identity=identity)

    def refresh_credentials(self, account: Account) -> dict[str, Any] | None:
        refresh = account.credentials.get("refreshJwt")
        if not refresh:
            raise Revoked("No Bluesky session is stored for this account: reconnect it.")
        session = auth.refresh_session(account.base_url, str(refresh))
        service = str(account.credentials.get("service") or account.base_url)
        return mapping.credentials_from_session(session, service)

    def disconnect(self, account: Account) -> None:
        refresh = account.credentials.get("refreshJwt")
        if refresh:
            auth.delete_session(account.base_url, str(refresh))

    # --- write ---------------------------------------------------------------------------------
    def validate(self, draft: Draft, capabilities: Capabilities) -> Validation:
        caps = capabilities
        length = bluesky_length(draft.text, draft.content_warning)
        byte_limit = caps.text_byte_limit or BLUESKY_MAX_BYTES
        problems: list[Problem] = []
        if not draft.text.strip() and not draft.media:
            problems.append(Problem("empty", "Write something or attach an image."))
        if length.graphemes > caps.text_limit:
            over = length.graphemes - caps.text_limit
            problems.append(Problem("too_long", over_limit(over, caps.text_limit)))
        if length.utf8_bytes > byte_limit:
            over = length.utf8_bytes - byte_limit
            problems.append(Problem("too_long", over_limit(over, byte_limit, "byte")))
        problems.extend(_media_problems(draft.media, caps))
        return Validation(
            count=length.graphemes,
            limit=caps.text_limit,
            problems=tuple(problems),
            byte_count=length.utf8_bytes,
            byte_limit=byte_limit,
        )

    def image_fit(self, capabilities: Capabilities) -> FitLimits:
        """The server's blob size, a long side of 2000 pixels, stills (a GIF's first frame)."""
        return bluesky_media.fit_limits(capabilities.media.image_max_bytes)

    def prepare(self, account: Account, draft: Draft, idempotency_key: str) -> dict[str, Any]:
        """The record key, minted once per delivery (the engine saves it before any call)."""
        return {"rkey": new_tid()}

    def upload_media(self, account: Account, media: MediaFile) -> str:
        """Upload one image (re-encoded without metadata, downscaled to the limit) or video (as
        it is). The id is the blob reference and aspect ratio as JSON; publish puts them in
        the post."""
        with self._api(account) as api:
            if media.is_video:
                return records.upload_video(api, media)
            return records.upload_image(api, media, records.image_limit(api))

    def publish(
        self,
        account: Account,
        draft: Draft,
        idempotency_key: str,
        media_ids: tuple[str, ...],
        prepared: Mapping[str, Any] | None = None,
    ) -> Published:
        did, rkey = self._did(account), record_key(idempotency_key, prepared)
        with self._api(account) as api:
            try:
                record = records.post_record(api, draft, media_ids)
                return records.create(api, did, POST, rkey, record)
            except (mapping.BlobMissing, mapping.BlobTooBig) as exc:
                if not draft.media:
                    raise
                # The uploads expired, or the server allows smaller images than we thought
                # (it names its maximum): upload the files again, once.
                limit = records.image_limit(api)
                if isinstance(exc, mapping.BlobTooBig):
                    if exc.maximum >= limit:
                        raise
                    limit = exc.maximum
                fresh = tuple(records.upload_video(api, m) if m.is_video
                              else records.upload_image(api, m, limit) for m in draft.media)
                return records.create(api, did, POST, rkey, records.post_record(api, draft, fresh))

    def find_published(
        self,
        account: Account,
        draft: Draft,
        idempotency_key: str,
        since: datetime,
        prepared: Mapping[str, Any] | None = None,
    ) -> Published | None:
        """getRecord for the delivery's record key: exact, and needs no session (so it works
        even while the access token is expired)."""
        did, rkey = self._did(account), record_key(idempotency_key, prepared)
        with Xrpc(account.base_url) as api:
            found = records.get_record(api, did, POST, rkey)
        return mapping.published(str(found["uri"]), found.get("value")) if found else None

    def delete(self, account: Account, remote_id: str) -> None:
        """Delete a post (or a like/repost record from `react`); already gone counts as done."""
        uri = mapping.parse_at_uri(remote_id)
        did = self._did(account)
        if uri is None:
            raise Rejected(f"{remote_id!r} is not a Bluesky record address (at://...)")
        if uri.repo != did:
            raise Rejected("Only this account's own posts can be deleted")
        with self._api(account) as api:
            response = api.send(
                "POST",
                "com.atproto.repo.deleteRecord",
                json_body={"repo": did, "collection": uri.collection, "rkey": uri.rkey},
            )
            if response.status_code == 400 and api.failure(response).error == "RecordNotFound":
                return
            api.result(response)

    # --- read ----------------------------------------------------------------------------------
    def fetch(self, account: Account, feed: str, cursor: str | None = None) -> Page:
        """Feeds: home, notifications, mentions, author[:HANDLE-OR-DID] (own by default),
        list:AT-URI, search:QUERY, hashtag:TAG, feed:AT-URI-OR-LINK (feeds.py). `cursor` is
        the server's opaque cursor."""
        kind, _, argument = feed.partition(":")
        params: dict[str, Any] = {"limit": PAGE_SIZE}
        if cursor:
            params["cursor"] = cursor
        with self._api(account) as api:
            if kind == "home":
                body = api.query("app.bsky.feed.getTimeline", params)
                found = items.items_from_feed(body)
            elif kind in ("notifications", "mentions"):
                if kind == "mentions":
                    params["reasons"] = list(items.MENTION_REASONS)
                body = api.query("app.bsky.notification.listNotifications", params)
                found = _notification_items(api, body, mentions_only=kind == "mentions")
            elif kind == "author":
                params["actor"] = argument or self._did(account)
                body = api.query("app.bsky.feed.getAuthorFeed", params)
                found = items.items_from_feed(body)
            elif kind == "list" and argument:
                body = api.query("app.bsky.feed.getListFeed",
                                 {**params, "list": feeds.list_uri(api, argument)})
                found = items.items_from_feed(body)
            elif kind == "search" and argument:
                body = api.query("app.bsky.feed.searchPosts", {**params, "q": argument})
                found = items.items_from_posts(body)
            elif kind == "hashtag" and argument.strip().lstrip("#"):
                found, next_cursor = feeds.hashtag_page(api, argument, params)
                return _page(found, next_cursor)
            elif kind == "feed" and argument:
                found, next_cursor = feeds.custom_feed_page(api, argument, params)
                return _page(found, next_cursor)
            else:
                raise NotImplementedError(f"{self.name} cannot read {feed!r}")
        next_cursor = body.get("cursor")
        return Page(items=tuple(found), next_cursor=str(next_cursor) if next_cursor else None)

    def conversation(self, account: Account, remote_id: str) -> tuple[Item, ...]:
        """The post's thread (networks/bluesky/conversation.py)."""
        with self._api(account) as api:
            return conversation.read(api, remote_id)

    # --- engage --------------------------------------------------------------------------------
    def react(self, account: Account, item_remote_id: str, kind: str) -> str:
        """Like or repost a post. The record key is derived from the post, so doing it twice
        (a retry, a double click) makes one like. Returns the like/repost record's URI."""
        collection = REACTIONS.get(kind)
        if collection is None:
            raise NotImplementedError(f"{self.name} cannot {kind}")
        did = self._did(account)
        with self._api(account) as api:
            subject = records.strong_ref(api, item_remote_id)
            record = {"$type": collection, "subject": subject, "createdAt": mapping.now_iso()}
            rkey = derived_tid(f"{collection} {subject['uri']}")
            return records.create(api, did, collection, rkey, record).remote_id


# --- helpers -------------------------------------------------------------------------------------


def record_key(idempotency_key: str, prepared: Mapping[str, Any] | None) -> str:
    """The delivery's record key: the TID prepared for it; else the key itself when it is a
    TID; else a TID derived from the key (same key, same TID, in any process)."""
    rkey = (prepared or {}).get("rkey")
    if isinstance(rkey, str) and is_tid(rkey):
        return rkey
    return idempotency_key if is_tid(idempotency_key) else derived_tid(idempotency_key)


def _identity(api: Xrpc, did: str, handle: str) -> Identity:
    try:  # display name and avatar come from the AppView, which may lag behind a new account
        profile = api.query("app.bsky.actor.getProfile", {"actor": did})
    except ConnectorError:
        profile = {}
    return Identity(
        remote_id=did,
        handle=f"@{handle}" if handle else did,
        display_name=str(profile.get("displayName") or ""),
        avatar_url=str(profile.get("avatar") or ""),
        profile_url=mapping.profile_url(handle or did),
    )


def _notification_items(
    api: Xrpc, body: Mapping[str, Any], *, mentions_only: bool
) -> list[Item]:
    notifications = [n for n in body.get("notifications") or () if isinstance(n, Mapping)]
    if mentions_only:
        notifications = [n for n in notifications if n.get("reason") in items.MENTION_REASONS]
    wanted = list(dict.fromkeys(
        str(n["reasonSubject"]) for n in notifications
        if n.get("reason") in ("like", "repost") and isinstance(n.get("reasonSubject"), str)
    ))
    subjects: dict[str, Mapping[str, Any]] = {}
    for start in range(0, len(wanted), SUBJECTS_PER_CALL):
        try:  # best effort: a like shows without the liked post's text if this fails
            posts = api.query("app.bsky.feed.getPosts",
                              {"uris": wanted[start : start + SUBJECTS_PER_CALL]})
        except ConnectorError:
            break
        for post in posts.get("posts") or ():
            if isinstance(post, Mapping) and isinstance(post.get("uri"), str):
                subjects[post["uri"]] = post
    return items.items_from_notifications(notifications, subjects)


def _media_problems(media: tuple[MediaFile, ...], caps: Capabilities) -> list[Problem]:
    """Count, type and alt text. An image's size is not a problem: images are downscaled to
    fit. Video rules (one, alone, MP4, size, length) come from video_problems."""
    limits = caps.media
    problems: list[Problem] = []
    images = [item for item in media if not item.is_video]
    if len(images) > limits.max_count:
        problems.append(
            Problem("too_many_media", f"{len(images)} images; at most {limits.max_count}")
        )
    for index, item in enumerate(media, start=1):
        label = f"Attachment {index}"
        alt = item.alt_text.strip()
        if not alt:
            problems.append(Problem("alt_missing", f"{label} needs a description (alt text)"))
        if item.is_video:
            continue
        if limits.mime_types and item.mime_type not in limits.mime_types:
            problems.append(Problem(
                "media_type", f"{label}: {item.mime_type or 'this file type'} cannot be posted "
                "to Bluesky (images: JPEG, PNG, WebP, GIF; or one MP4 video)"))
        if alt and graphemes(alt) > limits.alt_text_max:
            over = graphemes(alt) - limits.alt_text_max
            problems.append(Problem(
                "alt_too_long",
                f"{label}: the description is {over_limit(over, limits.alt_text_max)}"))
    return problems + video_problems(media, limits, "Bluesky")


def _page(found: list[Item], cursor: object) -> Page:
    return Page(items=tuple(found), next_cursor=str(cursor) if cursor else None)
