"""What the Nostr connector tests share: the connector, an account on given relays, and notes
seeded through the peer's own client (tests/peers/nostr.py), never through the code under test."""

from __future__ import annotations

import secrets
import socket
from typing import Any

from hubbub.networks.base import Account, Draft
from hubbub.networks.nostr import keys
from hubbub.networks.nostr.connector import NostrConnector
from tests.peers.nostr import NostrKeys, NostrPeer

CONNECTOR = NostrConnector()


def account_for(keys_: NostrKeys | keys.KeyPair, *relays: str) -> Account:
    secret = keys_.sk if isinstance(keys_, NostrKeys) else keys_.secret_hex
    public = keys_.pk if isinstance(keys_, NostrKeys) else keys_.public_hex
    return Account(base_url=relays[0], credentials={"secret_key_hex": secret,
                                                    "relays": list(relays)},
                   remote_id=public, handle=keys.npub(public))


def unique(text: str = "note") -> str:
    return f"{text} {secrets.token_hex(4)}"


def publish(account: Account, draft: Draft) -> tuple[dict[str, Any], str]:
    """What the engine does: prepare once, publish with the stored result."""
    prepared = CONNECTOR.prepare(account, draft, "key")
    published = CONNECTOR.publish(account, draft, "key", (), prepared=prepared)
    return prepared["event"], published.remote_id


def seed(peer: NostrPeer, who: NostrKeys, content: str, *, kind: int = 1,
         tags: list[list[str]] | None = None, created_at: int | None = None) -> dict[str, Any]:
    event = peer.sign(who, content, kind=kind, tags=tags, created_at=created_at)
    answer = peer.publish(event)
    assert answer.ok, answer.message
    return event


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port
