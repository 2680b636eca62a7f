"""Reading on graph.instagram.com: the account's media (GET /{ig-user-id}/media), one media
object, a carousel's children, comments and replies (read, write, hide, delete), and any node
by id (a container, a media object, a comment).

Sources (developers.facebook.com/docs/instagram-platform/...): reference/ig-user/media
("Reading": the account's media, newest first, cursor-paged; default field id),
reference/instagram-media (fields alt_text, caption, children, comments_count, id,
is_comment_enabled, like_count, media_product_type, media_type IMAGE / VIDEO /
CAROUSEL_ALBUM, media_url, owner, permalink, shortcode, thumbnail_url, timestamp, username),
reference/instagram-media/children, reference/instagram-media/comments (GET with fields
id, text, timestamp, username, from, like_count, hidden, parent_id, replies; POST message ->
{"id"}; instagram_business_manage_comments), reference/instagram-comment (GET fields, POST
hide, DELETE) and reference/instagram-comment/replies (GET, POST message; replies to top-level
comments only), graph-api/results (cursor paging: before/after, next/previous).
Deleting media is documented only for Instagram API with Facebook Login
(instagram_manage_contents): here DELETE /{ig-media-id} is refused and recorded.
"""

from __future__ import annotations

import time
from typing import Any

from tests.peers.facebook.render import boolean, fb_time, fields, page_of, pick
from tests.peers.facebook.wire import GraphError, Reply, Request, invalid, not_found
from tests.peers.instagram.access import authenticate, need
from tests.peers.instagram.publishing import ig_user, read_container
from tests.peers.instagram.state import Comment, Media, Store, Token

MEDIA_FIELDS = {"alt_text", "caption", "children", "comments_count", "id",
                "is_comment_enabled", "like_count", "media_product_type", "media_type",
                "media_url", "owner", "permalink", "shortcode", "thumbnail_url", "timestamp",
                "username", "comments", "is_shared_to_feed"}
COMMENT_FIELDS = {"id", "text", "timestamp", "username", "from", "like_count", "hidden",
                  "parent_id", "replies", "media", "user"}
COMMENT_DEFAULT = ["timestamp", "text", "id"]
MAX_COMMENT = 2200


def _media(store: Store, media_id: str, token: Token) -> Media:
    media = store.media.get(media_id)
    if media is None or media.deleted or media.user_id != token.user_id:
        raise not_found(media_id)
    return media


def media_object(store: Store, req: Request, media: Media, names: list[str]) -> dict[str, Any]:
    user = store.users[media.user_id]
    comments = [c for c in store.comments.values() if c.media_id == media.id and not c.deleted]
    obj: dict[str, Any] = {
        "id": media.id, "caption": media.caption or None, "media_type": media.media_type,
        "media_product_type": media.product_type, "timestamp": fb_time(media.created_at),
        "username": user.username, "owner": {"id": user.id}, "shortcode": media.shortcode,
        "permalink": f"https://www.instagram.com/p/{media.shortcode}/",
        "media_url": f"{req.origin}/_cdn/media/{media.id}.jpg" if media.image else None,
        "alt_text": media.alt_text, "comments_count": len(comments), "like_count": 0,
        "is_comment_enabled": media.comments_enabled, "is_shared_to_feed": True,
    }
    if "children" in names and media.children:
        obj["children"] = {"data": [{"id": cid} for cid in media.children]}
    return pick(obj, names)


def list_media(store: Store, req: Request) -> Reply:
    token = authenticate(store, req)
    user_id = ig_user(store, req, token)
    need(store, token, "instagram_business_basic", what="Reading media")
    names = fields(req, "IGMedia", MEDIA_FIELDS, ["id"])
    since, until = _time(req, "since"), _time(req, "until")
    items = sorted((m for m in store.media.values() if m.user_id == user_id and not m.deleted
                    and m.parent_id is None and m.product_type != "STORY"
                    and since <= m.created_at <= until),
                   key=lambda m: (m.created_at, m.id), reverse=True)[:10000]
    return Reply(200, page_of(req, items, lambda m: m.id,
                              lambda m: media_object(store, req, m, names)))


def _time(req: Request, name: str) -> float:
    """`since` / `until` as a Unix time (time-based pagination); absent: no bound."""
    raw = req.params.get(name)
    if raw is None:
        return 0.0 if name == "since" else float("inf")
    try:
        return float(raw)
    except ValueError as exc:
        raise invalid(f"(#100) {name} must be a Unix timestamp", rule=f"{name}={raw!r}") \
            from exc


def stories(store: Store, req: Request) -> Reply:
    """GET /{ig-user-id}/stories: the stories of the last 24 hours (reference/ig-user/stories),
    newest first."""
    token = authenticate(store, req)
    user_id = ig_user(store, req, token)
    need(store, token, "instagram_business_basic", what="Reading stories")
    names = fields(req, "IGMedia", MEDIA_FIELDS, ["id"])
    since = time.time() - 86400
    items = sorted((m for m in store.media.values() if m.user_id == user_id and not m.deleted
                    and m.product_type == "STORY" and m.created_at > since),
                   key=lambda m: (m.created_at, m.id), reverse=True)
    return Reply(200, page_of(req, items, lambda m: m.id,
                              lambda m: media_object(store, req, m, names)))


def children(store: Store, req: Request) -> Reply:
    token = authenticate(store, req)
    media = _media(store, req.path.split("/")[1], token)
    names = fields(req, "IGMedia", MEDIA_FIELDS, ["id"])
    kids = [store.media[cid] for cid in media.children]
    return Reply(200, {"data": [media_object(store, req, k, names) for k in kids]})


def comment_object(store: Store, comment: Comment, names: list[str]) -> dict[str, Any]:
    obj: dict[str, Any] = {
        "id": comment.id, "text": comment.text, "timestamp": fb_time(comment.created_at),
        "username": comment.username, "like_count": 0, "hidden": comment.hidden,
        "from": {"id": comment.user_id or "0", "username": comment.username},
        "parent_id": comment.parent_id, "media": {"id": comment.media_id},
    }
    if "replies" in names:
        obj["replies"] = {"data": [{"id": r.id, "text": r.text, "timestamp":
                                    fb_time(r.created_at), "username": r.username}
                                   for r in _replies(store, comment.id)]}
    return pick(obj, names)


def _replies(store: Store, comment_id: str) -> list[Comment]:
    return sorted((c for c in store.comments.values()
                   if c.parent_id == comment_id and not c.deleted),
                  key=lambda c: (c.created_at, c.id))


def read_comments(store: Store, req: Request) -> Reply:
    token = authenticate(store, req)
    media = _media(store, req.path.split("/")[1], token)
    need(store, token, "instagram_business_basic", "instagram_business_manage_comments",
         what="Reading comments")
    names = fields(req, "IGComment", COMMENT_FIELDS, COMMENT_DEFAULT)
    items = sorted((c for c in store.comments.values() if c.media_id == media.id
                    and c.parent_id is None and not c.deleted),
                   key=lambda c: (c.created_at, c.id), reverse=True)
    return Reply(200, page_of(req, items, lambda c: c.id,
                              lambda c: comment_object(store, c, names)))


def _text(req: Request) -> str:
    text = req.params.get("message", "")
    if not text.strip():
        raise invalid("(#100) The parameter message is required", rule="a comment without "
                      "message")
    if len(text) > MAX_COMMENT:
        raise invalid("(#100) The comment is too long", rule=f"a comment of {len(text)} "
                      "characters")
    return text


def write_comment(store: Store, req: Request) -> Reply:
    token = authenticate(store, req)
    media = _media(store, req.path.split("/")[1], token)
    need(store, token, "instagram_business_basic", "instagram_business_manage_comments",
         what="Commenting")
    if not media.comments_enabled:
        raise GraphError(20, "(#20) Comments are turned off for this media")
    comment = add_comment(store, media, None, token.user_id, _text(req))
    return Reply(200, {"id": comment.id})


def add_comment(store: Store, media: Media, parent: Comment | None, user_id: str | None,
                text: str, username: str | None = None) -> Comment:
    name = username or (store.users[user_id].username if user_id else "someone")
    comment = Comment(store.new_id(), media.id, parent.id if parent else None, user_id,
                      name, text, time.time())
    store.comments[comment.id] = comment
    return comment


def _comment(store: Store, comment_id: str, token: Token) -> Comment:
    comment = store.comments.get(comment_id)
    if comment is None or comment.deleted:
        raise not_found(comment_id)
    if store.media[comment.media_id].user_id != token.user_id:
        raise not_found(comment_id)
    return comment


def replies(store: Store, req: Request) -> Reply:
    token = authenticate(store, req)
    comment = _comment(store, req.path.split("/")[1], token)
    need(store, token, "instagram_business_basic", "instagram_business_manage_comments",
         what="Reading replies")
    names = fields(req, "IGComment", COMMENT_FIELDS, COMMENT_DEFAULT)
    return Reply(200, {"data": [comment_object(store, c, names)
                                for c in _replies(store, comment.id)]})


def write_reply(store: Store, req: Request) -> Reply:
    token = authenticate(store, req)
    comment = _comment(store, req.path.split("/")[1], token)
    need(store, token, "instagram_business_basic", "instagram_business_manage_comments",
         what="Replying")
    if comment.parent_id is not None:
        raise invalid("(#100) Replies can only be made to top-level comments",
                      rule="a reply to a reply")
    reply = add_comment(store, store.media[comment.media_id], comment, token.user_id,
                        _text(req))
    return Reply(200, {"id": reply.id})


def read_node(store: Store, req: Request) -> Reply:
    token = authenticate(store, req)
    node_id = req.path.split("/")[1]
    if node_id == "me" or node_id in store.users or node_id in store.scoped:
        user_id = ig_user(store, req, token)
        user = store.users[user_id]
        obj = {"id": user.id, "user_id": user.id, "username": user.username,
               "name": user.name, "account_type": user.account_type}
        return Reply(200, pick(obj, fields(req, "User", set(obj), ["id"])))
    container = store.containers.get(node_id)
    if container is not None:
        return read_container(store, req, container, token)
    if node_id in store.comments:
        comment = _comment(store, node_id, token)
        return Reply(200, comment_object(store, comment, fields(
            req, "IGComment", COMMENT_FIELDS, COMMENT_DEFAULT)))
    media = _media(store, node_id, token)
    return Reply(200, media_object(store, req, media, fields(req, "IGMedia", MEDIA_FIELDS,
                                                             ["id"])))


def update_node(store: Store, req: Request) -> Reply:
    """POST /{ig-comment-id}?hide=true|false, POST /{ig-media-id}?comment_enabled=..."""
    token = authenticate(store, req)
    node_id = req.path.split("/")[1]
    need(store, token, "instagram_business_basic", "instagram_business_manage_comments",
         what="Updating")
    if node_id in store.comments:
        comment = _comment(store, node_id, token)
        comment.hidden = boolean(req, "hide", comment.hidden)
        return Reply(200, {"success": True})
    media = _media(store, node_id, token)
    media.comments_enabled = boolean(req, "comment_enabled", media.comments_enabled)
    return Reply(200, {"success": True})


def delete_node(store: Store, req: Request) -> Reply:
    token = authenticate(store, req)
    node_id = req.path.split("/")[1]
    if node_id in store.comments:
        need(store, token, "instagram_business_basic", "instagram_business_manage_comments",
             what="Deleting a comment")
        _comment(store, node_id, token).deleted = True
        return Reply(200, {"success": True})
    _media(store, node_id, token)
    raise GraphError(100, f"Unsupported delete request. Object with ID '{node_id}' does not "
                     "support this operation.", kind="GraphMethodException", subcode=33,
                     rule="DELETE of media: only the Instagram API with Facebook Login "
                          "documents it")


ROUTES = {
    ("GET", "/{ig-user-id}/media"): list_media,
    ("GET", "/{ig-user-id}/stories"): stories,
    ("GET", "/{ig-media-id}/children"): children,
    ("GET", "/{ig-media-id}/comments"): read_comments,
    ("POST", "/{ig-media-id}/comments"): write_comment,
    ("GET", "/{ig-comment-id}/replies"): replies,
    ("POST", "/{ig-comment-id}/replies"): write_reply,
    ("GET", "/{id}"): read_node,
    ("POST", "/{id}"): update_node,
    ("DELETE", "/{id}"): delete_node,
}
