"""The Threads contract peer: the Threads stand-in (tests/peers/threads, which records every
request that breaks one of Meta's documented rules) behind an HTTP fault proxy
(tests/peers/http_faults.py).

Accounts are people of the stand-in with long-lived tokens issued to the operator's Threads app
(the hub pointed at the stand-in through HUBBUB_THREADS_GRAPH_URL/AUTHORIZE_URL and
HUBBUB_THREADS_APP_ID/SECRET); their base_url is the proxy. The hub's public address is a live
server and MEDIA_ROOT the test's tmp_path, so the stand-in fetches the suite's picture from the
hub. The suite's "home" is the account's own posts (Threads gives apps no home timeline); its
"publish" is `threads_publish`, the request that makes the post. The stand-in holds a request
unprocessed, or handles it and loses the answer; the proxy answers a load balancer's bare 5xx
(with its Retry-After), Meta's rate-limit error object with its usage header, and cuts an
answer mid-JSON.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

import pytest

from hubbub.networks.base import Account, Connector, Draft, Page, Published
from hubbub.networks.threads.api import API_VERSION
from hubbub.networks.threads.connector import ThreadsConnector
from tests.integration.threads_support import ThreadsWorld, make_threads_world
from tests.peers.http_faults import HttpFaultProxy, Malformed, Respond
from tests.peers.threads.peer import ThreadsPeer, ThreadsUser

Operation = Literal["publish", "read"]


class StagedThreads(ThreadsConnector):
    """The connector as the engine drives it: prepare() and stage() once per idempotency key
    (the first attempt's, stored as the engine stores them), passed back to every publish and
    find_published with that key; the suite's "home" read as the account's own posts."""

    def __init__(self) -> None:
        self.stored: dict[str, dict[str, Any]] = {}

    def publish(self, account: Account, draft: Draft, idempotency_key: str,
                media_ids: tuple[str, ...],
                prepared: Mapping[str, Any] | None = None) -> Published:
        if prepared is None:
            if idempotency_key not in self.stored:
                made = self.prepare(account, draft, idempotency_key)
                made["stage"] = self.stage(account, draft, media_ids, made)
                self.stored[idempotency_key] = made
            prepared = self.stored[idempotency_key]
        return super().publish(account, draft, idempotency_key, media_ids, prepared)

    def find_published(self, account: Account, draft: Draft, idempotency_key: str,
                       since: datetime,
                       prepared: Mapping[str, Any] | None = None) -> Published | None:
        return super().find_published(account, draft, idempotency_key, since,
                                      prepared or self.stored.get(idempotency_key))

    def fetch(self, account: Account, feed: str, cursor: str | None = None) -> Page:
        return super().fetch(account, "own" if feed == "home" else feed, cursor)


@dataclass
class ThreadsContractPeer:
    world: ThreadsWorld
    proxy: HttpFaultProxy
    network: str = "threads"
    connector: Connector = field(default_factory=StagedThreads)
    expected_capabilities: dict[str, Any] = field(default_factory=lambda: {
        "text_limit": 500,
        "counting": "threads",
        "media.max_count": 20,
        "media.image_max_bytes": 8 * 1024 * 1024,
        "media.alt_text_max": 1000,
        "threads": True,
        "idempotency": "none",
    })
    _users: dict[str, ThreadsUser] = field(default_factory=dict)

    @property
    def server(self) -> ThreadsPeer:
        return self.world.peer

    def new_account(self) -> Account:
        account, user = self.world.account()
        self._users[user.id] = user
        return Account(self.proxy.base_url, account.credentials, account.remote_id,
                       account.handle)

    def server_posts(self, account: Account) -> list[dict[str, Any]]:
        """The account's live posts as the stand-in keeps them, in the suite's vocabulary."""
        user = self._users[account.remote_id]
        return [{"id": p["id"], "text": p.get("text") or "",
                 "media_attachments": [{"description": p.get("alt_text") or ""}]
                 if p.get("media_type") == "IMAGE" else []}
                for p in self.world.live_posts(user)]

    def revoke(self, account: Account) -> None:
        """The person removes the app in their Threads settings (190/458 from then on)."""
        self.server.deauthorize(self._users[account.remote_id], self.world.app_id)

    def _route(self, op: Operation) -> tuple[str, str]:
        user_id = next(reversed(self._users)) if self._users else ""
        if op == "publish":
            return "POST", f"/{API_VERSION}/{user_id}/threads_publish"
        return "GET", f"/{API_VERSION}/{user_id}/threads"

    def fail_next(self, op: Operation, status: int, headers: dict[str, str] | None = None) -> None:
        # A proxy in front of the API answering for it: a bare HTML page, no error object.
        method, path = self._route(op)
        self.proxy.arm(method, path, Respond(
            status, {"Content-Type": "text/html", **(headers or {})},
            f"<html><body>{status} Service Unavailable</body></html>".encode()))

    def rate_limit_next(self, op: Operation, retry_after_seconds: int) -> None:
        # Error 17 (user request limit reached) with Meta's estimate, in minutes, of when
        # calls work again in the usage header ("Rate Limits").
        method, path = self._route(op)
        user_id = path.split("/")[2]
        usage = {user_id: [{"type": "threads", "call_count": 100, "total_cputime": 30,
                            "total_time": 40,
                            "estimated_time_to_regain_access": retry_after_seconds // 60}]}
        body = {"error": {"message": "(#17) User request limit reached",
                          "type": "OAuthException", "code": 17, "fbtrace_id": "AcontractTrace"}}
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


def threads_factory(request: pytest.FixtureRequest) -> ThreadsContractPeer:
    server: ThreadsPeer = request.getfixturevalue("threads_peer")
    live_server = request.getfixturevalue("live_server")
    tmp_path = request.getfixturevalue("tmp_path")
    world = make_threads_world(server, request.getfixturevalue("monkeypatch"),
                               request.getfixturevalue("settings"), live_server.url, tmp_path)
    return ThreadsContractPeer(world, HttpFaultProxy(server.base_url))
