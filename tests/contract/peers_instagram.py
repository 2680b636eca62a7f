"""The Instagram contract peer: the Instagram stand-in (tests/peers/instagram, which records
every request that breaks one of Meta's documented rules) behind an HTTP fault proxy
(tests/peers/http_faults.py).

Accounts are professional accounts of the stand-in with long-lived tokens issued to the
operator's Instagram app (the hub pointed at the stand-in through HUBBUB_INSTAGRAM_GRAPH_URL,
_API_URL, _AUTHORIZE_URL and _APP_ID/_SECRET); their base_url is the proxy. The hub's public
address is a live server and MEDIA_ROOT the test's tmp_path, so the stand-in fetches every
picture from the hub.

Instagram has no text posts: every post carries a picture. So the connector here plays the
engine's part and one more: a draft the suite writes without a picture gets the same small
JPEG (SUITE_PICTURE), uploaded and staged as the engine would (prepare, upload_media, stage
once per idempotency key, passed back to every publish and find_published with that key). The
suite's "home" is the account's own posts (Instagram gives apps no home feed); its "publish" is
`media_publish`, the request that makes the post. The stand-in holds a request unprocessed, or
handles it and loses the answer; the proxy answers a load balancer's bare 5xx (with its
Retry-After), Meta's rate-limit error object with its usage header, and cuts an answer
mid-JSON.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any, Literal

import pytest

from hubbub.networks.base import (
    Account,
    Capabilities,
    Connector,
    Draft,
    MediaFile,
    Page,
    Published,
    Validation,
)
from hubbub.networks.instagram.connector import InstagramConnector
from hubbub.networks.instagram.graph import GRAPH_VERSION
from tests.integration.instagram_support import IGWorld, make_ig_world
from tests.peers.http_faults import HttpFaultProxy, Malformed, Respond
from tests.peers.instagram.peer import IGUser, InstagramPeer

Operation = Literal["publish", "read"]

# Contract tests that do not apply to Instagram, and why.
IG_SKIPS = {
    "test_delete_removes_the_post":
        "Instagram's API lets apps delete comments but not posts (IG Media: no delete); the "
        "connector says so (tests/integration/test_instagram_connector.py deletes a comment)",
}


class StagedInstagram(InstagramConnector):
    """The connector as the engine drives it, with the suite's picture on a text draft."""

    def __init__(self, world: IGWorld) -> None:
        self.world = world
        self.stored: dict[str, dict[str, Any]] = {}
        self.uploaded: dict[str, tuple[str, ...]] = {}
        self._picture: MediaFile | None = None

    def picture(self) -> MediaFile:
        if self._picture is None:
            self._picture = self.world.picture("suite.jpg", (40, 90, 160), alt="The suite's")
        return self._picture

    def _pictured(self, draft: Draft) -> Draft:
        if draft.media or draft.in_reply_to or not draft.text.strip():
            return draft
        return replace(draft, media=(self.picture(),))

    def validate(self, draft: Draft, capabilities: Capabilities) -> Validation:
        return super().validate(self._pictured(draft), capabilities)

    def publish(self, account: Account, draft: Draft, idempotency_key: str,
                media_ids: tuple[str, ...],
                prepared: Mapping[str, Any] | None = None) -> Published:
        draft = self._pictured(draft)
        if prepared is None:
            if idempotency_key not in self.stored:
                ids = media_ids or tuple(self.upload_media(account, m) for m in draft.media)
                made = self.prepare(account, draft, idempotency_key)
                made["stage"] = self.stage(account, draft, ids, made)
                self.uploaded[idempotency_key] = ids
                self.stored[idempotency_key] = made
            prepared = self.stored[idempotency_key]
            media_ids = self.uploaded[idempotency_key]
        return super().publish(account, draft, idempotency_key, media_ids, prepared)

    def find_published(self, account: Account, draft: Draft, idempotency_key: str,
                       since: datetime,
                       prepared: Mapping[str, Any] | None = None) -> Published | None:
        return super().find_published(account, self._pictured(draft), idempotency_key, since,
                                      prepared or self.stored.get(idempotency_key))

    def fetch(self, account: Account, feed: str, cursor: str | None = None) -> Page:
        return super().fetch(account, "own" if feed == "home" else feed, cursor)


@dataclass
class InstagramContractPeer:
    world: IGWorld
    proxy: HttpFaultProxy
    connector: Connector
    network: str = "instagram"
    expected_capabilities: dict[str, Any] = field(default_factory=lambda: {
        "text_limit": 2200,
        "counting": "graphemes",
        "media.max_count": 10,
        "media.image_max_bytes": 8 * 1024 * 1024,
        "media.alt_text_max": 1000,
        "threads": False,
        "idempotency": "none",
    })
    _users: dict[str, IGUser] = field(default_factory=dict)

    @property
    def server(self) -> InstagramPeer:
        return self.world.peer

    def new_account(self) -> Account:
        user = self.world.person()
        account = self.world.account(user)
        self._users[user.id] = user
        return Account(self.proxy.base_url, account.credentials, account.remote_id,
                       account.handle)

    def server_posts(self, account: Account) -> list[dict[str, Any]]:
        """The account's posts as the stand-in keeps them, in the suite's vocabulary; a post's
        descriptions are its container's alt text (or its items' for a carousel)."""
        user = self._users[account.remote_id]
        containers = self.server.containers(user)
        by_id = {c["id"]: c for c in containers}
        posts = []
        for media in self.server.media(user):
            if media.get("parent_id"):
                continue
            made = next((c for c in containers if c.get("published_id") == media["id"]), {})
            items = [by_id[i] for i in made.get("children") or [] if i in by_id] or [made]
            posts.append({"id": media["id"], "text": media.get("caption") or "",
                          "media_attachments": [{"description": c.get("alt_text") or ""}
                                                for c in items if c]})
        return posts

    def revoke(self, account: Account) -> None:
        """The person removes the app in their Instagram settings (190/458 from then on)."""
        self.server.deauthorize(self._users[account.remote_id], self.world.app_id)

    def _route(self, op: Operation) -> tuple[str, str]:
        user_id = next(reversed(self._users)) if self._users else ""
        if op == "publish":
            return "POST", f"/{GRAPH_VERSION}/{user_id}/media_publish"
        return "GET", f"/{GRAPH_VERSION}/{user_id}/media"

    def fail_next(self, op: Operation, status: int, headers: dict[str, str] | None = None) -> None:
        # A proxy in front of the API answering for it: a bare HTML page, no error object.
        method, path = self._route(op)
        self.proxy.arm(method, path, Respond(
            status, {"Content-Type": "text/html", **(headers or {})},
            f"<html><body>{status} Service Unavailable</body></html>".encode()))

    def rate_limit_next(self, op: Operation, retry_after_seconds: int) -> None:
        # Error 4 (application request limit reached) with Meta's estimate, in minutes, of
        # when calls work again in the usage header ("Rate Limits").
        method, path = self._route(op)
        user_id = path.split("/")[2]
        usage = {user_id: [{"type": "instagram", "call_count": 100, "total_cputime": 30,
                            "total_time": 40,
                            "estimated_time_to_regain_access": retry_after_seconds // 60}]}
        body = {"error": {"message": "(#4) Application request limit reached",
                          "type": "OAuthException", "code": 4, "fbtrace_id": "AcontractTrace"}}
        self.proxy.arm(method, path, Respond(
            400, {"Content-Type": "application/json",
                  "X-Business-Use-Case-Usage": json.dumps(usage)},
            json.dumps(body).encode()))

    def malformed_next(self, op: Operation) -> None:
        method, path = self._route(op)
        self.proxy.arm(method, path, Malformed())

    def stall_next_unprocessed(self, op: Operation, seconds: float) -> None:
        method, path = self._route(op)
        self.server.fail_next(method, path, "hold", seconds=seconds)

    def lose_next_answer(self, account: Account, op: Operation, mode: str) -> Account:
        method, path = self._route(op)
        self.server.fail_next(method, path, "hold_after" if mode == "hold" else "drop_after",
                              seconds=3)
        return account

    def close(self) -> None:
        self.proxy.close()
        self.server.clear_faults()


def instagram_factory(request: pytest.FixtureRequest) -> InstagramContractPeer:
    reason = IG_SKIPS.get(getattr(request.node, "originalname", ""))
    if reason:
        pytest.skip(reason)
    server: InstagramPeer = request.getfixturevalue("instagram_peer")
    live_server = request.getfixturevalue("live_server")
    tmp_path = request.getfixturevalue("tmp_path")
    world = make_ig_world(server, request.getfixturevalue("monkeypatch"),
                          request.getfixturevalue("settings"), live_server.url, tmp_path)
    return InstagramContractPeer(world, HttpFaultProxy(server.base_url),
                                 StagedInstagram(world))
