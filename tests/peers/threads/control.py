"""The test-only control surface under /_standin/ (a path Threads does not use): seed people,
apps, grants and tokens, post or reply as someone else, age or expire tokens and containers,
use up quotas, arm faults, change settings, and read back what the stand-in stored, saw and
found against the rules. JSON in, JSON out (tests/peers/standin_control.py does the
plumbing)."""

from __future__ import annotations

import secrets
import time
from collections.abc import Callable
from typing import Any

from tests.peers.facebook.render import fb_time
from tests.peers.standin_control import (
    ControlError,
    apply_settings,
    arm_fault,
    clear_faults,
    drained,
    expire_now,
    health,
    lookup,
    need,
    reset,
)
from tests.peers.threads.oauth import token_dict
from tests.peers.threads.publish import CONTAINER_ERRORS
from tests.peers.threads.state import PERMISSIONS, Container, Fault, Grant, Post, Store

FAULT_KINDS = {"190", "4", "17", "32", "613", "24", "9", "10", "100", "1", "2",
               "500", "502", "503", "504", "drop", "drop_after", "hold", "hold_after",
               "timeout", "delay", "container_error"}
SETTINGS: dict[str, type | tuple[type, ...]] = {
    "code_seconds": (int, float), "short_token_seconds": (int, float),
    "long_token_seconds": (int, float), "refresh_min_age_seconds": (int, float),
    "container_seconds": (int, float), "in_progress_reads": int, "quota_posts": int,
    "quota_replies": int, "quota_deletes": int, "republish": str,
    "code_error_shape": str, "signed_in": (str, type(None)),
}
CHOICES = {"republish": {"error", "same_id"}, "code_error_shape": {"flat", "graph"}}


def post_dict(post: Post) -> dict[str, Any]:
    return {"id": post.id, "user_id": post.user_id, "media_type": post.media_type,
            "text": post.text, "timestamp": fb_time(post.created_at),
            "container_id": post.container_id, "children": list(post.children),
            "alt_text": post.alt_text, "link_attachment_url": post.link_attachment_url,
            "reply_to": post.reply_to, "root": post.root,
            "reply_audience": post.reply_audience, "topic_tag": post.topic_tag,
            "quoted_post": post.quoted_post, "reposted_post": post.reposted_post,
            "hidden": post.hidden, "deleted": post.deleted,
            "media_size": len(post.media), "mime_type": post.mime_type,
            "is_carousel_item": post.is_carousel_item, "app_id": post.app_id}


def container_dict(c: Container) -> dict[str, Any]:
    params = {k: v for k, v in c.params.items() if not k.startswith("_")}
    return {"id": c.id, "user_id": c.user_id, "media_type": c.media_type, "params": params,
            "children": list(c.children), "is_carousel_item": c.is_carousel_item,
            "status": c.status, "error_message": c.error_message,
            "reads_left": c.reads_left, "fetched_from": c.fetched_from,
            "fetch_error": c.fetch_error, "media_size": len(c.media),
            "mime_type": c.mime_type, "width": c.width, "height": c.height,
            "post_id": c.post_id, "created_at": c.created_at, "expires_at": c.expires_at}


def _user(store: Store, q: dict[str, str], b: dict[str, Any]) -> Any:
    (username,) = need(b, "username")
    if any(u.username == username for u in store.users.values()):
        raise ControlError(f"username {username} is taken")
    user = store.add_user(str(username), str(b.get("name") or username))
    user.biography = str(b.get("biography") or "")
    user.is_verified = bool(b.get("is_verified", False))
    return {"id": user.id, "username": user.username, "name": user.name}


def _app(store: Store, q: dict[str, str], b: dict[str, Any]) -> Any:
    (uris,) = need(b, "redirect_uris")
    app_id, secret = b.get("app_id"), b.get("app_secret")
    if app_id is not None and (not str(app_id).isdigit() or str(app_id) in store.apps):
        raise ControlError(f"app_id {app_id!r} is not a number or is taken")
    app = store.add_app([str(u) for u in uris], str(b.get("name") or "hubbub"),
                        None if app_id is None else str(app_id),
                        None if secret is None else str(secret))
    return {"app_id": app.id, "app_secret": app.secret}


def _token(store: Store, q: dict[str, str], b: dict[str, Any]) -> Any:
    user_id, app_id, scopes = need(b, "user_id", "app_id", "scopes")
    lookup(store.users, user_id, "user")
    lookup(store.apps, app_id, "app")
    unknown = [s for s in scopes if s not in PERMISSIONS]
    if unknown:
        raise ControlError(f"unknown permissions {unknown}")
    store.grants[(str(user_id), str(app_id))] = Grant(str(user_id), str(app_id),
                                                      sorted(set(scopes)))
    token = store.issue(str(app_id), str(user_id), long_lived=bool(b.get("long_lived", True)),
                        age=float(b.get("age_seconds", 0)))
    return token_dict(token)


def _someone_posts(store: Store, b: dict[str, Any]) -> Post:
    author, text = need(b, "from_id", "text")
    lookup(store.users, author, "user")
    parent = None
    if b.get("reply_to") is not None:
        parent = lookup(store.posts, b["reply_to"], "post")
        if parent.deleted:
            raise ControlError(f"post {parent.id} was deleted")
    post = Post(store.new_id(), str(author), "TEXT_POST", str(text), time.time(),
                secrets.token_urlsafe(8)[:11])
    if parent is not None:
        post.reply_to, post.root = parent.id, parent.root or parent.id
    if b.get("created_at") is not None:  # a test's chosen time (epoch seconds)
        post.created_at = float(b["created_at"])
    store.posts[post.id] = post
    return post


def _engage(store: Store, q: dict[str, str], b: dict[str, Any]) -> Any:
    (media_id,) = need(b, "media_id")
    post = lookup(store.posts, media_id, "post")
    for name in ("views", "likes", "reposts", "shares"):
        if name in b:
            post.counts[name] = int(b[name])
    return dict(post.counts)


def _expire_containers(store: Store, q: dict[str, str], b: dict[str, Any]) -> Any:
    past, count = time.time() - 1, 0
    for container in store.containers.values():
        if b.get("user_id") in (None, container.user_id) and container.status in {
                "FINISHED", "IN_PROGRESS"}:
            container.expires_at = past
            count += 1
    return {"expired": count}


def _age(store: Store, q: dict[str, str], b: dict[str, Any]) -> Any:
    (seconds,) = need(b, "seconds")
    count = 0
    for token in store.tokens.values():
        if token.kind == "user" and b.get("user_id") in (None, token.user_id):
            token.issued_at -= float(seconds)
            token.expires_at -= float(seconds)
            count += 1
    return {"aged": count}


def _invalidate(store: Store, q: dict[str, str], b: dict[str, Any]) -> Any:
    user_id, reason = need(b, "user_id", "reason")
    if reason not in {"deauthorized", "password", "logged_out"}:
        raise ControlError(f"reason {reason!r} is not deauthorized, password or logged_out")
    app_id = b.get("app_id")
    if reason == "deauthorized":
        grant = lookup({f"{k[0]}:{k[1]}": g for k, g in store.grants.items()},
                       f"{user_id}:{app_id}", "grant")
        grant.revoked = True
    count = 0
    for token in store.tokens.values():
        if token.user_id == user_id and app_id in (None, token.app_id):
            token.invalid_reason = reason
            count += 1
    return {"invalidated": count}


def _use_quota(store: Store, q: dict[str, str], b: dict[str, Any]) -> Any:
    user_id, kind, count = need(b, "user_id", "kind", "count")
    if kind not in {"posts", "replies", "deletes", "searches"}:
        raise ControlError("kind is posts, replies, deletes or searches")
    for _ in range(int(count)):
        store.used(str(user_id), str(kind), count=True)
    return {"used": store.used(str(user_id), str(kind))}


def _fault(store: Store, q: dict[str, str], b: dict[str, Any]) -> Any:
    if b.get("kind") == "container_error":
        message = (b.get("options") or {}).get("error_message", "UNKNOWN")
        if message not in CONTAINER_ERRORS:
            raise ControlError(f"error_message is one of {sorted(CONTAINER_ERRORS)}")
    return arm_fault(store, b, FAULT_KINDS, Fault,
                     lambda p: p.removeprefix("/v1.0") if p.startswith("/v1.0/") else p)


def _settings(store: Store, q: dict[str, str], b: dict[str, Any]) -> Any:
    def check(name: str, value: Any) -> None:
        if name in CHOICES and value not in CHOICES[name]:
            raise ControlError(f"{name} is one of {sorted(CHOICES[name])}")
        if name == "signed_in" and value is not None and value not in store.users:
            raise ControlError(f"no user {value}")
    return apply_settings(store, b, SETTINGS, check)


def _posts(store: Store, q: dict[str, str], b: dict[str, Any]) -> Any:
    posts = sorted(store.posts.values(), key=lambda p: (p.created_at, p.id), reverse=True)
    return [post_dict(p) for p in posts if q.get("user_id") in (None, p.user_id)]


def _containers(store: Store, q: dict[str, str], b: dict[str, Any]) -> Any:
    found = sorted(store.containers.values(), key=lambda c: (c.created_at, c.id))
    return [container_dict(c) for c in found if q.get("user_id") in (None, c.user_id)]


ACTIONS: dict[tuple[str, str], Callable[[Store, dict[str, str], dict[str, Any]], Any]] = {
    ("POST", "reset"): reset,
    ("GET", "health"): health,
    ("POST", "users"): _user,
    ("POST", "apps"): _app,
    ("POST", "tokens"): _token,
    ("POST", "posts"): lambda s, q, b: post_dict(_someone_posts(s, b)),
    ("GET", "posts"): _posts,
    ("POST", "engage"): _engage,
    ("GET", "containers"): _containers,
    ("POST", "expire_tokens"): lambda s, q, b: expire_now(
        s.tokens.values(), s.codes.values(),
        lambda t: t.kind == "user" and b.get("user_id") in (None, t.user_id)),
    ("POST", "age_tokens"): _age,
    ("POST", "expire_containers"): _expire_containers,
    ("POST", "invalidate"): _invalidate,
    ("POST", "use_quota"): _use_quota,
    ("POST", "faults"): _fault,
    ("DELETE", "faults"): clear_faults,
    ("POST", "settings"): _settings,
    ("GET", "protocol_errors"): lambda s, q, b: drained(s.protocol, q),
    ("GET", "requests"): lambda s, q, b: list(s.seen),
    ("GET", "windows"): lambda s, q, b: list(s.windows),
}
