"""A small Nostr client for hubbub's tests, run by the relay's own venv (websockets, coincurve).

The project's venv has neither package yet, so tests/peers/nostr.py calls this script in a
subprocess. Every command reads one JSON document on stdin and prints one JSON document.

  client.py keygen               {}                          -> {"sk": hex, "pk": hex}
  client.py sign                 {"sk": hex, "event": {kind, content, tags?, created_at?}}
                                                             -> signed event (NIP-01)
  client.py publish URL [SECS]   signed event                -> {"ok": bool, "message": str}
  client.py query URL [SECS]     filter or [filter, ...]     -> [event, ...] (up to EOSE)
"""

from __future__ import annotations

import hashlib
import json
import os
import sys
import time
import uuid
from typing import Any

import coincurve
from websockets.sync.client import connect


def keygen() -> dict[str, str]:
    key = coincurve.PrivateKey()
    return {"sk": key.secret.hex(), "pk": key.public_key_xonly.format().hex()}


def event_id(pubkey: str, created_at: int, kind: int, tags: list[list[str]], content: str) -> str:
    serial = json.dumps(
        [0, pubkey, created_at, kind, tags, content], separators=(",", ":"), ensure_ascii=False
    )
    return hashlib.sha256(serial.encode()).hexdigest()


def sign(sk: str, template: dict[str, Any]) -> dict[str, Any]:
    key = coincurve.PrivateKey(bytes.fromhex(sk))
    pubkey = key.public_key_xonly.format().hex()
    created_at = int(template.get("created_at") or time.time())
    kind = int(template.get("kind", 1))
    tags = [list(map(str, t)) for t in template.get("tags", [])]
    content = str(template.get("content", ""))
    eid = event_id(pubkey, created_at, kind, tags, content)
    sig = key.sign_schnorr(bytes.fromhex(eid), os.urandom(32)).hex()
    return {
        "id": eid,
        "pubkey": pubkey,
        "created_at": created_at,
        "kind": kind,
        "tags": tags,
        "content": content,
        "sig": sig,
    }


def publish(url: str, event: dict[str, Any], timeout: float) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    with connect(url, open_timeout=timeout) as ws:
        ws.send(json.dumps(["EVENT", event]))
        while True:
            msg = json.loads(ws.recv(timeout=max(0.01, deadline - time.monotonic())))
            # nostr-relay 1.14 answers a rejected event (bad signature, too old) with an empty id,
            # after a throttle delay of 2 s (doubling on each rejection on the same connection).
            if msg[0] == "OK" and msg[1] in (event["id"], ""):
                return {"ok": bool(msg[2]), "message": msg[3] if len(msg) > 3 else ""}
            if msg[0] == "NOTICE":
                return {"ok": False, "message": f"NOTICE: {msg[1]}"}


def query(url: str, filters: dict[str, Any] | list[dict[str, Any]], timeout: float) -> list[Any]:
    if isinstance(filters, dict):
        filters = [filters]
    sub = uuid.uuid4().hex[:16]
    deadline = time.monotonic() + timeout
    events: list[Any] = []
    with connect(url, open_timeout=timeout) as ws:
        ws.send(json.dumps(["REQ", sub, *filters]))
        while True:
            msg = json.loads(ws.recv(timeout=max(0.01, deadline - time.monotonic())))
            if msg[0] == "EVENT" and msg[1] == sub:
                events.append(msg[2])
            elif msg[0] == "EOSE" and msg[1] == sub:
                ws.send(json.dumps(["CLOSE", sub]))
                return events
            elif msg[0] in ("CLOSED", "NOTICE"):
                raise RuntimeError(f"relay refused the REQ: {msg}")


def main(argv: list[str]) -> int:
    command = argv[1]
    doc = json.load(sys.stdin) if command != "keygen" else {}
    if command == "keygen":
        out: Any = keygen()
    elif command == "sign":
        out = sign(doc["sk"], doc["event"])
    elif command == "publish":
        out = publish(argv[2], doc, float(argv[3]) if len(argv) > 3 else 10.0)
    elif command == "query":
        out = query(argv[2], doc, float(argv[3]) if len(argv) > 3 else 10.0)
    else:
        print(f"unknown command {command!r}", file=sys.stderr)
        return 2
    json.dump(out, sys.stdout, ensure_ascii=False)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
