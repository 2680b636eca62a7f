"""Content publishing on graph.instagram.com: create a media container
(POST /{ig-user-id}/media), read its status (GET /{ig-container-id}?fields=status_code),
publish it (POST /{ig-user-id}/media_publish?creation_id=) and read the publishing quota
(GET /{ig-user-id}/content_publishing_limit).

Sources (developers.facebook.com/docs/instagram-platform/...): content-publishing ("We cURL
media used in publishing attempts"; JPEG is the only image format; carousels of up to 10
images and videos; caption limits: 2200 characters, 30 hashtags, 20 @ tags; alt_text for
image posts only, not reels or stories), instagram-graph-api/reference/ig-user/media
(parameters image_url, caption, alt_text, is_carousel_item, media_type CAROUSEL / REELS /
STORIES, children, location_id, user_tags, collaborators; "Containers expire after 24 hours";
400 containers per 24 h; images: JPEG, 8 MB at most, aspect ratio 4:5 to 1.91:1),
reference/ig-container (status_code EXPIRED / ERROR / FINISHED / IN_PROGRESS / PUBLISHED;
`status` holds the error subcode when status_code is ERROR), reference/ig-user/media_publish
(creation_id; the answer `{"id": <IG_MEDIA_ID>}`; 50 posts per 24 h moving period),
reference/ig-user/content_publishing_limit (`quota_usage`, `config{quota_total,
quota_duration}`) and reference/error-codes (9004/2207052 media fetch, 36000/2207004 too
large, 36001/2207005 format, 36003/2207009 aspect ratio, 9007/2207027 not ready, -2/2207020
expired, 9/2207042 quota, 100/2207028 carousel).
"""

from __future__ import annotations

import io
import json
import secrets
import time
import urllib.error
import urllib.request
from typing import Any
from urllib.parse import urlsplit

from PIL import Image, UnidentifiedImageError

from tests.peers.facebook.render import boolean, fields, known_params, pick
from tests.peers.facebook.wire import GraphError, Reply, Request, invalid
from tests.peers.instagram.access import authenticate, need
from tests.peers.instagram.state import Container, Media, Store, Token
from tests.peers.instagram.wire import ig_error

MAX_IMAGE = 8 * 1024 * 1024  # "8 MB" (error-codes: "less than 8 MiB")
MIN_RATIO, MAX_RATIO = 4 / 5, 1.91
MAX_CAPTION, MAX_HASHTAGS, MAX_MENTIONS = 2200, 30, 20
MIN_CHILDREN, MAX_CHILDREN = 2, 10
MAX_VIDEO = 300 * 1024 * 1024
CONTAINER_PARAMS = {"image_url", "video_url", "caption", "alt_text", "is_carousel_item",
                    "media_type", "children", "location_id", "user_tags", "product_tags",
                    "collaborators", "share_to_feed", "cover_url", "thumb_offset",
                    "audio_name", "upload_type", "trial_params", "branded_content_sponsor_ids",
                    "is_paid_partnership", "is_ai_generated"}
MAX_ALT_TEXT, MAX_COLLABORATORS = 1000, 3
CONTAINER_FIELDS = {"id", "status_code", "status", "copyright_check_status"}
LOOPBACK = {"127.0.0.1", "localhost", "::1"}
_OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def ig_user(store: Store, req: Request, token: Token) -> str:
    """The account in the path: its professional account id, its app-scoped id, or `me`;
    another account's id is refused as Graph refuses an object it cannot see."""
    given = req.path.split("/")[1]
    user = store.users[token.user_id]
    if given in {"me", user.id, user.scoped_ids.get(token.app_id)}:
        return user.id
    raise GraphError(100, f"Unsupported {req.method.lower()} request. Object with ID "
                     f"'{given}' does not exist, cannot be loaded due to missing permissions, "
                     "or does not support this operation.", kind="GraphMethodException",
                     subcode=33, rule=f"/{given}/... is not the token's account")


def _record(store: Store, req: Request, rule: str) -> None:
    store.protocol.append({"method": req.method, "path": req.path, "rule": rule,
                           "status": 200})


def _check_caption(caption: str) -> None:
    tags, mentions = caption.count("#"), caption.count("@")
    if mentions > MAX_MENTIONS:
        raise ig_error(2207040, rule=f"a caption with {mentions} @ tags (20 at most)")
    if len(caption) > MAX_CAPTION or tags > MAX_HASHTAGS:
        raise ig_error(2207010, length=len(caption), rule=f"a caption of {len(caption)} "
                       f"characters and {tags} hashtags (2200 and 30 at most)")


def fetch(url: str, cap: int, timeout: float = 10.0) -> bytes:
    """GET `url` as Instagram's cURL would (loopback only here): 9004/2207052 when it cannot
    be had, -2/2207003 when it takes too long."""
    parts = urlsplit(url)
    if parts.scheme not in {"http", "https"} or not parts.hostname:
        raise ig_error(2207052, uri=url, rule=f"image_url {url!r} is not an http(s) URL")
    if parts.hostname not in LOOPBACK:
        # Instagram would fetch it; the stand-in never leaves the machine.
        raise ig_error(2207052, uri=url, detail="the stand-in fetches only loopback URLs")
    try:
        with _OPENER.open(url, timeout=timeout) as answer:
            return bytes(answer.read(cap + 1))
    except TimeoutError as exc:
        raise ig_error(2207003) from exc
    except urllib.error.HTTPError as exc:
        raise ig_error(2207052, uri=url, detail=f"HTTP {exc.code}") from exc
    except urllib.error.URLError as exc:
        if isinstance(exc.reason, TimeoutError):
            raise ig_error(2207003) from exc
        raise ig_error(2207052, uri=url, detail=str(exc.reason)) from exc
    except (OSError, ValueError) as exc:
        raise ig_error(2207052, uri=url, detail=str(exc)) from exc


def check_image(data: bytes, *, story: bool = False) -> tuple[int, int, int | None,
                                                            dict[str, str]]:
    """(width, height, error subcode or None, the error's placeholder values): JPEG only,
    8 MiB at most, aspect ratio 4:5 to 1.91:1 (not for stories: 9:16 is only advised). Widths
    outside 320-1440 are scaled by Instagram, not refused."""
    if len(data) > MAX_IMAGE:
        return 0, 0, 2207004, {}
    try:
        with Image.open(io.BytesIO(data)) as image:
            fmt, (width, height) = image.format, image.size
    except (UnidentifiedImageError, OSError):
        return 0, 0, 2207005, {"format": "(not an image)"}
    if fmt != "JPEG" or data[:2] != b"\xff\xd8":
        return width, height, 2207005, {"format": str(fmt)}
    ratio = width / max(height, 1)
    if not story and not MIN_RATIO - 1e-9 <= ratio <= MAX_RATIO + 1e-9:
        return width, height, 2207009, {"ratio": f"{ratio:.3g}"}
    return width, height, None, {}


def _collaborators(req: Request, media_type: str) -> None:
    raw = req.params.get("collaborators", "").strip()
    if not raw:
        return
    try:
        names = json.loads(raw) if raw.startswith("[") else raw.split(",")
    except ValueError as exc:
        raise invalid("(#100) collaborators must be a list of usernames",
                      rule="collaborators that cannot be read") from exc
    if media_type == "STORIES" or len(names) > MAX_COLLABORATORS:
        raise invalid("(#100) collaborators: up to 3 usernames, not on stories",
                      rule=f"{len(names)} collaborators on a {media_type} container")


def _children(store: Store, req: Request, user_id: str) -> list[Container]:
    raw = req.params.get("children", "").strip()
    try:
        ids = [str(x) for x in json.loads(raw)] if raw.startswith("[") else \
            [x.strip() for x in raw.split(",") if x.strip()]
    except ValueError as exc:
        raise invalid("(#100) children must be a list of container ids",
                      rule="children that cannot be read") from exc
    if not MIN_CHILDREN <= len(ids) <= MAX_CHILDREN:
        raise ig_error(2207028, rule=f"a carousel of {len(ids)} items (2 to 10)")
    found = []
    for cid in ids:
        child = store.containers.get(cid)
        if child is None or child.user_id != user_id:
            raise ig_error(2207006, id=cid, rule=f"carousel child {cid} is not this account's")
        if not child.is_carousel_item:
            raise ig_error(2207028, rule=f"child {cid} was not made with is_carousel_item=true")
        if child.error is not None or child.used_in is not None:
            raise ig_error(2207028, rule=f"child {cid} failed or is in another carousel")
        found.append(child)
    return found


def create(store: Store, req: Request) -> Reply:
    """Checks under the store's lock, the fetch outside it (a slow image server must not stall
    every other request), then the container is stored under the lock again."""
    with store.lock:
        container, url, cap = _prepare(store, req)
        if url is None:
            store.containers[container.id] = container
            return Reply(200, {"id": container.id})
        timeout = store.fetch_timeout_seconds
    data = fetch(url, cap, timeout)
    with store.lock:
        if cap == MAX_VIDEO:
            container.video_url, container.video_size = url, len(data)
            if len(data) < 12 or data[4:8] != b"ftyp":  # MP4/MOV begin with an ftyp box
                container.error = 2207026
        else:
            container.image = data
            width, height, error, values = check_image(data, story=container.kind == "STORIES")
            container.width, container.height, container.error = width, height, error
            container.error_values = values
            if error is not None and store.image_errors == "sync":
                raise ig_error(error, **values)
        store.containers[container.id] = container
    return Reply(200, {"id": container.id})


def _prepare(store: Store, req: Request) -> tuple[Container, str | None, int]:
    """The container the request asks for, every documented rule checked; the URL to fetch
    (None for a carousel) and how many bytes at most."""
    token = authenticate(store, req)
    user_id = ig_user(store, req, token)
    need(store, token, "instagram_business_basic", "instagram_business_content_publish",
         what="Creating a media container")
    if store.users[user_id].account_type == "PERSONAL":
        raise GraphError(10, "(#10) The user is not an Instagram Business or Creator account",
                         status=403)
    for name in known_params(req, CONTAINER_PARAMS):
        _record(store, req, f"parameter {name} is not one ig-user/media lists")
    p = req.params
    now = time.time()
    recent = [c for c in store.containers.values()
              if c.user_id == user_id and c.created_at > now - 86400]
    if len(recent) >= store.containers_per_day:
        raise GraphError(4, "(#4) Application request limit reached: 400 containers in 24 "
                         "hours", transient=True)
    media_type = p.get("media_type", "IMAGE").upper()
    item = boolean(req, "is_carousel_item", False)
    caption = p.get("caption", "")
    _check_caption(caption)
    if media_type == "VIDEO" and not item:
        raise ig_error(2207023, media_type="VIDEO",
                       rule="media_type=VIDEO (single feed videos are REELS now; VIDEO is for "
                            "carousel items)")
    if media_type not in {"IMAGE", "VIDEO", "CAROUSEL", "STORIES", "REELS"}:
        raise ig_error(2207023, media_type=media_type, rule=f"media_type={media_type}")
    if p.get("alt_text") is not None and media_type != "IMAGE":
        raise invalid("(#100) alt_text is supported for image posts only",
                      rule=f"alt_text on a {media_type} container")
    alt = p.get("alt_text")
    if alt is not None and len(alt) > MAX_ALT_TEXT:
        raise invalid(f"(#100) alt_text is up to 1000 characters, not {len(alt)}",
                      rule=f"alt_text of {len(alt)} characters")
    _collaborators(req, media_type)
    for name in ("caption", "location_id"):
        if item and p.get(name):
            _record(store, req, f"{name} on a carousel item: not supported there")
    if item and media_type not in {"IMAGE", "VIDEO"}:
        raise invalid("(#100) Only images and videos can be carousel items",
                      rule=f"is_carousel_item on a {media_type} container")
    container = Container(store.new_id(), user_id, token.app_id, media_type, caption,
                          p.get("image_url"), p.get("alt_text"), item, [], now,
                          reads_left=store.in_progress_reads,
                          expires_at=now + store.container_seconds)
    if media_type == "CAROUSEL":
        if p.get("image_url") or p.get("video_url"):
            raise invalid("(#100) A carousel container takes children, not a media URL",
                          rule="a carousel container with image_url")
        kids = _children(store, req, user_id)
        for kid in kids:
            kid.used_in = container.id
        container.children = [k.id for k in kids]
        return container, None, 0
    if media_type == "STORIES" and store.users[user_id].account_type != "BUSINESS":
        raise GraphError(10, "(#10) Stories can be published by business accounts only",
                         status=403, rule="a story from a creator account")
    if media_type in {"REELS", "VIDEO"} or (media_type == "STORIES" and p.get("video_url")):
        video = p.get("video_url")
        if not video:
            raise invalid("(#100) The parameter video_url is required",
                          rule="a REELS container without video_url")
        return container, video, MAX_VIDEO
    url = p.get("image_url")
    if not url:
        raise invalid("(#100) The parameter image_url is required",
                      rule=f"a {media_type} container without image_url")
    return container, url, MAX_IMAGE


def status_code(store: Store, container: Container, *, read: bool) -> str:
    """The container's status_code; `read` counts a status read (reads stand for time
    passing: reading a carousel moves its items along too, so a client that polls only the
    carousel still sees it finish)."""
    items = [status_code(store, store.containers[cid], read=read)
             for cid in container.children]
    if container.error is not None:
        return "ERROR"
    if container.published_id is not None:
        return "PUBLISHED"
    if container.expires_at <= time.time():
        return "EXPIRED"
    if container.reads_left > 0:
        if read:
            container.reads_left -= 1
        return "IN_PROGRESS"
    return "FINISHED" if all(s == "FINISHED" for s in items) else "IN_PROGRESS"


def read_container(store: Store, req: Request, container: Container, token: Token) -> Reply:
    if container.user_id != token.user_id:
        raise ig_error(2207006, id=container.id, rule="a container of another account read")
    names = fields(req, "ShadowIGMediaBuilder", CONTAINER_FIELDS, ["id"])
    obj: dict[str, Any] = {"id": container.id}
    if "status_code" in names or "status" in names:
        obj["status_code"] = status_code(store, container, read=True)
        obj["status"] = (str(container.error) if container.error is not None
                         else obj["status_code"].title().replace("_", " "))
    return Reply(200, pick(obj, names))


def publish(store: Store, req: Request) -> Reply:
    token = authenticate(store, req)
    user_id = ig_user(store, req, token)
    need(store, token, "instagram_business_basic", "instagram_business_content_publish",
         what="Publishing")
    for name in known_params(req, {"creation_id"}):
        _record(store, req, f"parameter {name} is not one media_publish lists")
    cid = req.params.get("creation_id", "")
    if not cid:
        raise invalid("(#100) The parameter creation_id is required", rule="no creation_id")
    container = store.containers.get(cid)
    if container is None or container.user_id != user_id:
        raise ig_error(2207006, id=cid, rule="creation_id is not a container of this account")
    if container.is_carousel_item:
        raise invalid("(#100) A carousel item is published through its carousel",
                      rule="a carousel item published on its own")
    if container.published_id is not None:
        if store.republish == "same":
            return Reply(200, {"id": container.published_id})
        raise ig_error(2207006, id=cid, detail=f"container {cid} was already published as media "
                       f"{container.published_id}")
    state = status_code(store, container, read=False)
    if state == "EXPIRED":
        raise ig_error(2207020)
    if state == "ERROR":
        raise ig_error(container.error or 2207001, **container.error_values)
    if state != "FINISHED":
        raise ig_error(2207027)
    if quota_used(store, user_id) >= store.publish_quota:
        raise ig_error(2207042)
    media = _media_from(store, container)
    container.published_id = media.id
    return Reply(200, {"id": media.id})


def _media_from(store: Store, container: Container, parent: str | None = None) -> Media:
    kinds = {"IMAGE": ("IMAGE", "FEED"), "VIDEO": ("VIDEO", "FEED"),
             "CAROUSEL": ("CAROUSEL_ALBUM", "FEED"),
             "STORIES": ("IMAGE" if container.image_url else "VIDEO", "STORY"),
             "REELS": ("VIDEO", "REELS")}
    media_type, product = kinds[container.kind]
    media = Media(store.new_id(), container.user_id, container.app_id, container.id,
                  media_type, product, container.caption if parent is None else "",
                  container.alt_text, [], time.time(), secrets.token_urlsafe(8)[:11],
                  container.image, parent)
    store.media[media.id] = media
    for cid in container.children:
        child = store.containers[cid]
        kid = _media_from(store, child, media.id)
        child.published_id = kid.id
        media.children.append(kid.id)
    return media


def quota_used(store: Store, user_id: str) -> int:
    since = time.time() - 86400
    return sum(1 for m in store.media.values() if m.user_id == user_id and
               m.parent_id is None and m.created_at > since)


def publishing_limit(store: Store, req: Request) -> Reply:
    token = authenticate(store, req)
    user_id = ig_user(store, req, token)
    need(store, token, "instagram_business_basic", "instagram_business_content_publish",
         what="Reading the publishing limit")
    names = fields(req, "ContentPublishingLimit", {"quota_usage", "config"}, ["quota_usage"])
    row: dict[str, Any] = {"quota_usage": quota_used(store, user_id),
                           "config": {"quota_total": store.publish_quota,
                                      "quota_duration": 86400}}
    return Reply(200, {"data": [{k: row[k] for k in names}]})
