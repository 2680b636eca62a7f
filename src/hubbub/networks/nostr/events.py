"""NIP-01 events: serialization, id, BIP-340 signature (coincurve), and checks on what relays send.

An event's id is the sha256 of `[0, pubkey, created_at, kind, tags, content]` serialized as
compact UTF-8 JSON (NIP-01). Python's `json.dumps(..., separators=(",", ":"),
ensure_ascii=False)` writes exactly the escapes NIP-01 names (\\n \\" \\\\ \\r \\t \\b \\f) and
`\\u00XX` for the other control characters, as JavaScript's JSON.stringify does.
"""

from __future__ import annotations

import hashlib
import json
import os
import time
from collections.abc import Mapping, Sequence
from typing import Any, TypeIs

import coincurve

from hubbub.networks.nostr.keys import is_hex32

Tags = list[list[str]]
Event = dict[str, Any]  # the wire shape: id, pubkey, created_at, kind, tags, content, sig

_SIG_HEX_LENGTH = 128


def serialize(pubkey: str, created_at: int, kind: int, tags: Sequence[Sequence[str]],
              content: str) -> bytes:
    """The NIP-01 serialization the id is the hash of. Raises ValueError for text that is not
    valid Unicode (a lone surrogate cannot be encoded as UTF-8)."""
    data = [0, pubkey, created_at, kind, [list(t) for t in tags], content]
    text = json.dumps(data, separators=(",", ":"), ensure_ascii=False)
    try:
        return text.encode("utf-8")
    except UnicodeEncodeError:
        raise ValueError("The text contains characters that are not valid Unicode.") from None


def compute_id(pubkey: str, created_at: int, kind: int, tags: Sequence[Sequence[str]],
               content: str) -> str:
    return hashlib.sha256(serialize(pubkey, created_at, kind, tags, content)).hexdigest()


def sign(secret_hex: str, *, kind: int, content: str, tags: Sequence[Sequence[str]] = (),
         created_at: int | None = None, aux: bytes | None = None) -> Event:
    """A signed event. The signature uses fresh auxiliary randomness, as BIP-340 recommends:
    sign once and keep the result when an identical event is needed again. `aux` (32 bytes)
    replaces it where the very same signature must come out again (a NIP-59 seal, whose
    signature is inside an encrypted payload that a retry must repeat byte for byte)."""
    key = coincurve.PrivateKey(bytes.fromhex(secret_hex))
    pubkey = key.public_key_xonly.format().hex()
    when = int(time.time()) if created_at is None else int(created_at)
    clean_tags = [[str(value) for value in tag] for tag in tags]
    event_id = compute_id(pubkey, when, kind, clean_tags, content)
    signature = key.sign_schnorr(bytes.fromhex(event_id), os.urandom(32) if aux is None else aux)
    return {
        "id": event_id,
        "pubkey": pubkey,
        "created_at": when,
        "kind": kind,
        "tags": clean_tags,
        "content": content,
        "sig": signature.hex(),
    }


def well_formed(data: object) -> TypeIs[Mapping[str, Any]]:
    """The NIP-01 shape, with the right types (no signature check)."""
    if not isinstance(data, Mapping):
        return False
    tags = data.get("tags")
    created_at = data.get("created_at")
    kind = data.get("kind")
    sig = data.get("sig")
    return (
        isinstance(data.get("id"), str) and is_hex32(data["id"])
        and isinstance(data.get("pubkey"), str) and is_hex32(data["pubkey"])
        and isinstance(created_at, int) and not isinstance(created_at, bool) and created_at >= 0
        and isinstance(kind, int) and not isinstance(kind, bool) and 0 <= kind <= 65535
        and isinstance(data.get("content"), str)
        and isinstance(tags, list)
        and all(isinstance(t, list) and all(isinstance(v, str) for v in t) for t in tags)
        and isinstance(sig, str) and len(sig) == _SIG_HEX_LENGTH
    )


def verify(data: object) -> bool:
    """Is this a well-formed event whose id is its hash and whose signature is its author's?"""
    if not well_formed(data):
        return False
    try:
        expected = compute_id(
            data["pubkey"], data["created_at"], data["kind"], data["tags"], data["content"]
        )
        if expected != data["id"]:
            return False
        public = coincurve.PublicKeyXOnly(bytes.fromhex(data["pubkey"]))
        return bool(public.verify(bytes.fromhex(data["sig"]), bytes.fromhex(data["id"])))
    except ValueError:  # not a point on the curve, bad hex, bad text
        return False


def tag_values(event: Mapping[str, Any], name: str) -> list[str]:
    """The values of every tag called `name` (the second element), in order."""
    return [t[1] for t in event.get("tags", ()) if len(t) > 1 and t[0] == name]


def matches(event: Mapping[str, Any], wanted: Mapping[str, Any]) -> bool:
    """Does the event pass this NIP-01 filter? (`until` read as inclusive, as NIP-01 says;
    `limit` is not a condition.) Relays are not trusted to have applied it."""
    for key, field_name in (("ids", "id"), ("authors", "pubkey"), ("kinds", "kind")):
        if key in wanted and event.get(field_name) not in wanted[key]:
            return False
    created_at = event.get("created_at", 0)
    if "since" in wanted and created_at < wanted["since"]:
        return False
    if "until" in wanted and created_at > wanted["until"]:
        return False
    for key, values in wanted.items():
        if key.startswith("#") and len(key) == 2 and not set(tag_values(event, key[1])) & set(
            values
        ):
            return False
    return True
