"""The test-only control surface under /_standin/ (a path X does not use): seed accounts, apps,
tokens and posts, arm faults, change the access level, credits, limits and lifetimes, and read
back what the stand-in stored, saw and found invalid. JSON in, JSON out."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

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
from tests.peers.x.render import iso
from tests.peers.x.state import Fault, Media, Post, Store

FAULT_KINDS = {"500", "502", "503", "504", "429", "402", "usage_cap", "401", "drop",
               "drop_after", "hold", "hold_after", "delay"}
SETTINGS: dict[str, type | tuple[type, ...]] = {
            "access_level": str, "credits": (int, type(None)), "usage_cap": bool,
            "rate_limits_enabled": bool, "token_seconds": (int, float),
            "code_seconds": (int, float), "allow_plain_pkce": bool,
            "revoke_family_on_reuse": bool, "processing_polls": int,
            "processing_fails": bool, "signed_in": (str, type(None))}


def post_dict(post: Post) -> dict[str, Any]:
    return {"id": post.id, "author_id": post.author_id, "text": post.text,
            "created_at": iso(post.created_at), "conversation_id": post.conversation_id,
            "reply_to": post.reply_to, "quote_of": post.quote_of, "retweet_of": post.retweet_of,
            "media_keys": list(post.media_keys), "client_id": post.client_id,
            "deleted": post.deleted, "liked_by": sorted(post.liked_by)}


def media_dict(item: Media) -> dict[str, Any]:
    return {"id": item.id, "media_key": item.key, "owner_id": item.owner_id,
            "type": item.kind, "category": item.category, "media_type": item.media_type,
            "size": len(item.data), "state": item.state, "alt_text": item.alt_text,
            "width": item.width, "height": item.height}


def _user(store: Store, user_id: Any) -> Any:
    return lookup(store.users, user_id, "user")


def _users(store: Store, q: dict[str, str], b: dict[str, Any]) -> Any:
    (username,) = need(b, "username")
    try:
        user = store.add_user(str(username), b.get("name"), str(b.get("description") or ""),
                              str(b.get("url") or ""))
    except ValueError as exc:
        raise ControlError(str(exc)) from exc
    return {"id": user.id, "username": user.username, "name": user.name}


def _apps(store: Store, q: dict[str, str], b: dict[str, Any]) -> Any:
    (uris,) = need(b, "redirect_uris")
    app = store.add_app(list(uris), bool(b.get("confidential", True)), b.get("name") or "App")
    return {"client_id": app.client_id, "client_secret": app.client_secret}


def _tokens(store: Store, q: dict[str, str], b: dict[str, Any]) -> Any:
    user_id, client_id, scopes = need(b, "user_id", "client_id", "scopes")
    _user(store, user_id)
    if client_id not in store.apps:
        raise ControlError(f"no app {client_id}")
    access, refresh = store.issue(client_id, str(user_id), list(scopes))
    return {"access_token": access.value, "refresh_token": refresh.value if refresh else None,
            "expires_in": int(store.token_seconds), "scope": " ".join(scopes)}


def _new_post(store: Store, q: dict[str, str], b: dict[str, Any]) -> Any:
    user_id, text = need(b, "user_id", "text")
    user = _user(store, user_id)
    for ref in ("reply_to", "quote_of"):
        if b.get(ref) is not None and str(b[ref]) not in store.posts:
            raise ControlError(f"no post {b[ref]}")
    post = store.add_post(user, str(text), reply_to=b.get("reply_to"),
                          quote_of=b.get("quote_of"))
    if b.get("age_seconds"):
        post.created_at -= float(b["age_seconds"])
    return post_dict(post)


def _list_posts(store: Store, q: dict[str, str], b: dict[str, Any]) -> Any:
    posts = sorted(store.posts.values(), key=lambda p: -int(p.id))
    if q.get("user_id"):
        posts = [p for p in posts if p.author_id == q["user_id"]]
    return [post_dict(p) for p in posts]


def _list_media(store: Store, q: dict[str, str], b: dict[str, Any]) -> Any:
    items = sorted(store.media.values(), key=lambda m: -int(m.id))
    if q.get("user_id"):
        items = [m for m in items if m.owner_id == q["user_id"]]
    return [media_dict(m) for m in items]


def _follow(store: Store, q: dict[str, str], b: dict[str, Any]) -> Any:
    user_id, target_id = need(b, "user_id", "target_id")
    _user(store, user_id).following.add(_user(store, target_id).id)
    return {"following": True}


def _like(store: Store, q: dict[str, str], b: dict[str, Any]) -> Any:
    user_id, post_id = need(b, "user_id", "post_id")
    user = _user(store, user_id)
    post = lookup(store.posts, post_id, "post")
    post.liked_by.add(user.id)
    if post.id not in user.liked:
        user.liked.insert(0, post.id)
    return {"liked": True}


def _fault(store: Store, q: dict[str, str], b: dict[str, Any]) -> Any:
    return arm_fault(store, b, FAULT_KINDS, Fault)


def _check_setting(name: str, value: Any) -> None:
    if name == "access_level" and value not in {"pay_per_use", "free"}:
        raise ControlError("access_level is pay_per_use or free")


def _settings(store: Store, q: dict[str, str], b: dict[str, Any]) -> Any:
    return apply_settings(store, b, SETTINGS, _check_setting)


def _rate_limit(store: Store, q: dict[str, str], b: dict[str, Any]) -> Any:
    method, path, limit = need(b, "method", "path", "limit")
    store.rate_limits[(str(method).upper(), str(path))] = (int(limit), int(b.get("window", 900)))
    for key in [k for k in store.windows if k[1:] == (str(method).upper(), str(path))]:
        del store.windows[key]
    return {"limit": int(limit)}


def _expire_tokens(store: Store, q: dict[str, str], b: dict[str, Any]) -> Any:
    return expire_now(store.tokens.values(), store.grants.values(), lambda t: (
        t.kind == "access" and b.get("user_id") in (None, t.user_id)))


def _revoke_app(store: Store, q: dict[str, str], b: dict[str, Any]) -> Any:
    user_id, client_id = need(b, "user_id", "client_id")
    count = 0
    for token in store.tokens.values():
        if token.user_id == str(user_id) and token.client_id == client_id:
            token.revoked = True
            count += 1
    return {"revoked": count}


def _requests(store: Store, q: dict[str, str], b: dict[str, Any]) -> Any:
    return list(store.seen)


def _authorizations(store: Store, q: dict[str, str], b: dict[str, Any]) -> Any:
    return list(store.authorizations)


ACTIONS: dict[tuple[str, str], Callable[[Store, dict[str, str], dict[str, Any]], Any]] = {
    ("POST", "reset"): reset,
    ("POST", "users"): _users,
    ("POST", "apps"): _apps,
    ("POST", "tokens"): _tokens,
    ("POST", "posts"): _new_post,
    ("GET", "posts"): _list_posts,
    ("GET", "media"): _list_media,
    ("POST", "follow"): _follow,
    ("POST", "like"): _like,
    ("POST", "faults"): _fault,
    ("DELETE", "faults"): clear_faults,
    ("POST", "settings"): _settings,
    ("POST", "rate_limit"): _rate_limit,
    ("POST", "expire_tokens"): _expire_tokens,
    ("POST", "revoke_app"): _revoke_app,
    ("GET", "validation_errors"): lambda s, q, b: drained(s.failures, q),
    ("GET", "requests"): _requests,
    ("GET", "authorizations"): _authorizations,
    ("GET", "health"): health,
}

