"""The Bluesky contract peer: the reference network from dev-env (tests/peers/bluesky.py), with an
HTTP fault proxy (tests/peers/http_faults.py) between the connector and the PDS.

Accounts are made and signed in by the peer itself (not by the code under test), and their
base_url is the proxy. `server_posts` lists the account's post records straight from the PDS.
`revoke` has the PDS's admin take the account down: from then on the PDS refuses the session
(401 AccountTakedown on writes, no user info for getSession, refresh refused). An app password
revoked by its owner only stops refreshes; its access token lives out its 2 hours, which the
integration tests cover.
"""

from __future__ import annotations

import json
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from email.utils import formatdate
from typing import Any, Literal

import pytest

from hubbub.networks.base import Account, Connector, Draft, Published
from hubbub.networks.bluesky.connector import BlueskyConnector
from tests.peers.bluesky import BlueskyAccount, BlueskyPeer
from tests.peers.http_faults import Drop, Fault, Hold, HttpFaultProxy, Malformed, Respond, Stall

Operation = Literal["publish", "read"]
# dev-env's admin password (@atproto/dev-env const ADMIN_PASSWORD)
DEV_ENV_ADMIN_PASSWORD = "admin-pass"
ROUTES: dict[Operation, tuple[str, str]] = {
    "publish": ("POST", "/xrpc/com.atproto.repo.createRecord"),
    "read": ("GET", "/xrpc/app.bsky.feed.getTimeline"),
}


class PreparedOnce(BlueskyConnector):
    """The connector as the delivery engine drives it: prepare() once per idempotency key, the
    result kept (the engine keeps it on the delivery row) and passed back as `prepared` to
    every publish and find_published with that key. The suite calls publish() without it."""

    def __init__(self) -> None:
        self.stored: dict[str, dict[str, Any]] = {}

    def publish(
        self,
        account: Account,
        draft: Draft,
        idempotency_key: str,
        media_ids: tuple[str, ...],
        prepared: Mapping[str, Any] | None = None,
    ) -> Published:
        if prepared is None:
            if idempotency_key not in self.stored:
                self.stored[idempotency_key] = self.prepare(account, draft, idempotency_key)
            prepared = self.stored[idempotency_key]
        return super().publish(account, draft, idempotency_key, media_ids, prepared)

    def find_published(
        self,
        account: Account,
        draft: Draft,
        idempotency_key: str,
        since: datetime,
        prepared: Mapping[str, Any] | None = None,
    ) -> Published | None:
        if prepared is None:
            prepared = self.stored.get(idempotency_key)
        return super().find_published(account, draft, idempotency_key, since, prepared)


def rate_limit_headers(seconds: int, now: float | None = None) -> dict[str, str]:
    """A 429 as the PDS's rate limiter sends it: RateLimit-* with Reset in epoch seconds."""
    current = time.time() if now is None else now
    return {
        "Content-Type": "application/json; charset=utf-8",
        "Date": formatdate(current, usegmt=True),
        "RateLimit-Limit": "5000",
        "RateLimit-Remaining": "0",
        "RateLimit-Reset": str(int(current + seconds)),
        "RateLimit-Policy": "5000;w=3600",
    }


@dataclass
class BlueskyContractPeer:
    server: BlueskyPeer
    proxy: HttpFaultProxy
    network: str = "bluesky"
    connector: Connector = field(default_factory=PreparedOnce)
    expected_capabilities: dict[str, Any] = field(
        default_factory=lambda: {
            "text_limit": 300,
            "text_byte_limit": 3000,
            "counting": "bluesky",
            "media.max_count": 4,
            "media.image_max_bytes": 2_000_000,
            "idempotency": "record_key",
            "native_scheduling": False,
        }
    )
    _accounts: dict[str, BlueskyAccount] = field(default_factory=dict)

    def new_account(self) -> Account:
        seeded = self.server.create_account("contract")
        self._accounts[seeded.did] = seeded
        session = self.server.login(seeded.handle, seeded.app_password)
        return Account(
            base_url=self.proxy.base_url,
            credentials={
                "accessJwt": session["accessJwt"],
                "refreshJwt": session["refreshJwt"],
                "did": session["did"],
                "handle": session["handle"],
                "service": self.server.pds_url,
            },
            remote_id=seeded.did,
            handle=f"@{seeded.handle}",
        )

    def server_posts(self, account: Account) -> list[dict[str, Any]]:
        """The account's post records, read from the PDS (not through the proxy), in the
        suite's vocabulary: id (the at:// URI), text, media_attachments with descriptions."""
        body = self.server.xrpc(
            "GET",
            "com.atproto.repo.listRecords",
            params={"repo": account.remote_id, "collection": "app.bsky.feed.post", "limit": 100},
        )
        posts = []
        for record in body["records"]:
            value = record["value"]
            images = (value.get("embed") or {}).get("images") or []
            posts.append(
                {
                    "id": record["uri"],
                    "text": value.get("text", ""),
                    "media_attachments": [{"description": i.get("alt", "")} for i in images],
                }
            )
        return posts

    def revoke(self, account: Account) -> None:
        self.server.http.post(
            f"{self.server.pds_url}/xrpc/com.atproto.admin.updateSubjectStatus",
            auth=("admin", DEV_ENV_ADMIN_PASSWORD),
            json={
                "subject": {"$type": "com.atproto.admin.defs#repoRef", "did": account.remote_id},
                "takedown": {"applied": True, "ref": "contract-suite"},
            },
            timeout=15,
        ).raise_for_status()

    def _arm(self, op: Operation, fault: Fault) -> None:
        method, path = ROUTES[op]
        self.proxy.arm(method, path, fault)

    def fail_next(self, op: Operation, status: int, headers: dict[str, str] | None = None) -> None:
        body = json.dumps({"error": "UpstreamFailure", "message": f"HTTP {status}"}).encode()
        answer_headers = {"Content-Type": "application/json; charset=utf-8", **(headers or {})}
        self._arm(op, Respond(status, answer_headers, body))

    def rate_limit_next(self, op: Operation, retry_after_seconds: int) -> None:
        body = json.dumps({"error": "RateLimitExceeded", "message": "Rate Limit Exceeded"})
        self._arm(op, Respond(429, rate_limit_headers(retry_after_seconds), body.encode()))

    def malformed_next(self, op: Operation) -> None:
        self._arm(op, Malformed())

    def stall_next_unprocessed(self, op: Operation, seconds: float) -> None:
        self._arm(op, Stall(seconds))

    def lose_next_answer(self, account: Account, op: Operation, mode: str) -> Account:
        self._arm(op, Hold() if mode == "hold" else Drop())
        return account

    def close(self) -> None:
        self.proxy.close()


def bluesky_factory(request: pytest.FixtureRequest) -> BlueskyContractPeer:
    server: BlueskyPeer = request.getfixturevalue("bluesky_peer")
    return BlueskyContractPeer(server, HttpFaultProxy(server.pds_url))
