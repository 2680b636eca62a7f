"""Publishing on graph.threads.net: media containers (POST /{threads-user-id}/threads), their
status (GET /{threads-container-id}?fields=status,error_message), publishing them
(POST /{threads-user-id}/threads_publish) and the quotas (GET .../threads_publishing_limit).

Sources: posts (the container's parameters and which media_type needs which; text "limited to
500 characters", emojis "counted as the number of UTF-8 bytes"; carousels: items made with
is_carousel_item=true, then media_type=CAROUSEL with `children`, "up to 20", at least 2;
link_attachment for text posts; topic_tag), reply-management (reply_control values;
reply_to_id), troubleshooting (IN_PROGRESS, FINISHED, ERROR, EXPIRED "not published within 24
hours", PUBLISHED; the error messages), overview (250 posts and 1,000 replies a 24-hour
moving period, counted on threads_publish; carousels count as one), the changelog's
auto_publish_text (a text container published at once). Alt text: "alt_text ... up to 1,000
characters" (posts). What a second publish of the same container answers is not documented:
README.md says what the stand-in chose.
"""

from __future__ import annotations

import json
import secrets
import time
from typing import Any

import regex

from tests.peers.facebook.render import boolean
from tests.peers.facebook.wire import Reply, Request
from tests.peers.threads.access import (
    authenticate,
    fields_of,
    me_or,
    media_not_found,
    quota_error,
    th_invalid,
    unsupported,
)
from tests.peers.threads.media import fetch
from tests.peers.threads.state import QUOTA_WINDOW, Container, Post, Store

MAX_TEXT, MAX_ALT, MAX_CHILDREN, MIN_CHILDREN = 500, 1000, 20, 2
MEDIA_TYPES = {"TEXT", "IMAGE", "VIDEO", "CAROUSEL"}
REPLY_CONTROLS = {"everyone", "accounts_you_follow", "mentioned_only",
                  "parent_post_author_only", "followers_only"}
CREATE_PARAMS = {
    "media_type", "text", "image_url", "video_url", "is_carousel_item", "children",
    "reply_to_id", "reply_control", "alt_text", "link_attachment", "quote_post_id",
    "topic_tag", "allowlisted_country_codes", "location_id", "auto_publish_text",
    "is_spoiler_media", "text_entities", "text_attachment", "gif_attachment",
    "poll_attachment", "enable_reply_approvals", "access_token", "appsecret_proof",
}
# troubleshooting: the error messages a container in ERROR may carry
CONTAINER_ERRORS = {"FAILED_DOWNLOADING_VIDEO", "FAILED_PROCESSING_AUDIO",
                    "FAILED_PROCESSING_VIDEO", "INVALID_ASPEC_RATIO", "INVALID_BIT_RATE",
                    "INVALID_DURATION", "INVALID_FRAME_RATE", "INVALID_AUDIO_CHANNELS",
                    "INVALID_AUDIO_CHANNEL_LAYOUT", "UNKNOWN"}
POST_TYPE = {"TEXT": "TEXT_POST", "IMAGE": "IMAGE", "VIDEO": "VIDEO",
             "CAROUSEL": "CAROUSEL_ALBUM"}
EMOJI = regex.compile(r"[\p{Extended_Pictographic}\p{Regional_Indicator}]")
MAX_LINKS = 5
# What counts as a link in text: a scheme or www. address, or a bare host on a common top-level
# domain (the stand-in's reading of "All unique URLs found in the text field").
LINK = regex.compile(r"(?i)(?:https?://|www\.)[^\s]+|\b(?:[a-z0-9-]+\.)+"
                     r"(?:com|net|org|io|dev|app|co|me|social|info|de|fr|uk)(?:/[^\s]*)?\b")


def links(text: str, attachment: str | None = None) -> set[str]:
    """The distinct links a post carries: those in its text, and its link attachment."""
    found = {m.group(0).rstrip(".,;:!?)'\"").lower().removeprefix("https://")
             .removeprefix("http://").removesuffix("/") for m in LINK.finditer(text)}
    if attachment:
        found.add(attachment.lower().removeprefix("https://").removeprefix("http://")
                  .removesuffix("/"))
    return found


def text_length(text: str) -> int:
    """Threads' count: a grapheme is 1, an emoji counts its UTF-8 bytes."""
    return sum(len(g.encode()) if EMOJI.search(g) else 1
               for g in regex.findall(r"\X", text))


def _record(store: Store, req: Request, rule: str, status: int = 200) -> None:
    store.protocol.append({"method": req.method, "path": req.path, "rule": rule,
                           "status": status})


def create(store: Store, req: Request) -> Reply:
    """POST /{threads-user-id}/threads. Takes the store's lock itself: the media is fetched
    with the lock released."""
    with store.lock:
        token = authenticate(store, req, "threads_content_publish")
        user_id = me_or(req, token, req.path.split("/")[1])
        plan = _check(store, req, user_id)
    fetched = None
    if plan["media_type"] in {"IMAGE", "VIDEO"}:
        url = req.params["image_url" if plan["media_type"] == "IMAGE" else "video_url"]
        fetched = fetch(url, plan["media_type"])
    with store.lock:
        now = time.time()
        container = Container(store.new_id(), user_id, token.app_id, plan["media_type"],
                              dict(req.params), plan["children"], plan["carousel_item"],
                              now, now + store.container_seconds,
                              reads_left=store.in_progress_reads)
        container.params.pop("access_token", None)
        if fetched is not None:
            container.fetched_from = req.params.get("image_url") or req.params.get(
                "video_url", "")
            container.media, container.mime_type = fetched.data, fetched.mime_type
            container.width, container.height = fetched.width, fetched.height
            if fetched.error_message:
                container.status, container.error_message = "ERROR", fetched.error_message
                container.fetch_error = fetched.why
        forced = store.container_errors.pop(0) if store.container_errors else None
        if forced is not None and container.status != "ERROR":
            container.status, container.error_message = "ERROR", forced
            container.fetch_error = "fail_next(..., \"container_error\")"
        if container.status != "ERROR":
            container.status = "FINISHED"  # answered IN_PROGRESS while reads_left > 0
        for child in plan["children"]:
            store.containers[child].params["_in_carousel"] = container.id
        store.containers[container.id] = container
        if plan["auto_publish"]:
            container.reads_left = 0
            _within_quota(store, container)
            return Reply(200, {"id": _publish(store, container).id})
        return Reply(200, {"id": container.id})


def _check(store: Store, req: Request, user_id: str) -> dict[str, Any]:
    p = req.params
    for name in sorted(set(p) - CREATE_PARAMS):
        _record(store, req, f"a parameter the posts page does not list: {name}")
    media_type = p.get("media_type", "")
    if media_type not in MEDIA_TYPES:
        raise th_invalid("Param media_type must be one of {TEXT, IMAGE, VIDEO, CAROUSEL}",
                         rule=f"media_type={media_type!r}")
    carousel_item = boolean(req, "is_carousel_item", False)
    if carousel_item and media_type not in {"IMAGE", "VIDEO"}:
        raise th_invalid("Only IMAGE and VIDEO containers can be carousel items",
                         rule=f"is_carousel_item with media_type={media_type}")
    text = p.get("text")
    if media_type == "TEXT" and not text:
        raise th_invalid("Param text is required for media_type TEXT",
                         rule="a TEXT container without text")
    if text is not None and text_length(text) > MAX_TEXT:
        raise th_invalid(f"Param text must be at most {MAX_TEXT} characters long",
                         rule=f"text of {text_length(text)} counted characters")
    if len(links(text or "", p.get("link_attachment"))) > MAX_LINKS:
        raise th_invalid("THREADS_API__LINK_LIMIT_EXCEEDED: a post carries at most "
                         f"{MAX_LINKS} distinct links", rule="more than 5 distinct links")
    if carousel_item and (text or p.get("reply_to_id")):
        _record(store, req, "text or reply_to_id on a carousel item (the carousel has them)")
    needed = {"IMAGE": "image_url", "VIDEO": "video_url"}.get(media_type)
    if needed and not p.get(needed):
        raise th_invalid(f"Param {needed} is required for media_type {media_type}",
                         rule=f"{media_type} without {needed}")
    for other in {"image_url", "video_url"} - {needed}:
        if p.get(other):
            _record(store, req, f"{other} on a {media_type} container")
    alt = p.get("alt_text")
    if alt is not None and (media_type not in {"IMAGE", "VIDEO"} or len(alt) > MAX_ALT):
        raise th_invalid(f"Param alt_text is for IMAGE and VIDEO, at most {MAX_ALT} "
                         "characters", rule=f"alt_text on {media_type}, {len(alt)} long")
    link = p.get("link_attachment")
    if link is not None and (media_type != "TEXT" or not link.startswith(("http://",
                                                                           "https://"))):
        raise th_invalid("Param link_attachment is an http(s) URL for TEXT posts",
                         rule=f"link_attachment={link!r} on {media_type}")
    control = p.get("reply_control")
    if control is not None and control not in REPLY_CONTROLS:
        raise th_invalid(f"Param reply_control must be one of {sorted(REPLY_CONTROLS)}",
                         rule=f"reply_control={control!r}")
    tag = p.get("topic_tag")
    if tag is not None and not (1 <= len(tag) <= 50 and "." not in tag and "&" not in tag):
        raise th_invalid("Param topic_tag must be 1-50 characters without '.' or '&'",
                         rule=f"topic_tag={tag!r}")
    for name in ("reply_to_id", "quote_post_id"):
        target = p.get(name)
        if target is not None:
            post = store.posts.get(target)
            if post is None or post.deleted:
                raise unsupported(target, rule=f"{name} {target} is not a Threads post")
    if p.get("reply_to_id"):
        authenticate(store, req, "threads_content_publish", "threads_manage_replies")
    children = _children(store, req, user_id, media_type)
    auto = boolean(req, "auto_publish_text", False)
    if auto and media_type != "TEXT":
        raise th_invalid("auto_publish_text is for TEXT containers",
                         rule=f"auto_publish_text on {media_type}")
    return {"media_type": media_type, "carousel_item": carousel_item, "children": children,
            "auto_publish": auto}


def _children(store: Store, req: Request, user_id: str, media_type: str) -> list[str]:
    raw = req.params.get("children")
    if media_type != "CAROUSEL":
        if raw is not None:
            _record(store, req, f"children on a {media_type} container")
        return []
    ids = [c.strip() for c in (raw or "").split(",") if c.strip()]
    if (raw or "").lstrip().startswith("["):  # a JSON body's array (Graph reads both)
        try:
            ids = [str(c) for c in json.loads(raw or "[]")]
        except ValueError as exc:
            raise th_invalid("Param children must be a list of container ids",
                             rule="children that are not a list") from exc
    if not MIN_CHILDREN <= len(ids) <= MAX_CHILDREN or len(set(ids)) != len(ids):
        raise th_invalid(f"A carousel has {MIN_CHILDREN} to {MAX_CHILDREN} distinct children",
                         rule=f"a carousel of {len(ids)} children ({len(set(ids))} distinct)")
    for child_id in ids:
        child = store.containers.get(child_id)
        if child is None or child.user_id != user_id or not child.is_carousel_item:
            raise th_invalid(f"Child {child_id} is not a carousel item container of this user",
                             rule=f"carousel child {child_id} is not an item of this user")
        if "_in_carousel" in child.params or settle(store, child) in {"EXPIRED",
                                                                      "PUBLISHED"}:
            raise th_invalid(f"Child {child_id} was used or has expired",
                             rule=f"carousel child {child_id} used twice or expired")
    return ids


def settle(store: Store, container: Container, *, read: bool = False) -> str:
    """The container's status now; `read` is a status read (it uses up an IN_PROGRESS)."""
    if container.status in {"FINISHED", "IN_PROGRESS"} and time.time() >= container.expires_at:
        container.status = "EXPIRED"
    if container.status == "FINISHED" and container.media_type == "CAROUSEL":
        failed = [store.containers[c] for c in container.children
                  if settle(store, store.containers[c]) == "ERROR"]
        if failed:
            container.status, container.error_message = "ERROR", failed[0].error_message
    if container.status == "FINISHED" and container.reads_left > 0:
        if read:
            container.reads_left -= 1
        return "IN_PROGRESS"
    return container.status


CONTAINER_FIELDS = {"id", "status", "error_message"}


def read_container(store: Store, req: Request, container: Container) -> Reply:
    token = authenticate(store, req)
    if container.user_id != token.user_id:
        raise unsupported(container.id, rule="reading another user's container")
    names = fields_of(req, CONTAINER_FIELDS, ["id"])
    status = settle(store, container, read="status" in names)
    obj: dict[str, Any] = {"id": container.id}
    if "status" in names:
        obj["status"] = status
    if "error_message" in names and status == "ERROR":
        obj["error_message"] = container.error_message or "UNKNOWN"
    return Reply(200, obj)


def publish(store: Store, req: Request) -> Reply:
    """POST /{threads-user-id}/threads_publish?creation_id=..."""
    token = authenticate(store, req, "threads_content_publish")
    user_id = me_or(req, token, req.path.split("/")[1])
    for name in sorted(set(req.params) - {"creation_id", "access_token", "appsecret_proof"}):
        _record(store, req, f"a parameter threads_publish does not take: {name}")
    creation = req.params.get("creation_id", "")
    container = store.containers.get(creation)
    if container is None or container.user_id != user_id:
        raise media_not_found(rule=f"threads_publish of {creation!r}, not a container of "
                                   "this user")
    status = settle(store, container)
    if status == "PUBLISHED":
        if store.republish == "same_id":
            return Reply(200, {"id": container.post_id})
        raise media_not_found()
    if container.is_carousel_item:
        raise media_not_found(rule="threads_publish of a carousel item on its own")
    if status != "FINISHED":
        raise media_not_found(rule=f"threads_publish of a container that is {status}")
    _within_quota(store, container)
    return Reply(200, {"id": _publish(store, container).id})


def _within_quota(store: Store, container: Container) -> None:
    """A reply needs its parent still there; posts and replies each have their quota."""
    reply = bool(container.params.get("reply_to_id"))
    parent = store.posts.get(container.params.get("reply_to_id") or "")
    if reply and (parent is None or parent.deleted):
        raise unsupported(container.params["reply_to_id"])  # deleted since: not the caller's
    kind, limit = ("replies", store.quota_replies) if reply else ("posts", store.quota_posts)
    if store.used(container.user_id, kind) >= limit:
        raise quota_error(kind)


def _publish(store: Store, container: Container) -> Post:
    p = container.params
    reply_to = p.get("reply_to_id")
    parent = store.posts.get(reply_to) if reply_to else None
    post = _new_post(store, container)
    post.children = [_new_post(store, store.containers[c]).id for c in container.children]
    for child_id in container.children:
        store.containers[child_id].status = "PUBLISHED"
    if parent is not None:
        post.reply_to, post.root = parent.id, parent.root or parent.id
    container.status, container.post_id = "PUBLISHED", post.id
    store.used(container.user_id, "replies" if parent else "posts", count=True)
    return post


def _new_post(store: Store, container: Container) -> Post:
    p = container.params
    post = Post(store.new_id(), container.user_id, POST_TYPE[container.media_type],
                p.get("text", ""), time.time(), secrets.token_urlsafe(8)[:11],
                container_id=container.id, alt_text=p.get("alt_text"),
                link_attachment_url=p.get("link_attachment"),
                reply_audience=(p.get("reply_control") or "everyone").upper(),
                topic_tag=p.get("topic_tag"), quoted_post=p.get("quote_post_id"),
                media=container.media, mime_type=container.mime_type,
                is_carousel_item=container.is_carousel_item, app_id=container.app_id)
    store.posts[post.id] = post
    return post


LIMIT_FIELDS = {"quota_usage", "config", "reply_quota_usage", "reply_config",
                "delete_quota_usage", "delete_config", "location_search_quota_usage",
                "location_search_config"}


def publishing_limit(store: Store, req: Request) -> Reply:
    """GET /{threads-user-id}/threads_publishing_limit: `{"data": [{...}]}`."""
    token = authenticate(store, req, "threads_content_publish")
    user_id = me_or(req, token, req.path.split("/")[1])
    names = fields_of(req, LIMIT_FIELDS, ["quota_usage", "config"])
    if any(n.startswith("reply_") for n in names):
        authenticate(store, req, "threads_content_publish", "threads_manage_replies")
    if any(n.startswith("delete_") for n in names):
        authenticate(store, req, "threads_delete")
    values: dict[str, Any] = {
        "quota_usage": store.used(user_id, "posts"),
        "config": {"quota_total": store.quota_posts, "quota_duration": QUOTA_WINDOW},
        "reply_quota_usage": store.used(user_id, "replies"),
        "reply_config": {"quota_total": store.quota_replies, "quota_duration": QUOTA_WINDOW},
        "delete_quota_usage": store.used(user_id, "deletes"),
        "delete_config": {"quota_total": store.quota_deletes, "quota_duration": QUOTA_WINDOW},
        "location_search_quota_usage": 0,
        "location_search_config": {"quota_total": 500, "quota_duration": QUOTA_WINDOW},
    }
    return Reply(200, {"data": [{n: values[n] for n in names}]})
