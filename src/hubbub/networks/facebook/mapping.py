"""Facebook Page posts and comments to and from the hub's values. Pure functions (no I/O).

Sources: Pages API "Posts" (POST /{page-id}/feed with message, link, attached_media; answers
{"id": "{page-id}_{post-id}"}), the Post and Comment references (fields id, message,
created_time, from, permalink_url, attachments, parent), and "Publish photos" (unpublished
photos attached with attached_media[n]={"media_fbid": ...}).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any
from urllib.parse import parse_qs, urlsplit

from hubbub.core.counting import inline_warning
from hubbub.networks.base import Draft, Item, MediaFile, Published
from hubbub.networks.meta import fields
from hubbub.networks.meta.fields import parse_time as parse_time  # re-exported

POST_FIELDS = "id,message,created_time,permalink_url,from,attachments"
COMMENT_FIELDS = "id,message,created_time,permalink_url,from,parent"
_URL = re.compile(r"https?://[^\s<>\"']+", re.IGNORECASE)
_TRAILING = ".,;:!?)]}'\""
MEDIA_TYPES = {"photo": "image", "album": "image", "video_inline": "video", "video": "video",
               "animated_image_share": "gifv"}


def _map(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def _str(value: Any) -> str:
    return value if isinstance(value, str) else ""


def message_of(draft: Draft) -> str:
    """The text a Page post carries: Facebook has no content-warning field, so a warning leads
    the text as its own paragraph."""
    return inline_warning(draft.text, draft.content_warning)


def link_of(draft: Draft) -> str:
    """The link a text post shares as its card: the first web address in the text, when the
    post has no photos (a photo post shows the photos instead)."""
    if draft.media:
        return ""
    found = _URL.search(draft.text)
    return found.group(0).rstrip(_TRAILING) if found else ""


def feed_form(draft: Draft, media_ids: Sequence[str]) -> dict[str, str]:
    """The form for POST /{page-id}/feed."""
    form = {"message": message_of(draft)}
    link = link_of(draft)
    if link:
        form["link"] = link
    for index, media_id in enumerate(media_ids):
        form[f"attached_media[{index}]"] = json.dumps({"media_fbid": media_id})
    return form


def photo_form(media: MediaFile) -> dict[str, str]:
    """The form fields (beside the file, `source`) for POST /{page-id}/photos: unpublished, to
    be attached to the post, with the alt text in `alt_text_custom` ("Photo" reference)."""
    form = {"published": "false"}
    alt = media.alt_text.strip()
    if alt:
        form["alt_text_custom"] = alt
    return form


def post_url(web: str, page_id: str, post_id: str) -> str:
    """A post's address on facebook.com, from its id ({page-id}_{post-id})."""
    owner, _, own_id = post_id.partition("_")
    if own_id:
        return f"{web}/{owner or page_id}/posts/{own_id}"
    return f"{web}/{post_id}"


def published(body: Mapping[str, Any], web: str, page_id: str) -> Published:
    """The answer to a publish ({"id": ...}, read-after-write fields when asked)."""
    post_id = body.get("id") or body.get("post_id")
    if not isinstance(post_id, str) or not post_id:
        raise ValueError("no post id in the answer")
    url = _str(body.get("permalink_url")) or post_url(web, page_id, post_id)
    return Published(remote_id=post_id, url=url, created_at=parse_time(body.get("created_time")))


def _normal(text: str) -> str:
    return " ".join(text.split())


def unshim(url: str) -> str:
    """Facebook wraps outgoing links (l.facebook.com/l.php?u=...): the address inside."""
    parts = urlsplit(url)
    if parts.path.endswith("/l.php"):
        inner = parse_qs(parts.query).get("u")
        if inner:
            return inner[0]
    return url


def attachment_urls(post: Mapping[str, Any]) -> set[str]:
    """The web addresses a post's attachments point to (its link card)."""
    urls: set[str] = set()
    attachments = _map(post.get("attachments")).get("data")
    for entry in attachments if isinstance(attachments, list) else []:
        entry = _map(entry)
        for value in (entry.get("unshimmed_url"), entry.get("url"),
                      _map(entry.get("target")).get("url")):
            if isinstance(value, str) and value:
                urls.add(unshim(value).rstrip("/"))
    link = post.get("link")
    if isinstance(link, str) and link:
        urls.add(unshim(link).rstrip("/"))
    return urls


def matches(post: Mapping[str, Any], draft: Draft) -> bool:
    """Is `post` (one of the Page's own) the one `draft` made? The same message, spaces evened;
    for a link post, the same link when Facebook shows the post's link card."""
    if _normal(_str(post.get("message"))) != _normal(message_of(draft)):
        return False
    link = link_of(draft)
    urls = attachment_urls(post)
    return not link or not urls or link.rstrip("/") in urls


def oldest_first(posts: Iterable[Mapping[str, Any]]) -> list[Mapping[str, Any]]:
    return fields.oldest_first(posts, "created_time")


def _media(post: Mapping[str, Any]) -> list[dict[str, str]]:
    media: list[dict[str, str]] = []
    attachments = _map(post.get("attachments")).get("data")
    for entry in attachments if isinstance(attachments, list) else []:
        entry = _map(entry)
        subs = _map(entry.get("subattachments")).get("data")
        for part in ([entry] + (list(subs) if isinstance(subs, list) else [])):
            part = _map(part)
            kind = MEDIA_TYPES.get(_str(part.get("type")))
            image = _map(_map(part.get("media")).get("image"))
            src = _str(image.get("src"))
            if kind and src:
                media.append({"type": kind, "url": src, "preview_url": src,
                              "description": _str(part.get("description"))})
    return media


def _card(post: Mapping[str, Any]) -> dict[str, str] | None:
    attachments = _map(post.get("attachments")).get("data")
    for entry in attachments if isinstance(attachments, list) else []:
        entry = _map(entry)
        if _str(entry.get("type")) not in ("share", "link"):
            continue
        url = unshim(_str(entry.get("unshimmed_url")) or _str(entry.get("url")))
        if url:
            image = _str(_map(_map(entry.get("media")).get("image")).get("src"))
            return {"url": url, "title": _str(entry.get("title")),
                    "description": _str(entry.get("description")), "image": image}
    return None


def item_from_post(post: Mapping[str, Any], page_name: str, web: str) -> Item:
    """A Page post (or a visitor's post on the Page) as an Item."""
    post_id = _str(post.get("id"))
    created = parse_time(post.get("created_time"))
    if not post_id or created is None:
        raise ValueError("a post without an id or a time")
    author = _map(post.get("from"))
    name = _str(author.get("name")) or page_name
    extra: dict[str, Any] = {}
    media = _media(post)
    if media:
        extra["media"] = media
    card = _card(post)
    if card:
        extra["card"] = card
    author_id = _str(author.get("id"))
    if author_id:
        extra["author_url"] = f"{web}/{author_id}"
    return Item(remote_id=post_id, kind="post", author_handle=name, author_name=name,
                created_at=created, text=_str(post.get("message")),
                url=_str(post.get("permalink_url")) or post_url(web, "", post_id), extra=extra)


def item_from_comment(comment: Mapping[str, Any], post_id: str, web: str) -> Item:
    """A comment on one of the Page's posts (or a reply to a comment) as an Item."""
    comment_id = _str(comment.get("id"))
    created = parse_time(comment.get("created_time"))
    if not comment_id or created is None:
        raise ValueError("a comment without an id or a time")
    author = _map(comment.get("from"))
    name = _str(author.get("name")) or "Facebook user"
    parent = _str(_map(comment.get("parent")).get("id")) or post_id
    extra: dict[str, Any] = {"in_reply_to": parent, "post_id": post_id}
    author_id = _str(author.get("id"))
    if author_id:
        extra["author_url"] = f"{web}/{author_id}"
    return Item(remote_id=comment_id, kind="reply", author_handle=name, author_name=name,
                created_at=created, text=_str(comment.get("message")),
                url=_str(comment.get("permalink_url")), extra=extra)
