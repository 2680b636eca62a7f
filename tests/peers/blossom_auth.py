"""The Blossom stand-in's checks of what a client sends (tests/peers/blossom_server.py): the
signed Nostr event in an `Authorization: Nostr <token>` header (BUD-11 for uploads, NIP-98 for
NIP-96) and a multipart/form-data body. Written from the specs; every refusal carries the HTTP
status and the reason the server answers with."""

from __future__ import annotations

import base64
import binascii
import email.parser
import email.policy
import hashlib
import json
import time
from typing import Any

import coincurve

AUTH_KIND = 24242
HTTP_AUTH_KIND = 27235


class Refusal(Exception):
    def __init__(self, status: int, reason: str) -> None:
        super().__init__(reason)
        self.status = status
        self.reason = reason



def event_id(event: dict[str, Any]) -> str:
    data = [0, event["pubkey"], event["created_at"], event["kind"], event["tags"],
            event["content"]]
    text = json.dumps(data, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def decode_token(header: str) -> dict[str, Any]:
    scheme, _, token = header.strip().partition(" ")
    if scheme != "Nostr" or not token.strip():
        raise Refusal(401, "Missing Nostr authorization (Authorization: Nostr <token>)")
    token = token.strip()
    try:  # base64url without padding (BUD-11); plain base64 as the older text said
        padded = token + "=" * (-len(token) % 4)
        raw = base64.urlsafe_b64decode(padded.replace("+", "-").replace("/", "_"))
        event = json.loads(raw)
    except (binascii.Error, ValueError):
        raise Refusal(401, "The authorization token is not base64 of a JSON event") from None
    if not isinstance(event, dict):
        raise Refusal(401, "The authorization token is not an event")
    return event


def check_signature(event: dict[str, Any], kind: int) -> tuple[str, int, list[list[str]]]:
    """A well-formed event of `kind` whose id is its hash and whose signature is its author's:
    (pubkey, created_at, tags)."""
    try:
        pubkey = str(event["pubkey"])
        sig = bytes.fromhex(str(event["sig"]))
        created_at = int(event["created_at"])
        tags = [[str(v) for v in t] for t in event["tags"]]
        claimed = str(event["id"])
    except (KeyError, ValueError, TypeError):
        raise Refusal(401, "The authorization event is malformed") from None
    if event.get("kind") != kind:
        raise Refusal(401, f"The authorization event must be kind {kind}")
    if event_id(event) != claimed:
        raise Refusal(401, "The authorization event's id is not its hash")
    try:
        key = coincurve.PublicKeyXOnly(bytes.fromhex(pubkey))
        good = key.verify(sig, bytes.fromhex(claimed))
    except ValueError:
        good = False
    if not good:
        raise Refusal(401, "The authorization event's signature is not valid")
    return pubkey, created_at, tags


def check_event(event: dict[str, Any], verb: str, sha256: str, host: str) -> str:
    """The BUD-11 checks; returns the pubkey."""
    pubkey, created_at, tags = check_signature(event, AUTH_KIND)
    now = int(time.time())
    if created_at > now:
        raise Refusal(401, "The authorization event is dated in the future")
    expiration = [t[1] for t in tags if len(t) > 1 and t[0] == "expiration"]
    if not expiration or not expiration[0].isdigit() or int(expiration[0]) <= now:
        raise Refusal(401, "The authorization event has expired or has no expiration")
    if verb not in [t[1] for t in tags if len(t) > 1 and t[0] == "t"]:
        raise Refusal(401, f"The authorization event does not allow '{verb}'")
    servers = [t[1] for t in tags if len(t) > 1 and t[0] == "server"]
    if servers and host not in servers:
        raise Refusal(401, "The authorization event is for another server")
    if sha256 not in [t[1] for t in tags if len(t) > 1 and t[0] == "x"]:
        raise Refusal(401, "The authorization event does not name this blob (x tag)")
    return pubkey


def multipart(content_type: str, body: bytes) -> dict[str, tuple[bytes, str]]:
    """The fields of a multipart/form-data body: name -> (bytes, the part's type)."""
    if not content_type.startswith("multipart/form-data"):
        raise Refusal(400, "The upload must be multipart/form-data")
    parser = email.parser.BytesParser(policy=email.policy.HTTP)
    message = parser.parsebytes(f"Content-Type: {content_type}\r\n\r\n".encode() + body)
    fields: dict[str, tuple[bytes, str]] = {}
    for part in message.iter_parts():
        name = part.get_param("name", header="content-disposition")
        payload = part.get_payload(decode=True)
        if isinstance(name, str) and isinstance(payload, bytes):
            fields[name] = (payload, part.get_content_type())
    return fields
