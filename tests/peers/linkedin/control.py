"""The test-only control surface under /_standin/ (a path LinkedIn does not use): seed members,
organizations, apps, tokens, posts and comments, arm faults, change lifetimes and limits, and
read back what the stand-in stored, saw and found in breach of LinkedIn's rules. JSON in,
JSON out."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from tests.peers.linkedin import little, social
from tests.peers.linkedin.images import render as render_image
from tests.peers.linkedin.state import (
    DEFAULT_APP_SCOPES,
    KNOWN_SCOPES,
    ROLES,
    Fault,
    Member,
    Post,
    Store,
)
from tests.peers.linkedin.videos import render as render_video
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

FAULT_KINDS = {"500", "502", "503", "504", "429", "401", "drop", "drop_after", "hold",
               "hold_after", "delay"}
SETTINGS: dict[str, type | tuple[type, ...]] = {
    "token_seconds": (int, float), "refresh_seconds": (int, float),
    "code_seconds": (int, float), "versions": (list, type(None)), "processing_polls": int,
    "duplicate_seconds": (int, float), "signed_in": (str, type(None)),
    "top_level_comments": bool,
}


def member_dict(member: Member) -> dict[str, Any]:
    return {"sub": member.id, "urn": member.urn, "name": member.name, "email": member.email}


def post_dict(post: Post) -> dict[str, Any]:
    parsed = little.parse(post.commentary)
    return {"urn": post.urn, "author": post.author, "commentary": post.commentary,
            "sent_commentary": post.sent_commentary, "text": parsed.text,
            "cut": post.commentary != post.sent_commentary, "mentions": list(parsed.mentions),
            "hashtags": list(parsed.hashtags), "visibility": post.visibility,
            "lifecycle_state": post.lifecycle_state, "distribution": post.distribution,
            "content": post.content, "created_at": post.created_at,
            "client_id": post.client_id, "deleted": post.deleted}


def _member(store: Store, member_id: Any) -> Member:
    return lookup(store.members, member_id, "member")


def _apps(store: Store, q: dict[str, str], b: dict[str, Any]) -> Any:
    (uris,) = need(b, "redirect_uris")
    scopes = list(b.get("scopes") or DEFAULT_APP_SCOPES)
    unknown = [s for s in scopes if s not in KNOWN_SCOPES]
    if unknown:
        raise ControlError(f"unknown scopes {unknown}; known: {sorted(KNOWN_SCOPES)}")
    app = store.add_app(list(uris), scopes, str(b.get("name") or "App"),
                        bool(b.get("refresh_tokens", False)))
    return {"client_id": app.client_id, "client_secret": app.client_secret}


def _members(store: Store, q: dict[str, str], b: dict[str, Any]) -> Any:
    (name,) = need(b, "name")
    return member_dict(store.add_member(str(name), b.get("email")))


def _organizations(store: Store, q: dict[str, str], b: dict[str, Any]) -> Any:
    (name,) = need(b, "name")
    admins = dict(b.get("admins") or {})
    for member_id, role in admins.items():
        _member(store, member_id)
        if role not in ROLES:
            raise ControlError(f"role {role!r} is not one of {sorted(ROLES)}")
    org = store.add_organization(str(name), admins)
    return {"id": org.id, "urn": org.urn, "name": org.name, "vanity": org.vanity}


def _tokens(store: Store, q: dict[str, str], b: dict[str, Any]) -> Any:
    member_id, client_id, scopes = need(b, "member_id", "client_id", "scopes")
    _member(store, member_id)
    if client_id not in store.apps:
        raise ControlError(f"no app {client_id}")
    access, refresh = store.issue(client_id, str(member_id), list(scopes))
    return {"access_token": access.value, "expires_in": int(store.token_seconds),
            "refresh_token": refresh.value if refresh else None,
            "refresh_token_expires_in": int(store.refresh_seconds) if refresh else None,
            "scope": ",".join(scopes)}


def _new_post(store: Store, q: dict[str, str], b: dict[str, Any]) -> Any:
    author, commentary = need(b, "author", "commentary")
    urn = f"urn:li:share:{store.new_id()}"
    created = int((time.time() - float(b.get("age_seconds", 0))) * 1000)
    kept = little.parse(str(commentary)).kept
    store.posts[urn] = Post(urn, str(author), kept, str(commentary), "PUBLIC",
                            {"feedDistribution": "MAIN_FEED", "targetEntities": [],
                             "thirdPartyDistributionChannels": []},
                            "PUBLISHED", b.get("content"), False, created, None)
    return post_dict(store.posts[urn])


def _list_posts(store: Store, q: dict[str, str], b: dict[str, Any]) -> Any:
    found = sorted(store.posts.values(), key=lambda p: (-p.created_at, p.urn))
    if q.get("author"):
        found = [p for p in found if p.author == q["author"]]
    return [post_dict(p) for p in found]


def _list_images(store: Store, q: dict[str, str], b: dict[str, Any]) -> Any:
    return [{**render_image(i, ""), "size": len(i.data), "media_type": i.media_type}
            for i in store.images.values()]


def _list_videos(store: Store, q: dict[str, str], b: dict[str, Any]) -> Any:
    return [{**render_video(v, ""), "size": len(v.data), "declared_size": v.size,
             "parts": len(v.parts)} for v in store.videos.values()]


def _list_comments(store: Store, q: dict[str, str], b: dict[str, Any]) -> Any:
    return [social.render_comment(c) for c in store.comments
            if not q.get("post") or c.object == q["post"]]


def _comment(store: Store, q: dict[str, str], b: dict[str, Any]) -> Any:
    actor, post, text = need(b, "actor", "post", "text")
    if post not in store.posts:
        raise ControlError(f"no post {post}")
    comment = social.add(store, str(post), str(actor), str(text), b.get("parent"))
    if b.get("created_at") is not None:  # a test's chosen time (epoch seconds)
        comment.created_at = int(float(b["created_at"]) * 1000)
    return social.render_comment(comment)


def _fault(store: Store, q: dict[str, str], b: dict[str, Any]) -> Any:
    return arm_fault(store, b, FAULT_KINDS, Fault)


def _settings(store: Store, q: dict[str, str], b: dict[str, Any]) -> Any:
    return apply_settings(store, b, SETTINGS)


def _daily_limit(store: Store, q: dict[str, str], b: dict[str, Any]) -> Any:
    method, path = need(b, "method", "path")
    store.daily_limits[(str(method).upper(), str(path))] = (b.get("member"),
                                                            b.get("application"))
    return {"set": True}


def _expire_tokens(store: Store, q: dict[str, str], b: dict[str, Any]) -> Any:
    return expire_now(store.tokens.values(), store.grants.values(), lambda t: (
        t.kind == "access" and b.get("member_id") in (None, t.member_id)))


def _revoke(store: Store, q: dict[str, str], b: dict[str, Any]) -> Any:
    (member_id,) = need(b, "member_id")
    count = 0
    for token in store.tokens.values():
        if token.member_id == str(member_id) and b.get("client_id") in (None, token.client_id):
            token.revoked = True
            count += 1
    return {"revoked": count}


ACTIONS: dict[tuple[str, str], Callable[[Store, dict[str, str], dict[str, Any]], Any]] = {
    ("POST", "reset"): reset,
    ("GET", "health"): health,
    ("POST", "apps"): _apps,
    ("POST", "members"): _members,
    ("POST", "organizations"): _organizations,
    ("POST", "tokens"): _tokens,
    ("POST", "posts"): _new_post,
    ("GET", "posts"): _list_posts,
    ("GET", "images"): _list_images,
    ("GET", "videos"): _list_videos,
    ("GET", "comments"): _list_comments,
    ("POST", "comments"): _comment,
    ("POST", "faults"): _fault,
    ("DELETE", "faults"): clear_faults,
    ("POST", "settings"): _settings,
    ("POST", "daily_limit"): _daily_limit,
    ("POST", "expire_tokens"): _expire_tokens,
    ("POST", "revoke"): _revoke,
    ("GET", "protocol_errors"): lambda s, q, b: drained(s.protocol_errors, q),
    ("GET", "requests"): lambda s, q, b: list(s.seen),
    ("GET", "authorizations"): lambda s, q, b: list(s.authorizations),
}

