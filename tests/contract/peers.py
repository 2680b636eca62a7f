"""Peer factories for the shared connector contract suite.

A contract peer wraps one network's local server in the vocabulary the suite speaks: make an
account, read what the server stored (bypassing the connector), revoke a token, and make the
next request of a kind ("publish" or "read") fail in a given way. To add a network, write a
class with these methods and add it to FACTORIES.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any, Literal, Protocol

import pytest

from hubbub.networks.base import Account, Connector
from hubbub.networks.registry import get_connector
from tests.peers.mastodon import MastodonPeer, SeededAccount
from tests.peers.proxy import FaultProxy

Operation = Literal["publish", "read"]


class ContractPeer(Protocol):
    network: str
    connector: Connector
    # attribute path on Capabilities -> value this server announces (proves it was read)
    expected_capabilities: dict[str, Any]

    def new_account(self) -> Account: ...
    def server_posts(self, account: Account) -> list[dict[str, Any]]: ...
    def revoke(self, account: Account) -> None: ...
    def fail_next(
        self, op: Operation, status: int, headers: dict[str, str] | None = None
    ) -> None: ...
    def rate_limit_next(self, op: Operation, retry_after_seconds: int) -> None: ...
    def malformed_next(self, op: Operation) -> None: ...
    def stall_next_unprocessed(self, op: Operation, seconds: float) -> None:
        """The next request hangs for `seconds` and the server never processes it."""
    def lose_next_answer(self, account: Account, op: Operation, mode: str) -> Account:
        """Return the account routed so that the server processes the next `op` but its
        answer is lost: mode "hold" (client times out) or "drop" (connection reset)."""


_PATHS: dict[Operation, dict[str, Any]] = {
    "publish": {"methods": ["POST"], "path": "/api/v1/statuses"},
    "read": {"methods": ["GET"], "path_regex": r"^/api/v1/(timelines|accounts)/"},
}
_REQUEST_LINES: dict[Operation, bytes] = {
    "publish": b"POST /api/v1/statuses",
    "read": b"GET /api/v1/timelines/",
}


@dataclass
class MastodonContractPeer:
    server: MastodonPeer
    network: str = "mastodon"
    connector: Connector = field(default_factory=lambda: get_connector("mastodon"))
    expected_capabilities: dict[str, Any] = field(
        default_factory=lambda: {
            "text_limit": 500,
            "url_length": 23,
            "media.max_count": 4,
            # the mock serves 10 MB; Mastodon's stock default is 16 MB
            "media.image_max_bytes": 10 * 1024 * 1024,
            "idempotency": "header",
        }
    )
    _seeded: dict[str, SeededAccount] = field(default_factory=dict)
    _proxies: list[FaultProxy] = field(default_factory=list)

    def new_account(self) -> Account:
        seeded = self.server.new_account()
        self._seeded[seeded.access_token] = seeded
        return Account(
            base_url=self.server.base_url,
            credentials={"access_token": seeded.access_token},
            remote_id=seeded.id,
            handle=f"@{seeded.username}@localhost",
        )

    def _seeded_for(self, account: Account) -> SeededAccount:
        return self._seeded[account.credentials["access_token"]]

    def server_posts(self, account: Account) -> list[dict[str, Any]]:
        return self.server.statuses(self._seeded_for(account))

    def revoke(self, account: Account) -> None:
        self.server.revoke(self._seeded_for(account))

    def _fault(self, op: Operation, effect: dict[str, Any]) -> None:
        self.server.add_fault(effect, **_PATHS[op])

    def fail_next(self, op: Operation, status: int, headers: dict[str, str] | None = None) -> None:
        self._fault(op, {"type": "status", "status": status, "headers": headers or {}})

    def rate_limit_next(self, op: Operation, retry_after_seconds: int) -> None:
        self._fault(op, {"type": "ratelimit", "headers": {"Retry-After": str(retry_after_seconds)}})

    def malformed_next(self, op: Operation) -> None:
        self._fault(op, {"type": "malformed"})

    def stall_next_unprocessed(self, op: Operation, seconds: float) -> None:
        # mastodon-mock's latency fault sleeps before the app reads the request; a client that
        # gave up has gone by then, so the app drops the request (ClientDisconnect).
        self._fault(op, {"type": "latency", "delay_ms": int(seconds * 1000)})

    def lose_next_answer(self, account: Account, op: Operation, mode: str) -> Account:
        proxy = FaultProxy(self.server.port)
        self._proxies.append(proxy)
        proxy.arm(_REQUEST_LINES[op], mode)
        return replace(account, base_url=proxy.base_url)

    def close(self) -> None:
        for proxy in self._proxies:
            proxy.close()
        self.server.clear_faults()


def _mastodon(request: pytest.FixtureRequest) -> MastodonContractPeer:
    server: MastodonPeer = request.getfixturevalue("mastodon_peer")
    server.clear_faults()
    return MastodonContractPeer(server)


FACTORIES: dict[str, Callable[[pytest.FixtureRequest], Any]] = {
    "mastodon": _mastodon,
    # "bluesky": _bluesky,  (a TestNetwork peer + a fault proxy)
    # "nostr": _nostr,
}


# --- Nostr -------------------------------------------------------------------------------------
# nostr-relay (tests/peers/nostr.py) behind a websocket fault proxy (tests/peers/nostr_faults.py).
# Accounts use the proxy as their one relay; server_posts reads the relay directly.

from hubbub.networks.base import Draft as _Draft  # noqa: E402
from hubbub.networks.nostr.connector import NostrConnector  # noqa: E402
from hubbub.networks.nostr.keys import generate_keypair  # noqa: E402
from tests.peers.nostr import NostrPeer  # noqa: E402
from tests.peers.nostr_faults import NostrFaultProxy  # noqa: E402

# Contract tests that do not apply to Nostr, and why.
_NOSTR_SKIPS = {
    "test_revoked_token_raises_revoked": "a Nostr key cannot be revoked",
}
# Pictures need the account's media server (Blossom, tests/peers/blossom.py): the media test's
# accounts get one, and their capabilities say so.
_NOSTR_MEDIA_TESTS = frozenset({"test_upload_media_with_alt_text_and_publish"})


class EngineStoredPrepare(NostrConnector):
    """The Nostr connector as the delivery engine drives it: prepare() once per idempotency key,
    the result kept (the engine keeps it on the delivery row) and passed back as `prepared` to
    every publish and find_published with that key. The suite calls publish() without it."""

    def __init__(self) -> None:
        self.stored: dict[str, dict[str, Any]] = {}

    def publish(self, account: Account, draft: _Draft, idempotency_key: str,
                media_ids: tuple[str, ...], prepared: Any = None) -> Any:
        if prepared is None:
            if idempotency_key not in self.stored:
                self.stored[idempotency_key] = self.prepare(account, draft, idempotency_key)
            prepared = self.stored[idempotency_key]
        return super().publish(account, draft, idempotency_key, media_ids, prepared=prepared)

    def find_published(self, account: Account, draft: _Draft, idempotency_key: str,
                       since: Any, prepared: Any = None) -> Any:
        if prepared is None:
            prepared = self.stored.get(idempotency_key)
        return super().find_published(account, draft, idempotency_key, since, prepared=prepared)


@dataclass
class NostrContractPeer:
    server: NostrPeer
    proxy: NostrFaultProxy
    network: str = "nostr"
    connector: Connector = field(default_factory=EngineStoredPrepare)
    expected_capabilities: dict[str, Any] = field(
        default_factory=lambda: {
            # nostr-relay 1.14 serves NIP-11 without `limitation` (it enforces 4096 characters
            # without saying so): the default applies
            "text_limit": 64_000,
            "counting": "graphemes",
            "media.max_count": 0,
            "threads": True,
            "idempotency": "content_hash",
        }
    )

    media_server: str = ""

    def new_account(self) -> Account:
        pair = generate_keypair()
        credentials: dict[str, Any] = {"secret_key_hex": pair.secret_hex,
                                       "relays": [self.proxy.url]}
        if self.media_server:
            credentials["media_server"] = self.media_server
        return Account(
            base_url=self.proxy.url,
            credentials=credentials,
            remote_id=pair.public_hex,
            handle=pair.npub,
        )

    def server_posts(self, account: Account) -> list[dict[str, Any]]:
        """The account's notes in the suite's vocabulary too: media_attachments from their
        NIP-92 imeta tags (the alt text as the description)."""
        notes = self.server.query({"authors": [account.remote_id], "kinds": [1]})
        for note in notes:
            metas = [dict(part.split(" ", 1) for part in tag[1:] if " " in part)
                     for tag in note.get("tags", []) if tag and tag[0] == "imeta"]
            note["media_attachments"] = [{"description": m.get("alt", "")} for m in metas]
        return notes

    def revoke(self, account: Account) -> None:
        pytest.skip(_NOSTR_SKIPS["test_revoked_token_raises_revoked"])

    def fail_next(self, op: Operation, status: int, headers: dict[str, str] | None = None) -> None:
        # A relay behind a reverse proxy that is down: the websocket handshake gets the error.
        self.proxy.reject_next_upgrade(status, headers)

    def rate_limit_next(self, op: Operation, retry_after_seconds: int) -> None:
        self.proxy.reject_next_upgrade(429, {"Retry-After": str(retry_after_seconds)})

    def malformed_next(self, op: Operation) -> None:
        self.proxy.on_next("EVENT" if op == "publish" else "REQ", "garble")

    def stall_next_unprocessed(self, op: Operation, seconds: float) -> None:
        self.proxy.on_next("EVENT" if op == "publish" else "REQ", "stall", seconds=seconds)

    def lose_next_answer(self, account: Account, op: Operation, mode: str) -> Account:
        self.proxy.on_next("EVENT" if op == "publish" else "REQ", mode)
        return account

    def close(self) -> None:
        self.proxy.close()


def _nostr(request: pytest.FixtureRequest) -> NostrContractPeer:
    reason = _NOSTR_SKIPS.get(getattr(request.node, "originalname", ""))
    if reason:
        pytest.skip(reason)
    server: NostrPeer = request.getfixturevalue("nostr_peer")
    peer = NostrContractPeer(server, NostrFaultProxy(server.port))
    if getattr(request.node, "originalname", "") in _NOSTR_MEDIA_TESTS:
        peer.media_server = request.getfixturevalue("blossom_peer").url
    return peer


FACTORIES["nostr"] = _nostr


# --- Bluesky: the dev-env network behind an HTTP fault proxy (tests/contract/peers_bluesky.py) --
from tests.contract.peers_bluesky import bluesky_factory  # noqa: E402

FACTORIES["bluesky"] = bluesky_factory


# --- X: the stand-in behind an HTTP fault proxy (tests/contract/peers_x.py) ---------------------
from tests.contract.peers_x import x_factory  # noqa: E402

FACTORIES["x"] = x_factory


# --- LinkedIn: the stand-in behind an HTTP fault proxy (tests/contract/peers_linkedin.py) -------
from tests.contract.peers_linkedin import linkedin_factory  # noqa: E402

FACTORIES["linkedin"] = linkedin_factory


# --- Facebook: the stand-in behind an HTTP fault proxy (tests/contract/peers_facebook.py) -------
from tests.contract.peers_facebook import facebook_factory  # noqa: E402

FACTORIES["facebook"] = facebook_factory


# --- Threads: the stand-in behind an HTTP fault proxy (tests/contract/peers_threads.py) -------
from tests.contract.peers_threads import threads_factory  # noqa: E402

FACTORIES["threads"] = threads_factory


# --- Instagram: the stand-in behind an HTTP fault proxy (tests/contract/peers_instagram.py) ---
from tests.contract.peers_instagram import instagram_factory  # noqa: E402

FACTORIES["instagram"] = instagram_factory
