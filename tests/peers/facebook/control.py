"""The test-only control surface under /_standin/ (a path Facebook does not use): seed people,
Pages, apps, grants and tokens, comment as someone, arm faults, change lifetimes and budgets,
and read back what the stand-in stored, saw and found against the rules. JSON in, JSON out."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from tests.peers.facebook.pages import add_comment
from tests.peers.facebook.render import fb_time
from tests.peers.facebook.state import PERMISSIONS, TASKS, Comment, Fault, Grant, Post, Store
from tests.peers.standin_control import (
    ControlError,
    apply_settings,
    arm_fault,
    clear_faults,
    drained,
    expire_now,
    health,
    need,
    reset,
)

FAULT_KINDS = {"190", "4", "17", "32", "613", "368", "200", "10", "100", "506", "1", "2",
               "500", "502", "503", "504", "drop", "drop_after", "hold", "hold_after",
               "timeout", "delay"}
SETTINGS: dict[str, type | tuple[type, ...]] = {
    "short_token_seconds": (int, float), "long_token_seconds": (int, float),
    "code_seconds": (int, float), "app_calls_per_hour": int, "page_calls_per_day": int,
    "usage_header_from": int, "code_gives_long_lived": bool,
    "duplicate_seconds": (int, float), "signed_in": (str, type(None)),
    "app_token_prefix": str,
}


def post_dict(store: Store, post: Post) -> dict[str, Any]:
    return {"id": post.id, "page_id": post.page_id, "message": post.message,
            "link": post.link, "photo_ids": list(post.photo_ids), "app_id": post.app_id,
            "published": post.published, "deleted": post.deleted,
            "created_time": fb_time(post.created_at)}


def comment_dict(comment: Comment) -> dict[str, Any]:
    return {"id": comment.id, "parent_id": comment.parent_id, "post_id": comment.post_id,
            "from_id": comment.author_id, "message": comment.message,
            "deleted": comment.deleted, "created_time": fb_time(comment.created_at)}


def _user(store: Store, q: dict[str, str], b: dict[str, Any]) -> Any:
    (name,) = need(b, "name")
    user = store.add_user(str(name))
    return {"id": user.id, "name": user.name}


def _page(store: Store, q: dict[str, str], b: dict[str, Any]) -> Any:
    name, admins = need(b, "name", "admins")
    tasks = list(b.get("tasks") or ["ADVERTISE", "ANALYZE", "CREATE_CONTENT", "MESSAGING",
                                    "MODERATE", "MANAGE"])
    if any(t not in TASKS for t in tasks):
        raise ControlError(f"tasks are among {TASKS}")
    for uid in admins:
        if uid not in store.users:
            raise ControlError(f"no user {uid}")
    page = store.add_page(str(name), {str(u): list(tasks) for u in admins},
                          str(b.get("category") or "Community"))
    return {"id": page.id, "name": page.name, "category": page.category}


def _app(store: Store, q: dict[str, str], b: dict[str, Any]) -> Any:
    (uris,) = need(b, "redirect_uris")
    app_id, secret = b.get("app_id"), b.get("app_secret")
    if app_id is not None and (not str(app_id).isdigit() or str(app_id) in store.apps):
        raise ControlError(f"app_id {app_id!r} is not a number or is taken")
    if secret is not None and (not isinstance(secret, str) or not secret):
        raise ControlError("app_secret must be a non-empty string")
    app = store.add_app([str(u) for u in uris], str(b.get("name") or "hubbub"),
                        None if app_id is None else str(app_id), secret)
    return {"app_id": app.id, "app_secret": app.secret}


def _token(store: Store, q: dict[str, str], b: dict[str, Any]) -> Any:
    user_id, app_id, scopes = need(b, "user_id", "app_id", "scopes")
    if user_id not in store.users or app_id not in store.apps:
        raise ControlError("no such user or app")
    unknown = [s for s in scopes if s not in PERMISSIONS]
    if unknown:
        raise ControlError(f"unknown permissions {unknown}")
    pages = b.get("pages")
    page_ids = [p for p in (pages if pages is not None else
                            [p.id for p in store.pages.values() if user_id in p.roles])
                if p in store.pages and user_id in store.pages[p].roles]
    store.grants[(user_id, app_id)] = Grant(user_id, app_id,
                                            sorted(set(scopes) | {"public_profile"}), page_ids)
    long_lived = bool(b.get("long_lived", True))
    seconds = store.long_token_seconds if long_lived else store.short_token_seconds
    token = store.issue("user", app_id, user_id, None, seconds, long_lived)
    return {"access_token": token.value, "expires_in": int(seconds)}


def _page_token(store: Store, q: dict[str, str], b: dict[str, Any]) -> Any:
    user_token, page_id = need(b, "user_token", "page_id")
    token = store.tokens.get(user_token)
    if token is None or token.kind != "user" or page_id not in store.pages:
        raise ControlError("no such user token or page")
    seconds = 0.0 if token.long_lived else max(1.0, token.expires_at - time.time())
    return {"access_token": store.issue("page", token.app_id, token.user_id, page_id,
                                        seconds, token.long_lived).value}


def _comment(store: Store, q: dict[str, str], b: dict[str, Any]) -> Any:
    author, object_id, message = need(b, "from_id", "object_id", "message")
    if author not in store.users and author not in store.pages:
        raise ControlError(f"no user or page {author}")
    parent: Post | Comment | None = store.posts.get(object_id) or store.comments.get(object_id)
    if parent is None:
        raise ControlError(f"no post or comment {object_id}")
    post = parent if isinstance(parent, Post) else store.posts[parent.post_id]
    comment = add_comment(store, parent, post, str(author), str(message))
    if b.get("created_at") is not None:  # a test's chosen time (epoch seconds)
        comment.created_at = float(b["created_at"])
    return comment_dict(comment)


def _like(store: Store, q: dict[str, str], b: dict[str, Any]) -> Any:
    who, object_id = need(b, "from_id", "object_id")
    if who not in store.users and who not in store.pages:
        raise ControlError(f"no user or page {who}")
    if not any(object_id in t for t in (store.posts, store.comments, store.photos,
                                         store.pages)):
        raise ControlError(f"no object {object_id}")
    store.likes.setdefault(str(object_id), {})[str(who)] = time.time()
    return {"likes": len(store.likes[str(object_id)])}


def _posts(store: Store, q: dict[str, str], b: dict[str, Any]) -> Any:
    posts = sorted(store.posts.values(), key=lambda p: (p.created_at, p.id), reverse=True)
    return [post_dict(store, p) for p in posts if q.get("page_id") in (None, p.page_id)]


def _photos(store: Store, q: dict[str, str], b: dict[str, Any]) -> Any:
    return [{"id": p.id, "page_id": p.page_id, "source": p.source, "size": p.size,
             "caption": p.caption, "published": p.published, "post_id": p.post_id,
             "width": p.width, "height": p.height, "alt_text_custom": p.alt_text_custom}
            for p in sorted(store.photos.values(), key=lambda p: p.created_at, reverse=True)
            if q.get("page_id") in (None, p.page_id)]


def _comments(store: Store, q: dict[str, str], b: dict[str, Any]) -> Any:
    items = sorted(store.comments.values(), key=lambda c: (c.created_at, c.id))
    return [comment_dict(c) for c in items if q.get("post_id") in (None, c.post_id)]


def _unversioned(path: str) -> str:
    """/v26.0/me/accounts -> /me/accounts: faults match with or without the version."""
    clean = "/" + path.lstrip("/")
    parts = clean.split("/", 2)
    if len(parts) > 1 and parts[1][:1] == "v" and parts[1][1:].replace(".", "").isdigit():
        clean = "/" + (parts[2] if len(parts) > 2 else "")
    return clean


def _fault(store: Store, q: dict[str, str], b: dict[str, Any]) -> Any:
    return arm_fault(store, b, FAULT_KINDS, Fault, _unversioned)


def _settings(store: Store, q: dict[str, str], b: dict[str, Any]) -> Any:
    return apply_settings(store, b, SETTINGS)


def _expire(store: Store, q: dict[str, str], b: dict[str, Any]) -> Any:
    """Tokens that can expire (not long-lived Page tokens or app tokens) expire now."""
    return expire_now(store.tokens.values(), store.codes.values(), lambda t: bool(
        t.expires_at and b.get("user_id") in (None, t.user_id)))


def _invalidate(store: Store, q: dict[str, str], b: dict[str, Any]) -> Any:
    """The person changes their password (460), logs out (467), or removes the app (458)."""
    user_id, reason = need(b, "user_id", "reason")
    if reason not in {"password", "logged_out", "deauthorized"}:
        raise ControlError("reason is password, logged_out or deauthorized")
    count = 0
    for token in store.tokens.values():
        if token.user_id == user_id and b.get("app_id") in (None, token.app_id):
            token.invalid_reason = reason
            count += 1
    if reason == "deauthorized":
        grant = store.grants.get((user_id, b.get("app_id") or ""))
        if grant is not None:
            grant.revoked = True
    return {"invalidated": count}


def _block(store: Store, q: dict[str, str], b: dict[str, Any]) -> Any:
    (page_id, value) = need(b, "page_id", "blocked")
    store.pages[str(page_id)].blocked = bool(value)
    return {"blocked": bool(value)}


ACTIONS: dict[tuple[str, str], Callable[[Store, dict[str, str], dict[str, Any]], Any]] = {
    ("POST", "reset"): reset,
    ("POST", "users"): _user,
    ("POST", "pages"): _page,
    ("POST", "apps"): _app,
    ("POST", "tokens"): _token,
    ("POST", "page_tokens"): _page_token,
    ("POST", "comments"): _comment,
    ("POST", "likes"): _like,
    ("GET", "posts"): _posts,
    ("GET", "photos"): _photos,
    ("GET", "comments"): _comments,
    ("POST", "faults"): _fault,
    ("DELETE", "faults"): clear_faults,
    ("POST", "settings"): _settings,
    ("POST", "expire_tokens"): _expire,
    ("POST", "invalidate"): _invalidate,
    ("POST", "block"): _block,
    ("GET", "protocol_errors"): lambda s, q, b: drained(s.protocol, q),
    ("GET", "requests"): lambda s, q, b: list(s.seen),
    ("GET", "dialogs"): lambda s, q, b: list(s.dialogs),
    ("GET", "health"): health,
}

