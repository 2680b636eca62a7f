"""The X contract peer: the X stand-in (tests/peers/x, which checks every request against X's
OpenAPI document) behind an HTTP fault proxy (tests/peers/http_faults.py).

Accounts are people of the stand-in with tokens issued to the operator's app (the hub pointed at
the stand-in through HUBBUB_X_API_URL and HUBBUB_X_CLIENT_ID/SECRET); their base_url is the
proxy. Faults the stand-in makes itself where it can (a 429 with x-rate-limit-reset, a request
held and never handled, an answer lost after the post was made); the proxy answers a 5xx of a
load balancer (with its Retry-After) and cuts an answer mid-JSON.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field, replace
from typing import Any, Literal

import pytest

from hubbub.networks.base import Account, Connector
from hubbub.networks.x.connector import XConnector
from hubbub.networks.x.oauth import SCOPES
from tests.contract.peers_prepared import PreparedOnce
from tests.integration.x_support import account_of, make_x_world
from tests.peers.http_faults import HttpFaultProxy, Malformed, Respond
from tests.peers.x.peer import XPeer, XUser

Operation = Literal["publish", "read"]

# Contract tests that do not apply to X, and why.
X_SKIPS = {
    "test_revoked_token_raises_revoked":
        "X answers 401 alike for an expired and a revoked token: with a refresh token the "
        "connector says AuthExpired and the engine calls it revoked when X refuses the refresh "
        "(tests/integration/test_x_faults.py, test_an_app_removed_by_the_person_is_revoked)",
}


class PreparedX(PreparedOnce, XConnector):
    """The connector as the engine drives it (peers_prepared.py)."""


@dataclass
class XContractPeer:
    server: XPeer
    proxy: HttpFaultProxy
    client_id: str
    client_secret: str
    network: str = "x"
    connector: Connector = field(default_factory=PreparedX)
    expected_capabilities: dict[str, Any] = field(default_factory=lambda: {
        "text_limit": 280,
        "counting": "x",
        "url_length": 23,
        "media.max_count": 4,
        "media.image_max_bytes": 5 * 1024 * 1024,
        "media.alt_text_max": 1000,
        "threads": True,
        "idempotency": "none",
    })
    _people: dict[str, XUser] = field(default_factory=dict)

    def new_account(self) -> Account:
        user = self.server.create_user()
        tokens = self.server.token_for(user, (self.client_id, self.client_secret), list(SCOPES))
        self._people[user.id] = user
        account = account_of(self.server, user, tokens)
        return Account(self.proxy.base_url, account.credentials, account.remote_id,
                       account.handle)

    def server_posts(self, account: Account) -> list[dict[str, Any]]:
        """The account's posts as the stand-in stores them, in the suite's vocabulary."""
        alt = {m["media_key"]: m.get("alt_text", "") for m in self.server.media()}
        return [{"id": p["id"], "text": p["text"],
                 "media_attachments": [{"description": alt.get(k, "")}
                                       for k in p.get("media_keys") or ()]}
                for p in self.server.posts(self._people[account.remote_id])
                if not p.get("deleted")]

    def revoke(self, account: Account) -> None:
        pytest.skip(X_SKIPS["test_revoked_token_raises_revoked"])

    @staticmethod
    def _route(op: Operation) -> tuple[str, str]:
        if op == "publish":
            return "POST", "/2/tweets"
        return "GET", "/2/users/{id}/timelines/reverse_chronological"

    def fail_next(self, op: Operation, status: int, headers: dict[str, str] | None = None) -> None:
        method, path = self._route(op)
        concrete = path.replace("{id}", self._last_id())
        body = json.dumps({"title": "Service Unavailable", "detail": f"HTTP {status}",
                           "type": "about:blank", "status": status}).encode()
        self.proxy.arm(method, concrete, Respond(
            status, {"Content-Type": "application/problem+json", **(headers or {})}, body))

    def rate_limit_next(self, op: Operation, retry_after_seconds: int) -> None:
        method, path = self._route(op)
        self.server.fail_next(method, path, "429", reset=int(time.time()) + retry_after_seconds)

    def malformed_next(self, op: Operation) -> None:
        method, path = self._route(op)
        self.proxy.arm(method, path.replace("{id}", self._last_id()), Malformed())

    def stall_next_unprocessed(self, op: Operation, seconds: float) -> None:
        method, path = self._route(op)
        self.server.fail_next(method, path, "hold", seconds=seconds)

    def lose_next_answer(self, account: Account, op: Operation, mode: str) -> Account:
        method, path = self._route(op)
        self.server.fail_next(method, path, "hold_after" if mode == "hold" else "drop_after",
                              seconds=3)
        return replace(account, base_url=self.server.base_url)  # not through the proxy

    def _last_id(self) -> str:
        return next(reversed(self._people)) if self._people else ""

    def close(self) -> None:
        self.proxy.close()


def x_factory(request: pytest.FixtureRequest) -> XContractPeer:
    reason = X_SKIPS.get(getattr(request.node, "originalname", ""))
    if reason:
        pytest.skip(reason)
    server: XPeer = request.getfixturevalue("x_peer")
    world = make_x_world(server, request.getfixturevalue("monkeypatch"))
    return XContractPeer(server, HttpFaultProxy(server.base_url), world.client_id,
                         world.client_secret)
