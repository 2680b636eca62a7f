"""Threads' two-step publishing: a container, then publishing it ("Threads Posts").

- `make_container` (called from Connector.stage, stored by the engine before publish): one
  container for the post: TEXT, IMAGE, or a CAROUSEL whose item containers are made first
  (2-20, `is_carousel_item=true`). Images are named by a fresh signed address under
  HUBBUB_PUBLIC_URL (networks/meta/media.py), which Threads downloads.
- `publish_container`: reads the container's status ("Troubleshooting": EXPIRED, ERROR,
  FINISHED, IN_PROGRESS, PUBLISHED) a few times with a short backoff. FINISHED: the publishing
  limit is read (threads_publishing_limit) and, with quota left, `POST threads_publish
  creation_id=<container>`. IN_PROGRESS after STATUS_READS: Transient, and the engine retries
  later with the same container. ERROR: Rejected with what Threads said. PUBLISHED: an earlier
  attempt landed; the post is looked up, never published again. EXPIRED (24 hours unpublished):
  it was never published, so a fresh container is made and published; since the engine keeps
  the old id, `find` falls back to matching the account's recent posts by text for it.
- `find`: never publishes. PUBLISHED (or EXPIRED, see above): the account's own posts (or
  replies, for a reply) since the attempt, matched by text, oldest first; else None.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

from hubbub.core.public_media import reachability
from hubbub.networks.base import Draft, Published
from hubbub.networks.errors import OutcomeUnknown, RateLimited, Transient
from hubbub.networks.meta import media as meta_media
from hubbub.networks.meta.fields import after
from hubbub.networks.threads import failures, mapping
from hubbub.networks.threads.api import ThreadsApi

STATUS_READS = 4
BACKOFF = (0.5, 1.0, 2.0)  # seconds between status reads
IN_PROGRESS_RETRY = timedelta(minutes=1)  # "query a container's status once per minute"
QUOTA_RETRY = timedelta(hours=1)
CLOCK_SLACK = timedelta(minutes=2)
FIND_PAGES = 5
FIND_PAGE_SIZE = 100
CAROUSEL_MIN = 2

Sleep = Callable[[float], None]


def _create(api: ThreadsApi, user_id: str, form: Mapping[str, str], *, images: bool) -> str:
    """POST /{user}/threads; a refusal to fetch an image says why the hub may be unreachable."""
    response = api.send("POST", f"{user_id}/threads", data=form)
    if not response.ok:
        raise failures.map_error(api.error(response), what="prepare the post",
                                 reachability=reachability() if images else "")
    body = api.result(response, what="prepare the post")
    try:
        return mapping.object_id(body)
    except ValueError:
        raise failures.unreadable(write=False) from None


def make_container(api: ThreadsApi, user_id: str, draft: Draft,
                   media_ids: tuple[str, ...]) -> dict[str, Any]:
    """The post's container; returns what the engine stores as prepared["stage"]."""
    alts = [m.alt_text for m in draft.media] + [""] * len(media_ids)
    images = [(meta_media.address(mid, "Threads"), alts[n]) for n, mid in enumerate(media_ids)]
    children: list[str] = []
    if len(images) >= CAROUSEL_MIN:
        children = [_create(api, user_id, mapping.item_form(url, alt), images=True)
                    for url, alt in images]
    form = mapping.container_form(draft, images[:1] if not children else (), children)
    container = _create(api, user_id, form, images=bool(images))
    return {"container": container, "created_at": datetime.now(UTC).isoformat()}


def status(api: ThreadsApi, container: str) -> tuple[str, str]:
    """(status, error_message) of a container."""
    body = api.get(container, {"fields": "id,status,error_message"},
                   what="read the post's container")
    return str(body.get("status") or "").upper(), str(body.get("error_message") or "")


def settled_status(api: ThreadsApi, container: str, sleep: Sleep = time.sleep) -> tuple[str, str]:
    """The container's status once it is no longer IN_PROGRESS, or IN_PROGRESS after
    STATUS_READS reads with a short backoff between them."""
    state, message = status(api, container)
    for wait in BACKOFF[: STATUS_READS - 1]:
        if state != "IN_PROGRESS":
            break
        sleep(wait)
        state, message = status(api, container)
    return state, message


def check_quota(api: ThreadsApi, user_id: str, *, reply: bool,
                now: datetime | None = None) -> None:
    """RateLimited when the account has used its publishing limit for the moving window
    (250 posts or 1,000 replies in 24 hours, as the API reports them)."""
    body = api.get(f"{user_id}/threads_publishing_limit",
                   {"fields": "quota_usage,config,reply_quota_usage,reply_config"},
                   what="read the publishing limit")
    found = mapping.quota(body, reply=reply)
    if found is None:
        return
    used, total, window = found
    if used < total:
        return
    current = now or datetime.now(UTC)
    until = current + QUOTA_RETRY
    what = "replies" if reply else "posts"
    hours = round(window / 3600) if window else 24
    raise RateLimited(f"This Threads account has published {used} of its {total} {what} "
                      f"allowed in {hours} hours; hubbub tries again at {until:%H:%M} UTC, "
                      "when the oldest may have left the window", until)


def publish_container(api: ThreadsApi, user_id: str, handle: str, web: str, draft: Draft,
                      stage: Mapping[str, Any], media_ids: tuple[str, ...],
                      since: datetime, sleep: Sleep = time.sleep) -> Published:
    container = str(stage.get("container") or "")
    if not container:
        container = make_container(api, user_id, draft, media_ids)["container"]
    state, message = settled_status(api, container, sleep)
    if state == "PUBLISHED":
        found = find_post(api, user_id, handle, web, draft, since)
        if found is None:
            raise OutcomeUnknown("Threads says this post's container was published, but the "
                                 "post is not among the account's posts yet")
        return found
    if state == "ERROR":
        raise failures.container_error(message, reachability() if media_ids else "",
                                       images=bool(media_ids))
    if state == "IN_PROGRESS":
        raise Transient("Threads is still preparing the post (its images are being fetched); "
                        "hubbub publishes the same container shortly",
                        datetime.now(UTC) + IN_PROGRESS_RETRY)
    if state == "EXPIRED":
        # Never published (it would say PUBLISHED): a fresh container cannot make a second post.
        container = make_container(api, user_id, draft, media_ids)["container"]
        state, message = settled_status(api, container, sleep)
        if state == "ERROR":
            raise failures.container_error(message, reachability() if media_ids else "",
                                       images=bool(media_ids))
        if state == "IN_PROGRESS":
            raise Transient("Threads is still preparing the post", datetime.now(UTC)
                            + IN_PROGRESS_RETRY)
    check_quota(api, user_id, reply=bool(draft.in_reply_to))
    response = api.send("POST", f"{user_id}/threads_publish", data={"creation_id": container},
                        write=True)
    # Threads answers code 24 for a container published already (by an attempt whose answer
    # was lost): the status says so, and then the post is found, not made again.
    if (not response.ok and api.error(response).code == failures.NO_RESOURCE_CODE
            and status(api, container)[0] == "PUBLISHED"):
        found = find_post(api, user_id, handle, web, draft, since)
        if found is not None:
            return found
        raise OutcomeUnknown("Threads says this post's container was published, but the "
                             "post is not among the account's posts yet")
    body = api.result(response, write=True, what="publish the post")
    try:
        post_id = mapping.object_id(body)
    except ValueError:
        raise failures.unreadable(write=True) from None
    return read_back(api, post_id, handle, web)


def read_back(api: ThreadsApi, post_id: str, handle: str, web: str) -> Published:
    """The published post's address; its id alone when reading it back fails (it is posted)."""
    try:
        body = api.get(post_id, {"fields": "id,permalink,timestamp"}, what="read the post")
        return mapping.published({**body, "id": post_id}, web, handle)
    except (Transient, RateLimited, ValueError):
        return Published(remote_id=post_id, url=mapping.profile_url(web, handle))


def find(api: ThreadsApi, user_id: str, handle: str, web: str, draft: Draft,
         stage: Mapping[str, Any] | None, since: datetime) -> Published | None:
    """After OutcomeUnknown: the post this draft made, or None. Never publishes."""
    container = str((stage or {}).get("container") or "")
    if container:
        state, _ = status(api, container)
        if state not in ("PUBLISHED", "EXPIRED"):
            return None
    return find_post(api, user_id, handle, web, draft, since)


def find_post(api: ThreadsApi, user_id: str, handle: str, web: str, draft: Draft,
              since: datetime) -> Published | None:
    """The oldest of the account's own posts (replies, for a reply) since `since` that is
    this draft."""
    edge = "replies" if draft.in_reply_to else "threads"
    fields = mapping.REPLY_FIELDS if draft.in_reply_to else mapping.FIND_FIELDS
    params: dict[str, Any] = {"fields": fields,
                              "since": int((since - CLOCK_SLACK).timestamp()),
                              "limit": FIND_PAGE_SIZE}
    found: list[Mapping[str, Any]] = []
    for _ in range(FIND_PAGES):
        body = api.get(f"{user_id}/{edge}", params, what="read the account's posts")
        posts = body.get("data")
        if isinstance(posts, list):
            found += [p for p in posts if isinstance(p, Mapping) and mapping.matches(p, draft)]
        cursor = after(body)
        if not cursor or not posts:
            break
        params = {**params, "after": cursor}
    for post in mapping.oldest_first(found):
        try:
            return mapping.published(post, web, handle)
        except ValueError:
            continue
    return None
