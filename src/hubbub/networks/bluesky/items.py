"""AppView views (app.bsky.feed.defs#feedViewPost, #postView, notifications) -> Items.

Pure functions on the JSON the AppView serves (through the PDS). A repost shows the reposted
post, with who reposted it in `extra`; a quote carries the quoted post in `extra["quote"]`.
"""

from __future__ import annotations

import html
from collections.abc import Mapping
from datetime import datetime
from typing import Any
from urllib.parse import quote

from hubbub.networks.base import Item
from hubbub.networks.bluesky.facets import valid_facets
from hubbub.networks.bluesky.mapping import parse_time, post_url, profile_url, web_url
from hubbub.networks.pages import map_each

REASON_REPOST = "app.bsky.feed.defs#reasonRepost"
REASON_PIN = "app.bsky.feed.defs#reasonPin"
# listNotifications reasons -> Item.kind; reasons not listed (starterpack-joined, verified, ...)
# are not shown.
NOTIFICATION_KINDS = {
    "like": "like",
    "like-via-repost": "like",
    "repost": "repost",
    "repost-via-repost": "repost",
    "follow": "follow",
    "mention": "mention",
    "reply": "reply",
    "quote": "quote",
    "subscribed-post": "post",
}
MENTION_REASONS = ("mention", "reply", "quote")
# Self-labels and moderation labels that hide media until clicked (the Bluesky app's defaults).
SENSITIVE_LABELS = frozenset({"porn", "sexual", "nudity", "graphic-media", "gore"})


def _map(value: object) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def _str(value: object) -> str:
    return value if isinstance(value, str) else ""


def handle_of(profile: Mapping[str, Any]) -> str:
    handle = _str(profile.get("handle")) or _str(profile.get("did"))
    return f"@{handle}" if handle else ""


def _time(*candidates: object) -> datetime:
    for value in candidates:
        try:
            return parse_time(value)
        except ValueError:
            continue
    raise ValueError("no timestamp in this view")


# --- text -------------------------------------------------------------------------------------


def _href(feature: Mapping[str, Any]) -> str:
    kind = _str(feature.get("$type")).rpartition("#")[2]
    if kind == "link":
        uri = _str(feature.get("uri"))
        return uri if uri.lower().startswith(("https://", "http://")) else ""
    if kind == "mention":
        did = _str(feature.get("did"))
        return profile_url(did) if did.startswith("did:") else ""
    if kind == "tag":
        tag = _str(feature.get("tag"))
        return f"{web_url()}/hashtag/{quote(tag, safe='')}" if tag else ""
    return ""


def render_html(text: str, facets: object) -> str:
    """Post text as HTML: escaped, with links, mentions and tags from its facets; line breaks
    kept. Not yet safe to show (a facet's link is any http(s) URI): ingest cleans it."""
    data = text.encode("utf-8")
    parts: list[str] = []
    position = 0
    for start, end, feature in valid_facets(text, facets):
        parts.append(html.escape(data[position:start].decode("utf-8", "replace")))
        segment = html.escape(data[start:end].decode("utf-8", "replace"))
        href = _href(feature)
        parts.append(f'<a href="{html.escape(href)}">{segment}</a>' if href else segment)
        position = end
    parts.append(html.escape(data[position:].decode("utf-8", "replace")))
    return "".join(parts).replace("\n", "<br>")


# --- embeds -----------------------------------------------------------------------------------


def _images(view: Mapping[str, Any]) -> list[dict[str, str]]:
    return [
        {
            "type": "image",
            "url": _str(image.get("fullsize")),
            "preview_url": _str(image.get("thumb")),
            "description": _str(image.get("alt")),
        }
        for image in _list(view.get("images"))
    ]


def _media_and_card(view: Mapping[str, Any], details: dict[str, Any]) -> None:
    kind = _str(view.get("$type"))
    if kind.startswith("app.bsky.embed.images"):
        details["media"] = _images(view)
    elif kind.startswith("app.bsky.embed.video"):
        details["media"] = [
            {
                "type": "video",
                "url": _str(view.get("playlist")),
                "preview_url": _str(view.get("thumbnail")),
                "description": _str(view.get("alt")),
            }
        ]
    elif kind.startswith("app.bsky.embed.external"):
        external = _map(view.get("external"))
        details["card"] = {
            "url": _str(external.get("uri")),
            "title": _str(external.get("title")),
            "description": _str(external.get("description")),
            "image": _str(external.get("thumb")),
        }


def _quoted(record_view: Mapping[str, Any]) -> dict[str, Any] | None:
    """The post a quote embeds (app.bsky.embed.record#viewRecord), or what stands in for it."""
    kind = _str(record_view.get("$type"))
    if kind.endswith("#viewRecord"):
        author = _map(record_view.get("author"))
        value = _map(record_view.get("value"))
        uri = _str(record_view.get("uri"))
        return {
            "uri": uri,
            "author_handle": handle_of(author),
            "author_name": _str(author.get("displayName")),
            "text": _str(value.get("text")),
            "url": post_url(uri, _str(author.get("handle")) or None),
        }
    if kind.endswith(("#viewNotFound", "#viewBlocked", "#viewDetached")):
        return {"uri": _str(record_view.get("uri")), "unavailable": kind.rpartition("#")[2]}
    return None  # a feed generator, list or labeler: not a quoted post


def _embed_details(embed: Mapping[str, Any], details: dict[str, Any]) -> bool:
    """Fill media/card/quote from a post's embed view; True when it quotes a post."""
    kind = _str(embed.get("$type"))
    if kind.startswith("app.bsky.embed.recordWithMedia"):
        _media_and_card(_map(embed.get("media")), details)
        record = _map(_map(embed.get("record")).get("record"))
    elif kind.startswith("app.bsky.embed.record"):
        record = _map(embed.get("record"))
    else:
        _media_and_card(embed, details)
        return False
    quoted = _quoted(record)
    if quoted is None:
        return False
    details["quote"] = quoted
    return True


# --- posts ------------------------------------------------------------------------------------


def item_from_post(
    post: Mapping[str, Any],
    *,
    kind: str | None = None,
    remote_id: str | None = None,
    created_at: datetime | None = None,
    extra: Mapping[str, Any] | None = None,
) -> Item:
    """A postView as an Item (kind: quote, reply or post unless given)."""
    details: dict[str, Any] = dict(extra or {})
    author = _map(post.get("author"))
    record = _map(post.get("record"))
    uri = _str(post.get("uri"))
    details["uri"] = uri
    details["cid"] = _str(post.get("cid"))
    quotes = _embed_details(_map(post.get("embed")), details)
    reply = _map(record.get("reply"))
    if reply:
        details["in_reply_to"] = _str(_map(reply.get("parent")).get("uri"))
        details["reply_root"] = _str(_map(reply.get("root")).get("uri"))
    details["counts"] = {
        name: post.get(f"{name}Count")
        for name in ("reply", "repost", "like", "quote")
        if isinstance(post.get(f"{name}Count"), int)
    }
    viewer = _map(post.get("viewer"))
    for name in ("like", "repost"):
        if _str(viewer.get(name)):
            details[f"my_{name}"] = _str(viewer.get(name))  # at:// URI: delete() undoes it
    if viewer.get("bookmarked") is True:
        details["bookmarked"] = True
    labels = {_str(_map(label).get("val")) for label in post.get("labels") or ()}
    if labels & SENSITIVE_LABELS:
        details["sensitive"] = True
    details["author_url"] = profile_url(_str(author.get("handle")) or _str(author.get("did")))
    langs = record.get("langs")
    if isinstance(langs, list):
        details["langs"] = [str(lang) for lang in langs]
    if kind is None:
        kind = "quote" if quotes else "reply" if reply else "post"
    text = _str(record.get("text"))
    return Item(
        remote_id=remote_id or uri,
        kind=kind,
        author_handle=handle_of(author),
        author_name=_str(author.get("displayName")) or _str(author.get("handle")),
        created_at=created_at or _time(record.get("createdAt"), post.get("indexedAt")),
        text=text,
        html=render_html(text, record.get("facets")),
        url=post_url(uri, _str(author.get("handle")) or None),
        author_avatar=_str(author.get("avatar")),
        extra=details,
    )


def item_from_feed_view(view: Mapping[str, Any]) -> Item | None:
    """One entry of getTimeline/getAuthorFeed/getListFeed. A repost is keyed by the repost
    (so it does not replace the original post), and dated when it was reposted."""
    post = _map(view.get("post"))
    if not post.get("uri"):
        return None
    reason = _map(view.get("reason"))
    reason_type = _str(reason.get("$type"))
    if reason_type == REASON_REPOST:
        by = _map(reason.get("by"))
        post_uri = _str(post.get("uri"))
        repost_uri = _str(reason.get("uri")) or f"{post_uri}#reposted-by:{_str(by.get('did'))}"
        return item_from_post(
            post,
            kind="repost",
            remote_id=repost_uri,
            created_at=_time(reason.get("indexedAt"), post.get("indexedAt")),
            extra={
                "reposted_by": handle_of(by),
                "reposted_by_name": _str(by.get("displayName")),
                "original_id": post_uri,
            },
        )
    extra: dict[str, Any] = {"pinned": True} if reason_type == REASON_PIN else {}
    parent_author = _map(_map(_map(view.get("reply")).get("parent")).get("author"))
    if parent_author.get("handle"):
        extra["in_reply_to_handle"] = handle_of(parent_author)
    return item_from_post(post, extra=extra)


def items_from_feed(body: Mapping[str, Any]) -> list[Item]:
    """getTimeline / getAuthorFeed / getListFeed answers; an unreadable entry is skipped."""
    return map_each(_list(body.get("feed")), item_from_feed_view, network="bluesky",
                    id_of=lambda view: _map(view.get("post")).get("uri"))


def items_from_posts(body: Mapping[str, Any]) -> list[Item]:
    """searchPosts / getPosts answers: a list of postViews; an unreadable one is skipped."""
    return map_each(_list(body.get("posts")), item_from_post, network="bluesky",
                    id_of=lambda post: post.get("uri"))


def _list(value: object) -> list[Mapping[str, Any]]:
    return [v for v in value if isinstance(v, Mapping)] if isinstance(value, list) else []


# --- notifications ----------------------------------------------------------------------------


def items_from_notifications(
    notifications: list[Mapping[str, Any]], subjects: Mapping[str, Mapping[str, Any]]
) -> list[Item]:
    """listNotifications entries as Items; an unreadable one is skipped."""
    return map_each(notifications, lambda n: item_from_notification(n, subjects),
                    network="bluesky", id_of=lambda n: n.get("uri"))


def item_from_notification(
    notification: Mapping[str, Any], subjects: Mapping[str, Mapping[str, Any]] | None = None
) -> Item | None:
    """A notification as an Item. Mentions, replies and quotes are keyed by their post's URI, so
    they dedupe with the same post read from a timeline. `subjects` maps the reasonSubject URIs
    (the post liked or reposted) to their postViews, where they were looked up."""
    reason = _str(notification.get("reason"))
    kind = NOTIFICATION_KINDS.get(reason)
    if kind is None:
        return None
    author = _map(notification.get("author"))
    record = _map(notification.get("record"))
    uri = _str(notification.get("uri"))
    details: dict[str, Any] = {
        "notification_reason": reason,
        "is_read": bool(notification.get("isRead")),
        "cid": _str(notification.get("cid")),
    }
    subject_uri = _str(notification.get("reasonSubject"))
    url = post_url(uri, _str(author.get("handle")) or None)
    text = ""
    if kind in ("like", "repost"):
        details["subject_uri"] = subject_uri
        subject = _map((subjects or {}).get(subject_uri))
        details["subject_text"] = _str(_map(subject.get("record")).get("text"))
        url = post_url(subject_uri) if subject_uri else ""
    elif kind == "follow":
        url = profile_url(_str(author.get("handle")) or _str(author.get("did")))
    else:
        text = _str(record.get("text"))
        reply = _map(record.get("reply"))
        if reply:
            details["in_reply_to"] = _str(_map(reply.get("parent")).get("uri"))
        if subject_uri:
            details["subject_uri"] = subject_uri
    return Item(
        remote_id=uri,
        kind=kind,
        author_handle=handle_of(author),
        author_name=_str(author.get("displayName")) or _str(author.get("handle")),
        created_at=_time(notification.get("indexedAt"), record.get("createdAt")),
        text=text,
        html=render_html(text, record.get("facets")) if text else "",
        url=url,
        author_avatar=_str(author.get("avatar")),
        extra=details,
    )
