"""The Instagram stand-in's control surface (/_standin/...): seed accounts, apps and tokens,
add comments from other people, read back what was published, arm faults, change settings,
expire tokens and containers, and play the person who removes the app (with the
deauthorize callback Meta sends: a `signed_request` POSTed to the app's Deauthorize Callback
URL, signed as docs/facebook-login/guides/advanced/... "Parse the Signed Request" describes:
base64url(HMAC-SHA256(payload, app secret)) "." base64url(payload JSON))."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from collections.abc import Callable
from typing import Any

from tests.peers.facebook.render import fb_time
from tests.peers.instagram.reading import add_comment
from tests.peers.instagram.state import PERMISSIONS, Comment, Container, Fault, Grant, Media, Store
from tests.peers.instagram.wire import IG_ERRORS
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

FAULT_KINDS = {"190", "4", "17", "32", "613", "80002", "1", "2", "10", "100", "500", "502",
               "503", "504", "drop", "drop_after", "hold", "hold_after", "timeout", "delay",
               *(str(s) for s in IG_ERRORS)}
SETTINGS: dict[str, type | tuple[type, ...]] = {
    "short_token_seconds": (int, float), "long_token_seconds": (int, float),
    "code_seconds": (int, float), "refresh_after_seconds": (int, float),
    "container_seconds": (int, float), "containers_per_day": int, "publish_quota": int,
    "in_progress_reads": int, "fetch_timeout_seconds": (int, float), "calls_per_day": int,
    "usage_header_from": int, "code_answer": str, "me_answer": str, "republish": str,
    "image_errors": str, "signed_in": (str, type(None)),
}
CHOICES = {"code_answer": {"data", "flat"}, "me_answer": {"data", "flat"},
           "republish": {"error", "same"}, "image_errors": {"status", "sync"}}


def media_dict(media: Media) -> dict[str, Any]:
    return {"id": media.id, "user_id": media.user_id, "app_id": media.app_id,
            "container_id": media.container_id, "media_type": media.media_type,
            "media_product_type": media.product_type, "caption": media.caption,
            "alt_text": media.alt_text, "children": list(media.children),
            "parent_id": media.parent_id, "size": len(media.image),
            "deleted": media.deleted, "timestamp": fb_time(media.created_at)}


def container_dict(c: Container) -> dict[str, Any]:
    return {"id": c.id, "user_id": c.user_id, "kind": c.kind, "caption": c.caption,
            "image_url": c.image_url, "alt_text": c.alt_text,
            "is_carousel_item": c.is_carousel_item, "children": list(c.children),
            "width": c.width, "height": c.height, "size": len(c.image), "error": c.error,
            "published_id": c.published_id, "expires_at": c.expires_at,
            "video_url": c.video_url, "video_size": c.video_size}


def comment_dict(c: Comment) -> dict[str, Any]:
    return {"id": c.id, "media_id": c.media_id, "parent_id": c.parent_id,
            "user_id": c.user_id, "username": c.username, "text": c.text,
            "hidden": c.hidden, "deleted": c.deleted, "timestamp": fb_time(c.created_at)}


def _user(store: Store, q: dict[str, str], b: dict[str, Any]) -> Any:
    (username,) = need(b, "username")
    kind = str(b.get("account_type") or "BUSINESS")
    if kind not in {"BUSINESS", "MEDIA_CREATOR", "PERSONAL"}:
        raise ControlError("account_type is BUSINESS, MEDIA_CREATOR or PERSONAL")
    user = store.add_user(str(username), str(b.get("name") or username), kind)
    return {"id": user.id, "username": user.username, "name": user.name,
            "account_type": user.account_type}


def _app(store: Store, q: dict[str, str], b: dict[str, Any]) -> Any:
    (uris,) = need(b, "redirect_uris")
    app_id, secret = b.get("app_id"), b.get("app_secret")
    if app_id is not None and (not str(app_id).isdigit() or str(app_id) in store.apps):
        raise ControlError(f"app_id {app_id!r} is not a number or is taken")
    if secret is not None and (not isinstance(secret, str) or not secret):
        raise ControlError("app_secret must be a non-empty string")
    app = store.add_app([str(u) for u in uris], str(b.get("name") or "hubbub"),
                        None if app_id is None else str(app_id), secret,
                        b.get("deauthorize_url"))
    return {"app_id": app.id, "app_secret": app.secret}


def _token(store: Store, q: dict[str, str], b: dict[str, Any]) -> Any:
    user_id, app_id, scopes = need(b, "user_id", "app_id", "scopes")
    if user_id not in store.users or app_id not in store.apps:
        raise ControlError("no such user or app")
    unknown = [s for s in scopes if s not in PERMISSIONS]
    if unknown:
        raise ControlError(f"unknown permissions {unknown}")
    store.grants[(user_id, app_id)] = Grant(user_id, app_id, sorted(set(scopes)))
    token = store.issue(app_id, user_id, bool(b.get("long_lived", True)))
    age = float(b.get("age_seconds") or 0)
    token.issued_at -= age
    token.expires_at -= age
    return {"access_token": token.value, "expires_in": int(token.expires_at - time.time()),
            "user_id": store.scoped_id(store.users[user_id], app_id)}


def _comment(store: Store, q: dict[str, str], b: dict[str, Any]) -> Any:
    media_id, text = need(b, "media_id", "text")
    media = store.media.get(str(media_id))
    if media is None:
        raise ControlError(f"no media {media_id}")
    parent = store.comments.get(str(b.get("parent_id") or ""))
    if b.get("parent_id") and (parent is None or parent.media_id != media.id):
        raise ControlError(f"no comment {b.get('parent_id')} on media {media_id}")
    user_id = b.get("user_id")
    if user_id is not None and user_id not in store.users:
        raise ControlError(f"no user {user_id}")
    comment = add_comment(store, media, parent, user_id, str(text),
                          b.get("username") or (None if user_id else "a_follower"))
    if b.get("created_at") is not None:  # a test's chosen time (epoch seconds)
        comment.created_at = float(b["created_at"])
    return comment_dict(comment)


def _media(store: Store, q: dict[str, str], b: dict[str, Any]) -> Any:
    items = sorted(store.media.values(), key=lambda m: (m.created_at, m.id), reverse=True)
    return [media_dict(m) for m in items if q.get("user_id") in (None, m.user_id)]


def _containers(store: Store, q: dict[str, str], b: dict[str, Any]) -> Any:
    items = sorted(store.containers.values(), key=lambda c: (c.created_at, c.id))
    return [container_dict(c) for c in items if q.get("user_id") in (None, c.user_id)]


def _comments(store: Store, q: dict[str, str], b: dict[str, Any]) -> Any:
    items = sorted(store.comments.values(), key=lambda c: (c.created_at, c.id))
    return [comment_dict(c) for c in items if q.get("media_id") in (None, c.media_id)]


def _fault(store: Store, q: dict[str, str], b: dict[str, Any]) -> Any:
    def unversioned(path: str) -> str:
        clean = "/" + path.lstrip("/")
        parts = clean.split("/", 2)
        if len(parts) > 1 and parts[1][:1] == "v" and parts[1][1:].replace(".", "").isdigit():
            clean = "/" + (parts[2] if len(parts) > 2 else "")
        return clean
    return arm_fault(store, b, FAULT_KINDS, Fault, unversioned)


def _settings(store: Store, q: dict[str, str], b: dict[str, Any]) -> Any:
    def check(name: str, value: Any) -> None:
        if name in CHOICES and value not in CHOICES[name]:
            raise ControlError(f"{name} is one of {sorted(CHOICES[name])}")
    return apply_settings(store, b, SETTINGS, check)


def _expire(store: Store, q: dict[str, str], b: dict[str, Any]) -> Any:
    return expire_now(store.tokens.values(), store.codes.values(),
                      lambda t: b.get("user_id") in (None, t.user_id))


def _expire_containers(store: Store, q: dict[str, str], b: dict[str, Any]) -> Any:
    past, count = time.time() - 1, 0
    for container in store.containers.values():
        if container.published_id is None and b.get("user_id") in (None, container.user_id):
            container.expires_at = past
            count += 1
    return {"expired": count}


def _invalidate(store: Store, q: dict[str, str], b: dict[str, Any]) -> Any:
    """The person changes their password: every token of theirs answers 190/460."""
    (user_id,) = need(b, "user_id")
    count = 0
    for token in store.tokens.values():
        if token.user_id == user_id:
            token.invalid_reason = "password"
            count += 1
    return {"invalidated": count}


def _deauthorize(store: Store, q: dict[str, str], b: dict[str, Any]) -> Any:
    """The person removes the app in Instagram's settings: its tokens answer 190/458, and
    the app's Deauthorize Callback URL (if any) gets a signed_request."""
    user_id, app_id = need(b, "user_id", "app_id")
    grant = store.grants.get((user_id, app_id))
    if grant is None:
        raise ControlError(f"user {user_id} has not authorized app {app_id}")
    grant.revoked = True
    count = 0
    for token in store.tokens.values():
        if token.user_id == user_id and token.app_id == app_id:
            token.invalid_reason = "deauthorized"
            count += 1
    app = store.apps[app_id]
    answer: dict[str, Any] = {"invalidated": count}
    if app.deauthorize_url:
        user = store.users[user_id]
        payload = _b64(json.dumps({"algorithm": "HMAC-SHA256", "issued_at": int(time.time()),
                                   "user_id": store.scoped_id(user, app_id)}).encode())
        signature = _b64(hmac.new(app.secret.encode(), payload.encode(),
                                  hashlib.sha256).digest())
        answer["callback"] = {"url": app.deauthorize_url,
                              "signed_request": f"{signature}.{payload}"}
    return answer


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


ACTIONS: dict[tuple[str, str], Callable[[Store, dict[str, str], dict[str, Any]], Any]] = {
    ("POST", "reset"): reset,
    ("GET", "health"): health,
    ("POST", "users"): _user,
    ("POST", "apps"): _app,
    ("POST", "tokens"): _token,
    ("POST", "comments"): _comment,
    ("GET", "media"): _media,
    ("GET", "containers"): _containers,
    ("GET", "comments"): _comments,
    ("POST", "faults"): _fault,
    ("DELETE", "faults"): clear_faults,
    ("POST", "settings"): _settings,
    ("POST", "expire_tokens"): _expire,
    ("POST", "expire_containers"): _expire_containers,
    ("POST", "invalidate"): _invalidate,
    ("POST", "deauthorize"): _deauthorize,
    ("GET", "protocol_errors"): lambda s, q, b: drained(s.protocol, q),
    ("GET", "requests"): lambda s, q, b: list(s.seen),
    ("GET", "windows"): lambda s, q, b: list(s.windows),
    ("GET", "deauthorizations"): lambda s, q, b: list(s.deauthorizations),
}
