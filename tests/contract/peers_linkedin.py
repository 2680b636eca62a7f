"""The LinkedIn contract peer: the LinkedIn stand-in (tests/peers/linkedin, which records every
request that breaks one of LinkedIn's documented rules) behind an HTTP fault proxy
(tests/peers/http_faults.py).

Accounts are members of the stand-in with tokens issued to the operator's app (the hub pointed
at the stand-in through HUBBUB_LINKEDIN_API_URL and HUBBUB_LINKEDIN_CLIENT_ID/SECRET); their
base_url is the proxy. LinkedIn gives apps no home feed, so the suite's reads ("home") read the
account's own posts here. The stand-in holds a request unprocessed, or answers it and loses the
answer; the proxy answers a 5xx or a 429 with its Retry-After and cuts an answer mid-JSON.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any, Literal

import pytest

from hubbub.networks.base import Account, Connector, Page
from hubbub.networks.linkedin.connector import LinkedInConnector
from tests.contract.peers_prepared import PreparedOnce
from tests.integration.linkedin_support import LinkedInWorld, make_li_world
from tests.peers.http_faults import HttpFaultProxy, Malformed, Respond
from tests.peers.linkedin.peer import LinkedInPeer

Operation = Literal["publish", "read"]


class SuiteConnector(PreparedOnce, LinkedInConnector):
    """The connector as the engine drives it (peers_prepared.py), and the suite's "home" read
    as the own posts."""

    def fetch(self, account: Account, feed: str, cursor: str | None = None) -> Page:
        return super().fetch(account, "own" if feed == "home" else feed, cursor)


@dataclass
class LinkedInContractPeer:
    world: LinkedInWorld
    proxy: HttpFaultProxy
    network: str = "linkedin"
    connector: Connector = field(default_factory=SuiteConnector)
    expected_capabilities: dict[str, Any] = field(default_factory=lambda: {
        "text_limit": 3000,
        "counting": "linkedin",
        "media.max_count": 20,
        "media.alt_text_max": 4086,
        "threads": False,
        "idempotency": "none",
    })

    @property
    def server(self) -> LinkedInPeer:
        return self.world.peer

    def new_account(self) -> Account:
        account = self.world.member_account(f"Member {len(self.world.members) + 1}")
        return Account(self.proxy.base_url, account.credentials, account.remote_id,
                       account.handle)

    def server_posts(self, account: Account) -> list[dict[str, Any]]:
        """The account's live posts as the stand-in keeps them, in the suite's vocabulary."""
        found = []
        for post in self.server.posts(account.remote_id):
            if post.get("deleted"):
                continue
            content = post.get("content") or {}
            images = ([content["media"]] if content.get("media")
                      else (content.get("multiImage") or {}).get("images") or [])
            found.append({"id": post["urn"], "text": post["text"],
                          "media_attachments": [{"description": i.get("altText", "")}
                                                for i in images]})
        return found

    def revoke(self, account: Account) -> None:
        self.server.revoke(self.world.members[account.remote_id], self.world.client_id)

    @staticmethod
    def _route(op: Operation) -> tuple[str, str]:
        return ("POST", "/rest/posts") if op == "publish" else ("GET", "/rest/posts")

    def fail_next(self, op: Operation, status: int, headers: dict[str, str] | None = None) -> None:
        method, path = self._route(op)
        body = json.dumps({"status": status, "message": f"HTTP {status}"}).encode()
        self.proxy.arm(method, path, Respond(
            status, {"Content-Type": "application/json", **(headers or {})}, body))

    def rate_limit_next(self, op: Operation, retry_after_seconds: int) -> None:
        method, path = self._route(op)
        body = json.dumps({"status": 429, "message": "Resource level throttle"}).encode()
        self.proxy.arm(method, path, Respond(
            429, {"Content-Type": "application/json",
                  "Retry-After": str(retry_after_seconds)}, body))

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


def linkedin_factory(request: pytest.FixtureRequest) -> LinkedInContractPeer:
    server: LinkedInPeer = request.getfixturevalue("li_peer")
    world = make_li_world(server, request.getfixturevalue("monkeypatch"))
    return LinkedInContractPeer(world, HttpFaultProxy(server.base_url))
