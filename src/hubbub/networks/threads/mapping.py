"""Threads posts and replies to and from the hub's values. Pure functions (no I/O).

Sources: "Threads Posts" (POST /{threads-user-id}/threads: media_type TEXT, IMAGE or CAROUSEL,
text, image_url, alt_text, is_carousel_item, children, reply_to_id), "Retrieve User Posts" and
the Media Retrieval reference (fields id, media_type, media_url, permalink, username, text,
timestamp, children, alt_text, replied_to, root_post), "Retrieve and Manage Replies".
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from hubbub.core.counting import inline_warning
from hubbub.networks.base import Draft, Item, Published
from hubbub.networks.meta import fields
from hubbub.networks.meta.fields import parse_time

# "Retrieve User Posts" (the user's threads) and "Retrieve Replies" name these fields.
POST_FIELDS = "id,media_type,media_url,permalink,username,text,timestamp,alt_text,children"
REPLY_FIELDS = ("id,media_type,media_url,permalink,username,text,timestamp,replied_to,"
                "root_post")
FIND_FIELDS = "id,text,timestamp,permalink"
MEDIA_KINDS = {"IMAGE": "image", "VIDEO": "video", "CAROUSEL_ALBUM": "image"}


def _map(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def _str(value: Any) -> str:
    return value if isinstance(value, str) else ""


def text_of(draft: Draft) -> str:
    """The text a Threads post carries: Threads' API has no content-warning field, so a
    warning leads the text as its own paragraph."""
    return inline_warning(draft.text, draft.content_warning)


def container_form(draft: Draft, image_urls: Sequence[tuple[str, str]] = (),
                   children: Sequence[str] = ()) -> dict[str, str]:
    """The form for POST /{threads-user-id}/threads making the post's own container: TEXT,
    IMAGE (one (url, alt text) in `image_urls`) or CAROUSEL (item container ids in
    `children`), replying to `draft.in_reply_to` when set."""
    form: dict[str, str] = {}
    text = text_of(draft)
    if children:
        form["media_type"] = "CAROUSEL"
        form["children"] = ",".join(children)
    elif image_urls:
        url, alt = image_urls[0]
        form["media_type"] = "IMAGE"
        form["image_url"] = url
        if alt.strip():
            form["alt_text"] = alt.strip()
    else:
        form["media_type"] = "TEXT"
    if text:
        form["text"] = text
    if draft.in_reply_to:
        form["reply_to_id"] = draft.in_reply_to
    return form


def item_form(url: str, alt: str) -> dict[str, str]:
    """The form for one carousel item's container."""
    form = {"media_type": "IMAGE", "image_url": url, "is_carousel_item": "true"}
    if alt.strip():
        form["alt_text"] = alt.strip()
    return form


def object_id(body: Mapping[str, Any]) -> str:
    """The `id` of an answer ({"id": "..."}); ValueError when there is none."""
    value = body.get("id")
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    if not isinstance(value, str) or not value:
        raise ValueError("no id in the answer")
    return value


def published(post: Mapping[str, Any], web: str, handle: str) -> Published:
    """A post read back (id, permalink, timestamp) as Published."""
    post_id = object_id(post)
    url = _str(post.get("permalink")) or profile_url(web, handle)
    return Published(remote_id=post_id, url=url, created_at=parse_time(post.get("timestamp")))


def profile_url(web: str, handle: str) -> str:
    name = handle.lstrip("@")
    return f"{web}/@{name}" if name else web


def _normal(text: str) -> str:
    return " ".join(text.split())


def matches(post: Mapping[str, Any], draft: Draft) -> bool:
    """Is `post` (one of the account's own) the one `draft` made? The same text, spaces
    evened, and for a reply the same post answered when Threads says which."""
    if _normal(_str(post.get("text"))) != _normal(text_of(draft)):
        return False
    if draft.in_reply_to:
        answered = _str(_map(post.get("replied_to")).get("id"))
        return not answered or answered == draft.in_reply_to
    return True


def oldest_first(posts: Iterable[Mapping[str, Any]]) -> list[Mapping[str, Any]]:
    return fields.oldest_first(posts, "timestamp")


def _media(post: Mapping[str, Any]) -> list[dict[str, str]]:
    media: list[dict[str, str]] = []
    children = _map(post.get("children")).get("data")
    entries = list(children) if isinstance(children, list) and children else [post]
    for entry in entries:
        entry = _map(entry)
        kind = MEDIA_KINDS.get(_str(entry.get("media_type")))
        url = _str(entry.get("media_url"))
        if kind and url:
            media.append({"type": kind, "url": url, "preview_url": url,
                          "description": _str(entry.get("alt_text"))})
    return media


def item_from_post(post: Mapping[str, Any], handle: str, web: str, *,
                   kind: str = "post") -> Item:
    """A Threads post (the account's own, or a reply to one of them) as an Item."""
    post_id = _str(post.get("id"))
    created = parse_time(post.get("timestamp"))
    if not post_id or created is None:
        raise ValueError("a post without an id or a time")
    author = _str(post.get("username")) or handle.lstrip("@")
    extra: dict[str, Any] = {"author_url": profile_url(web, author)}
    media = _media(post)
    if media:
        extra["media"] = media
    answered = _str(_map(post.get("replied_to")).get("id"))
    if answered:
        extra["in_reply_to"] = answered
    root = _str(_map(post.get("root_post")).get("id"))
    if root and root != post_id:
        extra["root_post"] = root
    return Item(remote_id=post_id, kind=kind, author_handle=f"@{author}", author_name=author,
                created_at=created, text=_str(post.get("text")),
                url=_str(post.get("permalink")), extra=extra)


def quota(body: Mapping[str, Any], *, reply: bool) -> tuple[int, int, int] | None:
    """(used, total, window seconds) from a threads_publishing_limit answer, for posts or for
    replies; None when the answer does not say."""
    data = body.get("data")
    entry = _map(data[0]) if isinstance(data, list) and data else {}
    used = entry.get("reply_quota_usage" if reply else "quota_usage")
    config = _map(entry.get("reply_config" if reply else "config"))
    total, window = config.get("quota_total"), config.get("quota_duration")
    numbers = [v for v in (used, total, window)
               if isinstance(v, int) and not isinstance(v, bool) and v >= 0]
    return (numbers[0], numbers[1], numbers[2]) if len(numbers) == 3 else None
