"""The benches' own Nostr client for the test relay (nostr-relay on loopback): key pairs, signed
NIP-01 events, one kept connection that publishes and waits for each OK, and a query up to
EOSE. Written for the benches (coincurve and websockets are the hub's own dependencies); the
hub's code is not used to post or to check what landed."""

from __future__ import annotations

import hashlib
import json
import os
import secrets
import threading
import time
from dataclasses import dataclass
from typing import Any

import coincurve
from websockets.sync.client import ClientConnection, connect


@dataclass(frozen=True)
class Keys:
    sk: str  # hex secret
    pk: str  # hex x-only public key


def keygen() -> Keys:
    key = coincurve.PrivateKey()
    return Keys(key.secret.hex(), key.public_key_xonly.format().hex())


def sign(keys: Keys, content: str, kind: int = 1,
         tags: list[list[str]] | None = None) -> dict[str, Any]:
    tags = tags or []
    created = int(time.time())
    serial = json.dumps([0, keys.pk, created, kind, tags, content], separators=(",", ":"),
                        ensure_ascii=False)
    eid = hashlib.sha256(serial.encode()).hexdigest()
    sig = coincurve.PrivateKey(bytes.fromhex(keys.sk)).sign_schnorr(bytes.fromhex(eid),
                                                                  os.urandom(32))
    return {"id": eid, "pubkey": keys.pk, "created_at": created, "kind": kind, "tags": tags,
            "content": content, "sig": sig.hex()}


class Publisher:
    """One websocket to the relay, kept: publish() sends an event and returns once the relay's
    OK for it came back (raises when it refused it)."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.lock = threading.Lock()
        self.ws: ClientConnection | None = None

    def _ws(self) -> ClientConnection:
        if self.ws is None:
            self.ws = connect(self.url, open_timeout=30, max_size=None)
        return self.ws

    def publish(self, event: dict[str, Any], timeout: float = 30.0) -> None:
        with self.lock:
            ws = self._ws()
            ws.send(json.dumps(["EVENT", event]))
            deadline = time.monotonic() + timeout
            while True:
                message = json.loads(ws.recv(timeout=max(0.01, deadline - time.monotonic())))
                if message[0] == "OK" and message[1] in (event["id"], ""):
                    if not message[2]:
                        raise RuntimeError(f"the relay refused {event['id']}: {message[3:]}")
                    return
                if message[0] == "NOTICE":
                    raise RuntimeError(f"the relay said: {message[1]}")

    def close(self) -> None:
        if self.ws is not None:
            self.ws.close()
            self.ws = None


def query(url: str, filters: list[dict[str, Any]], timeout: float = 60.0) -> list[dict[str, Any]]:
    """["REQ", sub, *filters] -> the stored events up to EOSE."""
    sub = secrets.token_hex(8)
    events: list[dict[str, Any]] = []
    deadline = time.monotonic() + timeout
    with connect(url, open_timeout=30, max_size=None) as ws:
        ws.send(json.dumps(["REQ", sub, *filters]))
        while True:
            message = json.loads(ws.recv(timeout=max(0.01, deadline - time.monotonic())))
            if message[0] == "EVENT" and message[1] == sub:
                events.append(message[2])
            elif message[0] in ("EOSE", "CLOSED") and message[1] == sub:
                return events
