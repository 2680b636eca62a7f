"""The Facebook contract peer: the Facebook stand-in (tests/peers/facebook, which records every
request that breaks one of Meta's documented rules) behind an HTTP fault proxy
(tests/peers/http_faults.py).

Accounts are Pages of the stand-in with Page tokens issued to the operator's Meta app (the hub
pointed at the stand-in through HUBBUB_FACEBOOK_GRAPH_URL/DIALOG_URL and
HUBBUB_FACEBOOK_APP_ID/SECRET); their base_url is the proxy. The suite's "home" is the Page's
feed. The stand-in holds a request unprocessed, or handles it and loses the answer; the proxy
answers a load balancer's bare 5xx (with its Retry-After), Meta's rate-limit error object with
its X-Business-Use-Case-Usage header, and cuts an answer mid-JSON.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any, Literal

import pytest

from hubbub.networks.base import Account, Connector
from hubbub.networks.facebook.connector import FacebookConnector
from hubbub.networks.facebook.graph import GRAPH_VERSION
from tests.contract.peers_prepared import PreparedOnce
from tests.integration.facebook_support import FBWorld, live_posts, make_fb_world
from tests.peers.facebook.peer import FacebookPeer, FBPage, FBUser
from tests.peers.http_faults import HttpFaultProxy, Malformed, Respond

Operation = Literal["publish", "read"]

# Contract tests that do not apply to Facebook, and why.
FB_SKIPS = {
    "test_upload_media_with_alt_text_and_publish":
        "the Facebook stand-in keeps no alt text (it serves no alt text field on a photo), so "
        "what was stored cannot be read back: photos uploaded unpublished and attached are "
        "proven in tests/integration/test_facebook_connector.py, the alt_text_custom sent in "
        "tests/unit/test_facebook_mapping.py",
}


class PreparedFacebook(PreparedOnce, FacebookConnector):
    """The connector as the engine drives it (peers_prepared.py)."""


@dataclass
class FacebookContractPeer:
    world: FBWorld
    proxy: HttpFaultProxy
    network: str = "facebook"
    connector: Connector = field(default_factory=PreparedFacebook)
    expected_capabilities: dict[str, Any] = field(default_factory=lambda: {
        "text_limit": 63_206,
        "counting": "graphemes",
        "media.max_count": 10,
        "media.image_max_bytes": 4 * 1024 * 1024,  # the Graph reference's photo limit
        "media.alt_text_max": 1000,
        "threads": False,
        "idempotency": "none",
    })
    _pages: dict[str, tuple[FBUser, FBPage]] = field(default_factory=dict)

    @property
    def server(self) -> FacebookPeer:
        return self.world.peer

    def new_account(self) -> Account:
        user, [page] = self.world.person()
        self._pages[page.id] = (user, page)
        account = self.world.page_account(user, page)
        return Account(self.proxy.base_url, account.credentials, account.remote_id,
                       account.handle)

    def server_posts(self, account: Account) -> list[dict[str, Any]]:
        """The Page's live posts as the stand-in keeps them, in the suite's vocabulary."""
        _, page = self._pages[account.remote_id]
        return [{"id": p["id"], "text": p.get("message", "")}
                for p in live_posts(self.server, page)]

    def revoke(self, account: Account) -> None:
        """The person removes the app in their Facebook settings (190/458 from then on)."""
        user, _ = self._pages[account.remote_id]
        self.server.deauthorize(user, self.world.app_id)

    def _route(self, op: Operation) -> tuple[str, str]:
        page_id = next(reversed(self._pages)) if self._pages else ""
        edge = "feed"  # publishing posts to the feed, and the suite's "home" reads it
        return ("POST" if op == "publish" else "GET"), f"/{GRAPH_VERSION}/{page_id}/{edge}"

    def fail_next(self, op: Operation, status: int, headers: dict[str, str] | None = None) -> None:
        # A proxy in front of Graph answering for it: a bare HTML page, no Graph error object.
        method, path = self._route(op)
        self.proxy.arm(method, path, Respond(
            status, {"Content-Type": "text/html", **(headers or {})},
            f"<html><body>{status} Service Unavailable</body></html>".encode()))

    def rate_limit_next(self, op: Operation, retry_after_seconds: int) -> None:
        # Error 32 (Page request limit reached) with the Page's usage over its budget and
        # Meta's estimate, in minutes, of when calls work again ("Rate Limits").
        method, path = self._route(op)
        page_id = path.split("/")[2]
        usage = {page_id: [{"type": "pages", "call_count": 100, "total_cputime": 30,
                            "total_time": 40,
                            "estimated_time_to_regain_access": retry_after_seconds // 60}]}
        body = {"error": {"message": "(#32) Page request limit reached", "type": "OAuthException",
                          "code": 32, "fbtrace_id": "AcontractTrace"}}
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


def facebook_factory(request: pytest.FixtureRequest) -> FacebookContractPeer:
    reason = FB_SKIPS.get(getattr(request.node, "originalname", ""))
    if reason:
        pytest.skip(reason)
    server: FacebookPeer = request.getfixturevalue("fb_peer")
    world = make_fb_world(server, request.getfixturevalue("monkeypatch"))
    return FacebookContractPeer(world, HttpFaultProxy(server.base_url))
