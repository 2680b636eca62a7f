"""Instagram containers, posts and comments to and from the hub's values. Pure functions.

Sources: "IG User Media" (POST /{ig-user-id}/media: image_url, caption, alt_text,
is_carousel_item, media_type=CAROUSEL with children), "IG Container" (status_code EXPIRED,
ERROR, FINISHED, IN_PROGRESS, PUBLISHED; `status` holds the error subcode on ERROR), "IG Media"
(id, caption, media_type, media_url, thumbnail_url, permalink, timestamp, username,
comments_count, like_count) and "IG Comment" (id, text, timestamp, username, like_count,
parent_id).

A comment's remote id in the hub is COMMENT_PREFIX + its Instagram id: a reply to it is sent
to /{comment-id}/replies, a reply to a post to /{media-id}/comments, and Instagram's ids do not
say which is which.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

from hubbub.networks.base import Draft, Item, Published
from hubbub.networks.instagram.rules import caption_of
from hubbub.networks.meta import fields
from hubbub.networks.meta.fields import parse_time

COMMENT_PREFIX = "c_"
MEDIA_FIELDS = ("id,caption,media_type,media_url,thumbnail_url,permalink,timestamp,username,"
                "comments_count,like_count")
COMMENT_FIELDS = "id,text,timestamp,username,like_count,parent_id"
CONTAINER_FIELDS = "id,status_code,status"
MEDIA_TYPES = {"IMAGE": "image", "CAROUSEL_ALBUM": "image", "VIDEO": "video", "REELS": "video"}
_SUBCODE = re.compile(r"\b(2207\d{3})\b")


def _map(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def _str(value: Any) -> str:
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    return value if isinstance(value, str) else ""


def _count(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) and value >= 0 \
        else None


def is_comment(remote_id: str) -> bool:
    return remote_id.startswith(COMMENT_PREFIX)


def comment_id(remote_id: str) -> str:
    return remote_id.removeprefix(COMMENT_PREFIX)


# --- containers ------------------------------------------------------------------------------
def image_form(image_url: str, alt_text: str, *, caption: str | None,
               carousel_item: bool = False) -> dict[str, str]:
    """POST /{ig-user-id}/media for one image: a post of its own (with the caption), or an
    item of a carousel (is_carousel_item, no caption)."""
    form = {"image_url": image_url}
    if carousel_item:
        form["is_carousel_item"] = "true"
    elif caption:
        form["caption"] = caption
    alt = alt_text.strip()
    if alt:
        form["alt_text"] = alt
    return form


def video_form(video_url: str, *, caption: str | None,
               carousel_item: bool = False) -> dict[str, str]:
    """POST /{ig-user-id}/media for one video: a reel of its own (REELS, shown in the feed
    too: share_to_feed, with the caption), or a carousel's video item (VIDEO,
    is_carousel_item). No alt_text: Instagram takes it for images only."""
    if carousel_item:
        return {"media_type": "VIDEO", "video_url": video_url, "is_carousel_item": "true"}
    form = {"media_type": "REELS", "video_url": video_url, "share_to_feed": "true"}
    if caption:
        form["caption"] = caption
    return form


def carousel_form(children: Iterable[str], caption: str) -> dict[str, str]:
    form = {"media_type": "CAROUSEL", "children": ",".join(children)}
    if caption:
        form["caption"] = caption
    return form


def container_state(body: Mapping[str, Any]) -> tuple[str, str]:
    """(status_code, what went wrong) of an IG Container read."""
    code = _str(body.get("status_code")).upper()
    said = _str(body.get("error_message")) or _str(body.get("status"))
    return code, " ".join(said.split())[:300]


def error_subcode(said: str) -> int | None:
    """The 2207xxx subcode an ERROR container's `status` names, if any."""
    found = _SUBCODE.search(said)
    return int(found.group(1)) if found else None


# --- posts -----------------------------------------------------------------------------------
def _normal(text: str) -> str:
    return " ".join(text.split())


def matches(media: Mapping[str, Any], draft: Draft) -> bool:
    """Is `media` (one of the account's own) the one `draft` made? The same caption, spaces
    evened (Instagram gives the caption back as it was sent)."""
    return _normal(_str(media.get("caption"))) == _normal(caption_of(draft))


def oldest_first(entries: Iterable[Mapping[str, Any]]) -> list[Mapping[str, Any]]:
    return fields.oldest_first(entries, "timestamp")


def published(body: Mapping[str, Any], web: str) -> Published:
    """A published post (an IG Media read, or media_publish's {"id": ...})."""
    media_id = _str(body.get("id"))
    if not media_id:
        raise ValueError("no media id in the answer")
    return Published(remote_id=media_id, url=_str(body.get("permalink")),
                     created_at=parse_time(body.get("timestamp")))


def item_from_media(media: Mapping[str, Any], handle: str, web: str) -> Item:
    """One of the account's posts as an Item."""
    media_id = _str(media.get("id"))
    created = parse_time(media.get("timestamp"))
    if not media_id or created is None:
        raise ValueError("a post without an id or a time")
    username = _str(media.get("username")) or handle.lstrip("@")
    extra: dict[str, Any] = {"author_url": f"{web}/{username}"} if username else {}
    kind = MEDIA_TYPES.get(_str(media.get("media_type")).upper(), "unknown")
    url = _str(media.get("media_url"))
    preview = _str(media.get("thumbnail_url")) or url
    if url or preview:
        extra["media"] = [{"type": kind, "url": url or preview, "preview_url": preview,
                           "description": ""}]
    counts = {key: n for key, n in (("reply", _count(media.get("comments_count"))),
                                    ("like", _count(media.get("like_count")))) if n is not None}
    if counts:
        extra["counts"] = counts
    name = f"@{username}" if username else handle
    return Item(remote_id=media_id, kind="post", author_handle=name, author_name=username or name,
                created_at=created, text=_str(media.get("caption")),
                url=_str(media.get("permalink")), extra=extra)


def with_replies(comments: list[Any]) -> list[Any]:
    """Top-level comments followed by the replies under each (the `replies` field,
    {"data": [...]}), each reply naming its comment as parent_id."""
    flat: list[Any] = []
    for comment in comments:
        flat.append(comment)
        if not isinstance(comment, Mapping):
            continue
        replies = _map(comment.get("replies")).get("data")
        for reply in replies if isinstance(replies, list) else []:
            if isinstance(reply, Mapping):
                flat.append({**reply, "parent_id": _str(reply.get("parent_id"))
                             or _str(comment.get("id"))})
    return flat


def item_from_comment(comment: Mapping[str, Any], media_id: str, permalink: str,
                      web: str) -> Item:
    """A comment on one of the account's posts (or a reply to a comment) as an Item."""
    own_id = _str(comment.get("id"))
    created = parse_time(comment.get("timestamp"))
    if not own_id or created is None:
        raise ValueError("a comment without an id or a time")
    username = _str(comment.get("username")) or _str(_map(comment.get("from")).get("username"))
    parent = _str(comment.get("parent_id"))
    extra: dict[str, Any] = {
        "in_reply_to": COMMENT_PREFIX + parent if parent else media_id, "media_id": media_id}
    if username:
        extra["author_url"] = f"{web}/{username}"
    likes = _count(comment.get("like_count"))
    if likes is not None:
        extra["counts"] = {"like": likes}
    name = f"@{username}" if username else "Instagram user"
    return Item(remote_id=COMMENT_PREFIX + own_id, kind="reply", author_handle=name,
                author_name=username or name, created_at=created, text=_str(comment.get("text")),
                url=permalink, extra=extra)
