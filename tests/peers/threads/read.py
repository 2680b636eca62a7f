"""Reading on graph.threads.net: the profile (/me), a user's own posts (/{user}/threads) and
replies (/{user}/replies), mentions (/{user}/mentions), one media object (/{media-id}), a
post's replies (/{media-id}/replies), conversation (/{media-id}/conversation) and insights
(/{media-id}/insights), keyword search (/keyword_search), hiding a reply
(POST /{reply-id}/manage_reply) and deleting a post (DELETE /{media-id}).

Sources: retrieve-and-discover-posts/retrieve-posts and reference/user (the fields, "You may
only fetch ... threads created by the app-scoped user", since/until as UNIX times not before
1688540400, limit, before/after cursors), retrieve-and-manage-replies/replies-and-conversations
and reference/reply-management (top-level replies vs the flattened conversation, `reverse`
default true, root_post, replied_to, is_reply, hide_status; threads_read_replies to read),
keyword-search (q, search_type TOP/RECENT, search_mode KEYWORD/TAG, media_type, 2,200
queries a day, empty results not counted, own posts only without threads_keyword_search),
reply-management ("Hide Replies": `hide=true|false` -> `{"success": true}`,
threads_manage_replies), insights ("Media Insights": views, likes, replies, reposts, quotes,
shares; threads_manage_insights), threads profiles (id, username, name,
threads_profile_picture_url, threads_biography), mentions (threads_manage_mentions),
posts/delete-posts (threads_delete, `{"success": true, "deleted_id"}`, 100 deletes a day).
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Callable
from typing import Any

from tests.peers.facebook.render import boolean, fb_time, page_of
from tests.peers.facebook.wire import Reply, Request
from tests.peers.threads.access import (
    authenticate,
    fields_of,
    me_or,
    quota_error,
    th_invalid,
    unsupported,
)
from tests.peers.threads.publish import read_container
from tests.peers.threads.state import Post, Store, Token

FIRST_TIME = 1688540400  # reference/user: since/until not before this
PROFILE_FIELDS = {"id", "username", "name", "threads_profile_picture_url",
                  "threads_biography", "is_verified"}
MEDIA_FIELDS = {
    "id", "media_product_type", "media_type", "media_url", "permalink", "owner", "username",
    "text", "timestamp", "shortcode", "thumbnail_url", "children", "is_quote_post",
    "alt_text", "link_attachment_url", "has_replies", "reply_audience", "quoted_post",
    "reposted_post", "gif_url", "is_spoiler_media", "text_entities", "text_attachment",
    "is_verified", "profile_picture_url", "topic_tag", "root_post", "replied_to", "is_reply",
    "is_reply_owned_by_me", "hide_status",
}


def profile(store: Store, req: Request) -> Reply:
    token = authenticate(store, req)
    user = store.users[me_or(req, token, req.path.split("/")[1])]
    names = fields_of(req, PROFILE_FIELDS, ["id"])
    obj = {"id": user.id, "username": user.username, "name": user.name,
           "threads_profile_picture_url": f"{req.origin}/_cdn/profile/{user.id}.png",
           "threads_biography": user.biography, "is_verified": user.is_verified}
    return Reply(200, {n: obj[n] for n in ["id", *names] if n in obj})


def media_object(store: Store, req: Request, post: Post, token: Token,
                 names: list[str]) -> dict[str, Any]:
    author = store.users[post.user_id]
    mine = post.user_id == token.user_id
    obj: dict[str, Any] = {
        "id": post.id, "media_product_type": "THREADS", "media_type": post.media_type,
        "permalink": f"https://www.threads.net/@{author.username}/post/{post.shortcode}",
        "username": author.username, "text": post.text or None,
        "timestamp": fb_time(post.created_at), "shortcode": post.shortcode,
        "is_quote_post": post.quoted_post is not None, "alt_text": post.alt_text,
        "link_attachment_url": post.link_attachment_url,
        "has_replies": any(r.reply_to == post.id and not r.deleted
                           for r in store.posts.values()),
        "reply_audience": post.reply_audience, "topic_tag": post.topic_tag,
        "is_verified": author.is_verified, "is_reply": post.reply_to is not None,
        "profile_picture_url": f"{req.origin}/_cdn/profile/{author.id}.png",
    }
    if post.media:
        obj["media_url"] = f"{req.origin}/_cdn/media/{post.id}"
        if post.media_type == "VIDEO":
            obj["thumbnail_url"] = obj["media_url"]
    if post.children:
        obj["children"] = {"data": [{"id": c} for c in post.children]}
    if post.quoted_post:
        obj["quoted_post"] = {"id": post.quoted_post}
    if post.reposted_post:
        obj["reposted_post"] = {"id": post.reposted_post}
    if post.reply_to is None and mine:
        obj["owner"] = {"id": post.user_id}  # "only available on top-level posts that you own"
    if post.reply_to is not None:
        obj["root_post"] = {"id": post.root}
        obj["replied_to"] = {"id": post.reply_to}
        obj["is_reply_owned_by_me"] = mine
        obj["hide_status"] = "HIDDEN" if post.hidden else "NOT_HUSHED"
    return {n: obj[n] for n in ["id", *names] if obj.get(n) is not None}


def _window(req: Request, posts: list[Post]) -> list[Post]:
    """since/until (UNIX times) as reference/user describes them."""
    bounds: dict[str, int] = {}
    for name in ("since", "until"):
        raw = req.params.get(name)
        if raw is None:
            continue
        if not raw.isdigit() or int(raw) < FIRST_TIME or int(raw) > time.time() + 60:
            raise th_invalid(f"Param {name} must be a UNIX time from {FIRST_TIME} to now",
                             rule=f"{name}={raw!r}")
        bounds[name] = int(raw)
    if "since" in bounds and "until" in bounds and bounds["since"] >= bounds["until"]:
        raise th_invalid("since must be before until", rule="since >= until")
    return [p for p in posts if bounds.get("since", 0) <= p.created_at
            <= bounds.get("until", 2**40)]


def _list(store: Store, req: Request, token: Token, posts: list[Post]) -> Reply:
    if "before" in req.params and "after" in req.params:
        raise th_invalid("Both before and after cannot be passed at the same time",
                         rule="before and after together")
    names = fields_of(req, MEDIA_FIELDS, ["id"])
    ordered = sorted(_window(req, posts), key=lambda p: (p.created_at, p.id), reverse=True)
    return Reply(200, page_of(req, ordered, lambda p: p.id,
                              lambda p: media_object(store, req, p, token, names)))


def _live_posts(store: Store, keep: Callable[[Post], bool]) -> list[Post]:
    return [p for p in store.posts.values() if not p.deleted and not p.is_carousel_item
            and keep(p)]


def user_threads(store: Store, req: Request) -> Reply:
    """GET /{threads-user-id}/threads: the app-scoped user's own top-level posts."""
    token = authenticate(store, req)
    user_id = me_or(req, token, req.path.split("/")[1])
    return _list(store, req, token, _live_posts(
        store, lambda p: p.user_id == user_id and p.reply_to is None))


def user_replies(store: Store, req: Request) -> Reply:
    token = authenticate(store, req, "threads_read_replies")
    user_id = me_or(req, token, req.path.split("/")[1])
    return _list(store, req, token, _live_posts(
        store, lambda p: p.user_id == user_id and p.reply_to is not None))


def mentions(store: Store, req: Request) -> Reply:
    token = authenticate(store, req, "threads_manage_mentions")
    user = store.users[me_or(req, token, req.path.split("/")[1])]
    handle = "@" + user.username.lower()
    return _list(store, req, token, _live_posts(
        store, lambda p: p.user_id != user.id and handle in p.text.lower()))


def _post(store: Store, object_id: str) -> Post:
    post = store.posts.get(object_id)
    if post is None or post.deleted:
        raise unsupported(object_id)
    return post


def node(store: Store, req: Request) -> Reply:
    """GET /{id}: a media container (status) or a media object; `me`/a user id is the
    profile."""
    object_id = req.path.split("/")[1]
    container = store.containers.get(object_id)
    if container is not None:
        return read_container(store, req, container)
    if object_id == "me" or object_id in store.users:
        return profile(store, req)
    token = authenticate(store, req)
    post = _post(store, object_id)
    if "status" in (req.params.get("fields") or ""):
        raise th_invalid("Tried accessing nonexisting field (status)",
                         rule="status asked of a published post, not its container")
    names = fields_of(req, MEDIA_FIELDS, ["id"])
    return Reply(200, media_object(store, req, post, token, names))


def _thread_of(store: Store, post: Post) -> list[Post]:
    """Every live reply below `post`, at any depth."""
    below, frontier = [], [post.id]
    while frontier:
        kids = [p for p in store.posts.values() if p.reply_to in frontier and not p.deleted]
        below += kids
        frontier = [k.id for k in kids]
    return below


def replies(store: Store, req: Request) -> Reply:
    """GET /{id}/replies: a user's replies when {id} is `me` or a user, else a post's
    top-level replies."""
    object_id = req.path.split("/")[1]
    if object_id == "me" or object_id in store.users:
        return user_replies(store, req)
    return _tree(store, req, top_only=True)


def conversation(store: Store, req: Request) -> Reply:
    return _tree(store, req, top_only=False)


def _tree(store: Store, req: Request, *, top_only: bool) -> Reply:
    token = authenticate(store, req, "threads_read_replies")
    post = _post(store, req.path.split("/")[1])
    found = _thread_of(store, post)
    if top_only:
        found = [p for p in found if p.reply_to == post.id]
    names = fields_of(req, MEDIA_FIELDS, ["id"])
    newest_first = boolean(req, "reverse", True)
    found.sort(key=lambda p: (p.created_at, p.id), reverse=newest_first)
    return Reply(200, page_of(req, found, lambda p: p.id,
                              lambda p: media_object(store, req, p, token, names)))


def manage_reply(store: Store, req: Request) -> Reply:
    """POST /{reply-id}/manage_reply hide=true|false, on a top-level reply to your post."""
    token = authenticate(store, req, "threads_manage_replies")
    reply = _post(store, req.path.split("/")[1])
    parent = store.posts.get(reply.reply_to or "")
    if parent is None or parent.reply_to is not None or parent.user_id != token.user_id:
        raise th_invalid("Only top-level replies to your own posts can be hidden",
                         rule="manage_reply on something not a top-level reply to you")
    if "hide" not in req.params:
        raise th_invalid("Param hide is required", rule="manage_reply without hide")
    reply.hidden = boolean(req, "hide", False)
    return Reply(200, {"success": True})


METRICS = {"views": "Views", "likes": "Likes", "replies": "Replies", "reposts": "Reposts",
           "quotes": "Quotes", "shares": "Shares"}


def insights(store: Store, req: Request) -> Reply:
    """GET /{threads-media-id}/insights?metric=views,likes,...: the caller's own post's
    lifetime counts. `replies` is every reply below a root post, direct replies only for a
    reply; `quotes` counts posts quoting it; the rest are what the control surface set."""
    token = authenticate(store, req, "threads_manage_insights")
    post = _post(store, req.path.split("/")[1])
    if post.user_id != token.user_id:
        raise unsupported(post.id, rule="insights of another user's post")
    asked = [m.strip() for m in (req.params.get("metric") or "").split(",") if m.strip()]
    unknown = [m for m in asked if m not in METRICS]
    if not asked or unknown:
        raise th_invalid(f"Param metric must be a list of {', '.join(METRICS)}",
                         rule=f"insights metric={req.params.get('metric')!r}")
    if post.media_type == "REPOST_FACADE":  # "An empty array will be returned"
        return Reply(200, {"data": []})
    below = _thread_of(store, post)
    counts = dict(post.counts)
    counts["replies"] = len(below if post.reply_to is None else
                            [p for p in below if p.reply_to == post.id])
    counts["quotes"] = sum(1 for p in store.posts.values()
                           if p.quoted_post == post.id and not p.deleted)
    return Reply(200, {"data": [{
        "name": m, "period": "lifetime", "values": [{"value": counts.get(m, 0)}],
        "title": METRICS[m], "description": f"The number of {m} of your post.",
        "id": f"{post.id}/insights/{m}/lifetime"} for m in asked]})


def repost(store: Store, req: Request) -> Reply:
    """POST /{threads-media-id}/repost -> {"id": repost id}: a REPOST_FACADE of the caller's
    that lists with their threads. Reposting a post twice answers the first repost's id."""
    token = authenticate(store, req, "threads_content_publish")
    original = _post(store, req.path.split("/")[1])
    if original.media_type == "REPOST_FACADE":
        raise th_invalid("A repost cannot be reposted", rule="repost of a repost")
    for post in store.posts.values():
        if post.reposted_post == original.id and post.user_id == token.user_id and \
                not post.deleted:
            return Reply(200, {"id": post.id})
    made = Post(store.new_id(), token.user_id or "", "REPOST_FACADE", "", time.time(),
                secrets.token_urlsafe(8)[:11], reposted_post=original.id,
                app_id=token.app_id)
    store.posts[made.id] = made
    original.counts["reposts"] = original.counts.get("reposts", 0) + 1
    return Reply(200, {"id": made.id})


SEARCH_LIMIT = 2200  # keyword-search: "a maximum of 2,200 queries within a rolling 24-hour period"


def keyword_search(store: Store, req: Request) -> Reply:
    """GET /keyword_search?q&search_type=TOP|RECENT&search_mode=KEYWORD|TAG&media_type:
    public posts whose text holds every word of `q` (KEYWORD) or whose topic tag is `q` (TAG).
    Without threads_keyword_search only the caller's own posts are searched."""
    token = authenticate(store, req)
    grant = store.grants[(token.user_id or "", token.app_id)]
    query = (req.params.get("q") or "").strip().lower()
    if not query:
        raise th_invalid("Param q is required", rule="keyword_search without q")
    search_type = req.params.get("search_type", "TOP")
    mode = req.params.get("search_mode", "KEYWORD")
    media = req.params.get("media_type")
    if search_type not in {"TOP", "RECENT"} or mode not in {"KEYWORD", "TAG"} or \
            media not in {None, "TEXT", "IMAGE", "VIDEO"}:
        raise th_invalid("search_type is TOP or RECENT, search_mode KEYWORD or TAG, "
                         "media_type TEXT, IMAGE or VIDEO",
                         rule=f"keyword_search {search_type}/{mode}/{media}")
    if store.used(token.user_id or "", "searches") >= SEARCH_LIMIT:
        raise quota_error("searches")
    everyone = "threads_keyword_search" in grant.scopes
    kinds = {None: None, "TEXT": "TEXT_POST", "IMAGE": "IMAGE", "VIDEO": "VIDEO"}

    def hit(p: Post) -> bool:
        if not everyone and p.user_id != token.user_id:
            return False
        if kinds[media] is not None and p.media_type != kinds[media]:
            return False
        if mode == "TAG":
            return (p.topic_tag or "").lower() == query.lstrip("#")
        return all(word in p.text.lower() for word in query.split())

    found = _window(req, _live_posts(store, hit))
    if found:  # "Queries which return no results do not count against this limit"
        store.used(token.user_id or "", "searches", count=True)
    names = fields_of(req, MEDIA_FIELDS, ["id"])
    if search_type == "TOP":
        found.sort(key=lambda p: (len(_thread_of(store, p)), p.created_at, p.id),
                   reverse=True)
    else:
        found.sort(key=lambda p: (p.created_at, p.id), reverse=True)
    return Reply(200, page_of(req, found, lambda p: p.id,
                              lambda p: media_object(store, req, p, token, names)))


def delete(store: Store, req: Request) -> Reply:
    token = authenticate(store, req, "threads_delete")
    post = _post(store, req.path.split("/")[1])
    if post.user_id != token.user_id:
        raise unsupported(post.id, rule="DELETE of another user's post")
    if store.used(post.user_id, "deletes") >= store.quota_deletes:
        raise quota_error("deletes")
    post.deleted = True
    store.used(post.user_id, "deletes", count=True)
    return Reply(200, {"success": True, "deleted_id": post.id})
