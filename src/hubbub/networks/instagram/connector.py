"""Instagram (professional accounts, through the Instagram API with Instagram Login): image
and carousel posts with alt text, reels (a video alone) and videos in carousels, comments as
replies, the account's posts and the comments on them. Plain HTTP over the guarded session
(networks/meta/graph.py).

Publishing is Meta's two steps. `upload_media` makes each picture a JPEG under MEDIA_ROOT, and
takes a video as stored (the engine stores its place as the media id); `stage` gives each a
fresh public address and makes the post's container (one image, one reel, or an item container
per picture or video and a CAROUSEL container over them), which the engine stores before
`publish`; `publish` waits a few reads for the container to be FINISHED, checks the daily
publishing limit the API reports, and publishes that container (`media_publish`, creation_id).
A retry publishes the same container, so a post is never made twice. A container that EXPIRED
(24 hours) or ended in ERROR was never published: `publish` makes one fresh container then and
publishes that, and `find_published`, which never publishes, settles a lost answer by the
stored container's status and, when it is not FINISHED or IN_PROGRESS, by the account's own
posts since the attempt with the same caption.
"""

from __future__ import annotations

import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import Any, ClassVar

from hubbub.core.image_fit import FitLimits
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
from hubbub.networks.errors import (
    AuthExpired,
    ConnectorError,
    NotFound,
    RateLimited,
    Rejected,
    Transient,
)
from hubbub.networks.instagram import (
    conversation,
    failures,
    graph,
    mapping,
    media,
    oauth,
    reading,
    rules,
)
from hubbub.networks.instagram.graph import InstagramGraph
from hubbub.networks.meta.fields import parse_time

# Container status reads before giving up for now (Transient: the engine comes back later
# with the same container); the waits between them, in seconds.
STATUS_WAITS = (0.0, 0.5, 1.0, 2.0)
# A carousel's video items take longer to prepare, and the carousel must name them finished
# (its items are made again when the wait ends first): reads for about two minutes.
VIDEO_WAITS = (0.0, 1.0, 2.0, 4.0, *(8.0,) * 14)
LIMIT_FIELDS = "quota_usage,config"
# The publishing limit's window (content_publishing_limit's config.quota_duration: 86400 s).
QUOTA_WINDOW = timedelta(days=1)


class InstagramConnector(Connector):
    slug: ClassVar[str] = oauth.SLUG  # "instagram"
    name: ClassVar[str] = "Instagram"
    # Why a column kind is missing, from the Instagram API with Instagram Login, the one the hub
    # uses (feedkinds.unavailable_reasons).
    column_kind_reasons: ClassVar[Mapping[str, str]] = {
        "home": "the API gives apps no home feed, only the account's own posts and the "
                "comments on them",
        "mentions": "Instagram tells apps of @mentions only through webhooks, which the hub "
                    "does not receive: the Notifications column shows the comments on your "
                    "posts",
        "list": "the API has no lists of accounts for apps to read",
        "hashtag": "hashtag search belongs to the Instagram API with Facebook Login, and the "
                   "hub signs in with Instagram Login",
        "search": "the API gives apps no search of posts",
        "author": "another account's posts come from Business Discovery, part of the "
                  "Instagram API with Facebook Login, and the hub signs in with Instagram Login",
        "feed": "the API gives apps no feeds but the account's own",
    }
    # docs: developers.facebook.com/documentation/instagram-platform/
    # instagram-api-with-facebook-login (Business Discovery is one of its features)
    profiles_not_read: ClassVar[str] = (
        "Instagram profiles are not read: the Instagram API with Instagram Login, which the "
        "hub uses, gives an app the signed-in account's own profile only; another account's "
        "bio and website come from Business Discovery, a feature of the Instagram API with "
        "Facebook Login (and for business and creator accounts only). Instagram accounts are "
        "suggested by matching names only.")
    auth_kind: ClassVar[AuthKind] = "oauth2"
    # Instagram's calls count against the account's Business Use Case limit (Meta "Rate
    # Limits": 4,800 a day times the account's impressions); two reads a minute leaves room.
    poll_reads_per_minute: ClassVar[float | None] = 2.0
    reading_note: ClassVar[str] = ("Instagram gives apps no home feed: only this account's own "
                                   "posts and the comments on them.")
    credential_fields: ClassVar[tuple[CredentialField, ...]] = (
        CredentialField("access_token", "Instagram access token", "--token", kind="secret",
                        help="A long-lived Instagram user access token issued to the "
                             "operator's Instagram app (Business Login for Instagram)."),
    )

    # --- plumbing ------------------------------------------------------------------------------
    @contextmanager
    def _graph(self, account: Account, *, renew: bool = True) -> Iterator[InstagramGraph]:
        """A client for the account. `renew`: a token older than a week is renewed first
        (AuthExpired, which the engine and the poller answer with refresh_credentials)."""
        if renew and oauth.needs_refresh(account.credentials):
            raise AuthExpired("The Instagram login is due to be renewed")
        with InstagramGraph.for_account(account.base_url, account.credentials) as g:
            yield g

    @staticmethod
    def _user_id(account: Account) -> str:
        user_id = account.credentials.get("user_id") or account.remote_id
        if not user_id:
            raise Rejected(f"This Instagram connection does not say which account it is: "
                           f"{failures.RECONNECT}.")
        return str(user_id)

    # --- identity and capabilities -------------------------------------------------------------
    def capabilities(self, account: Account) -> Capabilities:
        return rules.capabilities()  # the API serves no caption or media limits

    def default_capabilities(self) -> Capabilities:
        return rules.capabilities()

    def whoami(self, account: Account) -> Identity:
        with self._graph(account, renew=False) as g:
            return oauth.identity(g)

    def account_notes(self, account: Account) -> tuple[str, ...]:
        notes: list[str] = []
        total = account.credentials.get("quota_total")
        if isinstance(total, int) and not isinstance(total, bool) and total > 0:
            notes.append(f"Instagram lets this account publish {total} posts in 24 hours "
                         "through apps; hubbub checks what is left before each post.")
        unreachable = media.unreachable_note()
        if unreachable:
            notes.append("Instagram fetches a post's pictures and videos from the hub: "
                         f"{unreachable}")
        return tuple(notes)

    # --- auth ----------------------------------------------------------------------------------
    def begin_auth(self, base_url: str, redirect_uri: str) -> AuthStart:
        """Instagram has one server: `base_url` (a typed instance, elsewhere) is not used."""
        return oauth.start(redirect_uri)

    def complete_auth(self, params: dict[str, str], state_data: dict[str, Any]) -> Connected:
        code = oauth.check_callback(params, state_data)
        base = str(state_data.get("graph_url") or graph.graph_url())
        api = str(state_data.get("api_url") or graph.api_url())
        credentials = oauth.exchange_code(api, base, code, str(state_data["redirect_uri"]))
        return self._connected(base, credentials)

    def connect_with_token(self, base_url: str, credentials: dict[str, Any]) -> Connected:
        token = str(credentials.get("access_token") or "").strip()
        if not token:
            raise Rejected("Give a long-lived Instagram access token issued to the operator's "
                           "Instagram app.")
        # How old a pasted token is cannot be asked: it is taken as new, so the hub renews it
        # a week from now (a refresh is refused before a token is a day old).
        return self._connected(base_url.strip() or graph.graph_url(),
                               {"access_token": token,
                                "issued_at": datetime.now(UTC).isoformat()})

    def _connected(self, base: str, credentials: dict[str, Any]) -> Connected:
        with InstagramGraph.for_account(base, credentials) as g:
            who = oauth.identity(g)
            stored = {**credentials, "user_id": who.remote_id}
            try:
                total = _quota(g, who.remote_id)[1]
            except (Transient, RateLimited):  # the limit is read again before each post
                total = None
        if total:
            stored["quota_total"] = total
        return Connected(base_url=base, credentials=stored, identity=who)

    def credentials_expire_at(self, credentials: Mapping[str, Any]) -> datetime | None:
        """When the long-lived token ends (60 days after it was issued or last renewed). The
        hub renews it weekly, so this date only nears when renewing keeps failing."""
        return oauth.parse_time(credentials.get("expires_at"))

    def refresh_credentials(self, account: Account) -> dict[str, Any] | None:
        """A renewed long-lived token; Instagram renews one that is a day old and unexpired."""
        return oauth.refresh(account.base_url, account.credentials)

    # --- write ---------------------------------------------------------------------------------
    def validate(self, draft: Draft, capabilities: Capabilities) -> Validation:
        return rules.validate(draft, capabilities)

    def upload_media(self, account: Account, media_file: MediaFile) -> str:
        """The picture as a JPEG the hub can serve, or the video as stored (nothing is sent to
        Instagram yet)."""
        media_id = media.prepare_file(media_file)
        media.address(media_id)  # NotPublic -> Rejected now, not after staging
        return media_id

    def image_fit(self, capabilities: Capabilities) -> FitLimits:
        return rules.fit_limits()

    def stage(self, account: Account, draft: Draft, media_ids: tuple[str, ...],
              prepared: Mapping[str, Any]) -> dict[str, Any]:
        """The post's container (nothing anyone can see); a reply has none."""
        if draft.in_reply_to:
            return {}
        with self._graph(account) as g:
            return {"container": self._container(g, account, draft, media_ids),
                    "made_at": datetime.now(UTC).isoformat()}

    def _container(self, g: InstagramGraph, account: Account, draft: Draft,
                   media_ids: tuple[str, ...]) -> str:
        if not media_ids:
            raise Rejected("Instagram posts need a picture or a video: attach one")
        user_id = self._user_id(account)
        caption = rules.caption_of(draft)
        alts = [m.alt_text for m in draft.media] + [""] * len(media_ids)
        if len(media_ids) == 1:
            return _id(g.post(f"{user_id}/media", _item_form(media_ids[0], alts[0], caption),
                              what="prepare the post"))
        children = [_id(g.post(f"{user_id}/media", _item_form(media_id, alts[n], None),
                               what="prepare the post"))
                    for n, media_id in enumerate(media_ids)]
        # Each item fetched and ready before the carousel names it (a video takes longer).
        waits = VIDEO_WAITS if any(media.is_video(m) for m in media_ids) else STATUS_WAITS
        for status, said in _wait_all(g, children, waits):
            if status == "ERROR":
                raise _container_error(said)
            if status != "FINISHED":
                raise Transient("Instagram is still preparing the carousel's items "
                                f"({status.lower() or 'no status'}); hubbub tries again")
        return _id(g.post(f"{user_id}/media", mapping.carousel_form(children, caption),
                          what="prepare the post"))

    def publish(self, account: Account, draft: Draft, idempotency_key: str,
                media_ids: tuple[str, ...],
                prepared: Mapping[str, Any] | None = None) -> Published:
        with self._graph(account) as g:
            if draft.in_reply_to:
                if media_ids:
                    raise Rejected("A reply on Instagram is a comment, which cannot carry "
                                   "pictures: send it without them")
                return self._comment(g, draft)
            user_id = self._user_id(account)
            container = _stored_container(prepared)
            if not container:
                container = self._container(g, account, draft, media_ids)
            status, said = _wait(g, container)
            if status in ("EXPIRED", "ERROR"):
                # Never published, so a fresh container cannot make a second post; a lost
                # answer to publishing it is found by caption (find_published).
                container = self._container(g, account, draft, media_ids)
                status, said = _wait(g, container)
            if status == "PUBLISHED":
                found = reading.find_post(g, user_id, draft, _made_at(prepared), _web())
                if found is None:
                    raise Transient("Instagram says the post was published but does not list "
                                    "it yet")
                return found
            if status == "ERROR":
                raise _container_error(said)
            if status != "FINISHED":
                raise Transient("Instagram is still preparing the post's media "
                                f"({status.lower() or 'no status'}); hubbub tries again")
            used, total = _quota(g, user_id)
            if total and used is not None and used >= total:
                raise failures.quota_used_up(_slot_frees(g, user_id), total)
            body = g.post(f"{user_id}/media_publish", {"creation_id": container}, write=True,
                          what="publish the post")
            media_id = body.get("id")
            if not isinstance(media_id, str) or not media_id:
                raise failures.unreadable(write=True)
            return _read_back(g, media_id)

    def _comment(self, g: InstagramGraph, draft: Draft) -> Published:
        target = draft.in_reply_to
        edge = f"{mapping.comment_id(target)}/replies" if mapping.is_comment(target) \
            else f"{target}/comments"
        body = g.post(edge, {"message": rules.caption_of(draft)}, write=True,
                      what="comment as the account")
        comment_id = body.get("id")
        if not isinstance(comment_id, str) or not comment_id:
            raise failures.unreadable(write=True)
        return Published(remote_id=mapping.COMMENT_PREFIX + comment_id, url="")

    def find_published(self, account: Account, draft: Draft, idempotency_key: str,
                       since: datetime,
                       prepared: Mapping[str, Any] | None = None) -> Published | None:
        with self._graph(account) as g:
            if draft.in_reply_to:
                return reading.find_comment(g, account.handle.lstrip("@"), draft, since)
            container = _stored_container(prepared)
            status = ""
            if container:
                status, _ = mapping.container_state(
                    g.get(container, {"fields": mapping.CONTAINER_FIELDS},
                          what="read the post's container"))
                if status in ("FINISHED", "IN_PROGRESS"):
                    return None  # that container was never published
            found = reading.find_post(g, self._user_id(account), draft, since, _web())
            if found is None and container and status == "PUBLISHED":
                raise Transient("Instagram says the post was published but does not list it "
                                "yet")
            return found

    def delete(self, account: Account, remote_id: str) -> None:
        """Delete a comment; a post cannot be deleted through the API, and one already gone
        counts as deleted."""
        if not mapping.is_comment(remote_id):
            raise Rejected("Instagram's API does not let apps delete posts: delete it in the "
                           "Instagram app.")
        with self._graph(account, renew=False) as g:
            g.delete_gone(mapping.comment_id(remote_id), what="delete the comment")

    # --- engage --------------------------------------------------------------------------------
    def react(self, account: Account, item_remote_id: str, kind: str) -> str:
        """The Instagram API has no likes, reposts or saves for apps."""
        raise NotImplementedError(f"Instagram's API does not let an app {kind}")

    def reply(self, account: Account, item_remote_id: str, draft: Draft, idempotency_key: str,
              media_ids: tuple[str, ...] = ()) -> Published:
        """A comment on a post, or a reply to a comment (text only)."""
        with self._graph(account) as g:
            return self._comment(g, Draft(text=draft.text, content_warning=draft.content_warning,
                                          in_reply_to=item_remote_id))

    # --- read ----------------------------------------------------------------------------------
    def fetch(self, account: Account, feed: str, cursor: str | None = None) -> Page:
        """A page of `own` (the account's posts) or `notifications` (comments on its latest
        posts), newest first."""
        with self._graph(account) as g:
            return reading.fetch(g, self._user_id(account), account.handle, feed, cursor, _web())

    def conversation(self, account: Account, remote_id: str) -> tuple[Item, ...]:
        """The post and its comments, with the replies under each comment."""
        with self._graph(account) as g:
            return conversation.read(g, remote_id, account.handle, _web())


def _web() -> str:
    return graph.authorize_url()


def _id(body: Mapping[str, Any]) -> str:
    value = body.get("id")
    if not isinstance(value, str) or not value:
        raise Transient("Instagram made the container but named no id for it")
    return value


def _stored_container(prepared: Mapping[str, Any] | None) -> str:
    stage = (prepared or {}).get("stage")
    value = stage.get("container") if isinstance(stage, Mapping) else None
    return value if isinstance(value, str) else ""


def _made_at(prepared: Mapping[str, Any] | None) -> datetime:
    stage = (prepared or {}).get("stage")
    made = oauth.parse_time(stage.get("made_at")) if isinstance(stage, Mapping) else None
    return made or datetime.now(UTC) - timedelta(days=1)


def _item_form(media_id: str, alt: str, caption: str | None) -> dict[str, str]:
    """The container form of one picture or video: a post of its own with `caption`, or a
    carousel item when `caption` is None."""
    address = media.address(media_id)
    if media.is_video(media_id):
        return mapping.video_form(address, caption=caption, carousel_item=caption is None)
    return mapping.image_form(address, alt, caption=caption, carousel_item=caption is None)


def _wait(g: InstagramGraph, container: str) -> tuple[str, str]:
    return _wait_all(g, [container])[0]


def _wait_all(g: InstagramGraph, containers: list[str],
              waits: tuple[float, ...] = STATUS_WAITS) -> list[tuple[str, str]]:
    """Each container's status after at most len(waits) rounds of reads, reading again
    those still IN_PROGRESS (Content Publishing: query it "once per minute, for no more than 5
    minutes"; the hub reads a few times within seconds and otherwise comes back later)."""
    states = [("IN_PROGRESS", "")] * len(containers)
    for pause in waits:
        waiting = [n for n, (status, _) in enumerate(states) if status == "IN_PROGRESS"]
        if not waiting:
            break
        if pause:
            time.sleep(pause)
        for n in waiting:
            states[n] = mapping.container_state(
                g.get(containers[n], {"fields": mapping.CONTAINER_FIELDS},
                      what="read the post's container"))
    return states


def _container_error(said: str) -> Rejected | Transient:
    subcode = mapping.error_subcode(said)
    sentence = failures.MEDIA_SENTENCES.get(subcode or 0)
    if subcode in failures.RETRY_SUBCODES:
        return Transient(f"Instagram could not prepare the post this time: {said}")
    note = media.unreachable_note() if subcode in (None, 2207052) else ""
    words = sentence or f"Instagram could not prepare the post: {said or 'no reason given'}."
    return Rejected(f"{words}{' ' + note if note else ''}")


def _quota(g: InstagramGraph, user_id: str) -> tuple[int | None, int | None]:
    """(posts published in the last 24 hours, how many Instagram allows), from
    GET /{ig-user-id}/content_publishing_limit; (None, None) when it does not say."""
    try:
        body = g.get(f"{user_id}/content_publishing_limit", {"fields": LIMIT_FIELDS},
                     what="read the publishing limit")
    except (NotFound, Rejected):
        return None, None
    data = body.get("data")
    entry = data[0] if isinstance(data, list) and data and isinstance(data[0], Mapping) else {}
    used = entry.get("quota_usage")
    config = entry.get("config")
    total = config.get("quota_total") if isinstance(config, Mapping) else None
    return (used if isinstance(used, int) and not isinstance(used, bool) else None,
            total if isinstance(total, int) and not isinstance(total, bool) else None)


def _slot_frees(g: InstagramGraph, user_id: str) -> datetime:
    """When the rolling 24 hours let one more post through: the oldest of the account's posts
    in the window turns 24 hours old then (the list holds every post, the limit counts the
    API's only, so this may be early: the limit is read again then). An hour when unknown."""
    now = datetime.now(UTC)
    fallback = now + failures.QUOTA_WAIT
    try:
        body = g.get(f"{user_id}/media", {"fields": "id,timestamp", "limit": 100,
                                          "since": int((now - QUOTA_WINDOW).timestamp())},
                     what="read the account's posts")
    except (NotFound, Rejected, Transient):
        return fallback
    entries = body.get("data")
    times = [t for e in entries if isinstance(e, Mapping)
             and (t := parse_time(e.get("timestamp"))) is not None] \
        if isinstance(entries, list) else []
    frees = min(times) + QUOTA_WINDOW if times else fallback
    return frees if frees > now else fallback


def _read_back(g: InstagramGraph, media_id: str) -> Published:
    """The published post with its address; the post stands even if this read fails."""
    try:
        body = g.get(media_id, {"fields": "id,permalink,timestamp"}, what="read the post")
        return mapping.published({**body, "id": media_id}, _web())
    except ConnectorError:
        return Published(remote_id=media_id, url="")
