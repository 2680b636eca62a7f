"""Record keys: atproto TIDs (https://atproto.com/specs/tid).

A TID is 64 bits written as 13 characters of sortable base32 (`234567a-z`): the top bit 0, then
53 bits of microseconds since the Unix epoch, then a 10-bit "clock id". A post's record key must
be a TID (the PDS answers 400 to anything else), and because the client chooses it, it is what
makes a publish idempotent: a second createRecord with the same key cannot make a second post.
"""

from __future__ import annotations

import hashlib
import re
import secrets
import threading
import time
from datetime import UTC, datetime

ALPHABET = "234567abcdefghijklmnopqrstuvwxyz"
_TID = re.compile(r"^[234567abcdefghij][234567abcdefghijklmnopqrstuvwxyz]{12}$")
_CLOCK_BITS = 10
# For keys derived from an idempotency key (see derived_tid): microseconds from this instant.
_DERIVED_EPOCH_US = int(datetime(2023, 1, 1, tzinfo=UTC).timestamp()) * 1_000_000
_DERIVED_SPAN_BITS = 44  # ~203 days of microseconds after _DERIVED_EPOCH_US

_lock = threading.Lock()
_last_us = 0


def is_tid(value: str) -> bool:
    return bool(_TID.match(value))


def encode(value: int) -> str:
    if not 0 <= value < 1 << 63:
        raise ValueError("a TID is a 63-bit number")
    chars = []
    for _ in range(13):
        chars.append(ALPHABET[value & 31])
        value >>= 5
    return "".join(reversed(chars))


def decode(tid: str) -> int:
    if not is_tid(tid):
        raise ValueError(f"not a TID: {tid!r}")
    value = 0
    for char in tid:
        value = value << 5 | ALPHABET.index(char)
    return value


def new_tid() -> str:
    """A fresh TID for now: microseconds (strictly increasing within this process) and a random
    clock id, as the reference implementation mints them."""
    global _last_us
    with _lock:
        now_us = max(time.time_ns() // 1000, _last_us + 1)
        _last_us = now_us
    return encode(now_us << _CLOCK_BITS | secrets.randbelow(1 << _CLOCK_BITS))


def derived_tid(key: str) -> str:
    """A valid TID computed from an opaque idempotency key: the same key gives the same TID in
    every process, different keys collide with probability ~2^-54. Its timestamp means nothing
    (a fixed 2023 window, so it never sorts in the future); it is used only when no TID was
    prepared for the delivery (see BlueskyConnector.prepare)."""
    digest = int.from_bytes(hashlib.sha256(key.encode("utf-8")).digest()[:8], "big")
    offset = digest >> (64 - _DERIVED_SPAN_BITS)
    clock = digest & ((1 << _CLOCK_BITS) - 1)
    return encode((_DERIVED_EPOCH_US + offset) << _CLOCK_BITS | clock)


def timestamp(tid: str) -> datetime:
    """The instant a TID encodes."""
    return datetime.fromtimestamp((decode(tid) >> _CLOCK_BITS) / 1_000_000, UTC)
