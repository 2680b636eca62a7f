"""NIP-17 chat messages in NIP-59 gift wraps, pure (no I/O): make them, open them.

A message is a kind-14 *rumor* (an event with an id but no signature), encrypted (NIP-44) to
one recipient inside a kind-13 *seal* signed by the sender, encrypted again inside a kind-1059
*gift wrap* signed by a one-time key and tagged `p` with the recipient. One wrap goes to each
recipient and one to the sender's own key (their other apps see what they sent).

Exactly once: every choice that would be random is derived instead, by HMAC-SHA256 keyed with
the sender's secret key, from the delivery's idempotency key, the recipient and the rumor's id
(`_derived`): the one-time wrap key, both NIP-44 nonces, both backdated times, the seal's
signature randomness. The same message sent again with the same key is then the same events,
byte for byte, and a relay that has them answers "duplicate". Nobody without the secret key can
predict those values, so they are as good as random to everyone else (the same reasoning as
RFC 6979's deterministic nonces); a nonce is never reused with another plaintext, because the
rumor's id, a hash of the whole message, is part of what it is derived from. The one-time key
depends on the idempotency key and the recipient only, so a retry can look for its own earlier
wrap by that key's public key before it knows the rest (direct.py).
"""

from __future__ import annotations

import hmac
import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import coincurve

from hubbub.networks.nostr import events, keys, nip44

CHAT_KIND = 14
SEAL_KIND = 13
GIFT_WRAP_KIND = 1059
# NIP-17/NIP-59: seals and wraps carry a time up to two days before the message's own.
BACKDATE_SECONDS = 2 * 24 * 3600
_CURVE_ORDER = 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141


class GiftWrapError(ValueError):
    """A wrap that cannot be opened or is not what it says (the reason, for a log line)."""


@dataclass(frozen=True)
class Opened:
    """An opened gift wrap: the rumor inside (a verified shape, id checked) and the wrap's id."""

    rumor: dict[str, Any]
    wrap_id: str

    @property
    def sender(self) -> str:
        return str(self.rumor["pubkey"])


def _derived(secret_hex: str, *parts: str) -> bytes:
    message = "\x1f".join(("hubbub nip17", *parts)).encode("utf-8")
    return hmac.digest(bytes.fromhex(secret_hex), message, "sha256")


def wrap_secret(sender_secret: str, idempotency_key: str, recipient: str) -> str:
    """The one-time key of the wrap of this message to `recipient` (hex secret)."""
    counter = 0
    while True:
        value = int.from_bytes(
            _derived(sender_secret, "wrap key", idempotency_key, recipient, str(counter)), "big")
        if 0 < value < _CURVE_ORDER:
            return value.to_bytes(32, "big").hex()
        counter += 1  # about 1 in 2**128: try the next one


def public_of(secret_hex: str) -> str:
    return keys.keypair_from_secret_hex(secret_hex).public_hex


def chat_rumor(sender: str, recipients: Sequence[str], text: str, created_at: int,
               reply_to: str = "") -> dict[str, Any]:
    """A kind-14 rumor: `p` tags for the recipients, an `e` tag for the message it answers.
    Raises ValueError for text that is not valid Unicode."""
    tags = [["p", pubkey] for pubkey in recipients]
    if reply_to:
        tags.append(["e", reply_to])
    rumor_id = events.compute_id(sender, created_at, CHAT_KIND, tags, text)
    return {"id": rumor_id, "pubkey": sender, "created_at": created_at, "kind": CHAT_KIND,
            "tags": tags, "content": text}


def _json(event: Mapping[str, Any]) -> str:
    return json.dumps(event, ensure_ascii=False, separators=(",", ":"))


def wrap(sender_secret: str, rumor: Mapping[str, Any], recipient: str,
         idempotency_key: str) -> events.Event:
    """The gift wrap of `rumor` for `recipient`, every random choice derived (see above).
    Raises nip44.MessageTooLong when the message does not fit NIP-44's 65,535 bytes at either
    layer, nip44.Nip44Error for a recipient key that is no point of the curve."""
    salt = (idempotency_key, recipient, str(rumor["id"]))
    seal_conv = nip44.conversation_key(sender_secret, recipient)
    seal = events.sign(
        sender_secret, kind=SEAL_KIND, tags=[],
        content=nip44.encrypt(_json(rumor), seal_conv, _derived(sender_secret, "seal nonce",
                                                                  *salt)),
        created_at=_backdated(int(rumor["created_at"]), _derived(sender_secret, "seal time",
                                                                 *salt)),
        aux=_derived(sender_secret, "seal aux", *salt),
    )
    one_time = wrap_secret(sender_secret, idempotency_key, recipient)
    wrap_conv = nip44.conversation_key(one_time, recipient)
    return events.sign(
        one_time, kind=GIFT_WRAP_KIND, tags=[["p", recipient]],
        content=nip44.encrypt(_json(seal), wrap_conv, _derived(sender_secret, "wrap nonce",
                                                               *salt)),
        created_at=_backdated(int(rumor["created_at"]), _derived(sender_secret, "wrap time",
                                                                 *salt)),
        aux=_derived(sender_secret, "wrap aux", *salt),
    )


def _backdated(when: int, derived: bytes) -> int:
    return max(0, when - int.from_bytes(derived[:8], "big") % BACKDATE_SECONDS)


def unwrap(own_secret: str, wrap_event: Mapping[str, Any]) -> Opened:
    """Open a gift wrap addressed to `own_secret`'s key: decrypt the wrap, check the seal (a
    signed kind 13 with no tags), decrypt it, check the rumor (its shape and id) and that the
    seal's signer wrote it (otherwise anyone could sign a seal for a rumor in another's name).
    Raises GiftWrapError saying what is wrong."""
    _check_wrap(wrap_event)
    return _open(wrap_event, (own_secret, str(wrap_event["pubkey"])), lambda seal: (
        own_secret, str(seal["pubkey"])))


def open_sent(sender_secret: str, idempotency_key: str, wrap_event: Mapping[str, Any]) -> Opened:
    """Open a wrap this sender made with this idempotency key, whoever it went to: the sender
    knows the one-time key (derived) and shares the seal's key with the recipient. A retry uses
    it to find what an earlier attempt sent. Raises GiftWrapError."""
    _check_wrap(wrap_event)
    recipient = next(iter(events.tag_values(wrap_event, "p")), "")
    if not keys.is_hex32(recipient):
        raise GiftWrapError("the wrap names no recipient")
    one_time = wrap_secret(sender_secret, idempotency_key, recipient)
    if public_of(one_time) != wrap_event["pubkey"]:
        raise GiftWrapError("the wrap was not made with this key")
    opened = _open(wrap_event, (one_time, recipient), lambda _seal: (sender_secret, recipient))
    if opened.sender != public_of(sender_secret):
        raise GiftWrapError("the wrap holds another sender's message")
    return opened


def _check_wrap(wrap_event: Mapping[str, Any]) -> None:
    if not events.verify(wrap_event) or wrap_event.get("kind") != GIFT_WRAP_KIND:
        raise GiftWrapError("not a signed gift wrap (kind 1059)")
    if len(str(wrap_event["content"])) > nip44.MAX_PAYLOAD_CHARS:
        raise GiftWrapError("the wrap's content is longer than any NIP-44 payload")


def _open(wrap_event: Mapping[str, Any], wrap_keys: tuple[str, str],
          seal_keys: Callable[[Mapping[str, Any]], tuple[str, str]]) -> Opened:
    """Both layers, each with (a secret key, the other side's public key) of its NIP-44
    conversation; the seal's keys may depend on the seal (its signer)."""
    seal = _open_layer(*wrap_keys, str(wrap_event["content"]), "wrap")
    if not events.verify(seal) or seal.get("kind") != SEAL_KIND:
        raise GiftWrapError("the wrap holds no signed seal (kind 13)")
    if seal.get("tags"):
        raise GiftWrapError("the seal has tags (NIP-59: a seal's tags are always empty)")
    rumor = _open_layer(*seal_keys(seal), str(seal["content"]), "seal")
    _check_rumor(rumor)
    if rumor["pubkey"] != seal["pubkey"]:
        raise GiftWrapError("the seal's signer is not the message's author (an impersonation)")
    return Opened(rumor=dict(rumor), wrap_id=str(wrap_event["id"]))


def _open_layer(own_secret: str, other: str, payload: str, layer: str) -> dict[str, Any]:
    try:
        plaintext = nip44.decrypt(payload, nip44.conversation_key(own_secret, other))
    except nip44.Nip44Error as exc:
        raise GiftWrapError(f"the {layer} cannot be decrypted ({exc})") from None
    try:
        inner = json.loads(plaintext)
    except ValueError:
        raise GiftWrapError(f"the {layer} does not hold JSON") from None
    if not isinstance(inner, dict):
        raise GiftWrapError(f"the {layer} does not hold an event")
    return inner


def _check_rumor(rumor: Mapping[str, Any]) -> None:
    signed_shape = {**rumor, "sig": "0" * 128}  # a rumor is an event without its signature
    if not events.well_formed(signed_shape):
        raise GiftWrapError("the rumor is not a well-formed event")
    try:
        expected = events.compute_id(rumor["pubkey"], rumor["created_at"], rumor["kind"],
                                     rumor["tags"], rumor["content"])
    except ValueError:
        raise GiftWrapError("the rumor's text is not valid Unicode") from None
    if rumor["id"] != expected:
        raise GiftWrapError("the rumor's id is not its hash")


def participants(rumor: Mapping[str, Any], own_pubkey: str) -> list[str]:
    """Everyone in the message's room (NIP-17: its author and its `p` tags) and the account
    itself, sorted hex keys."""
    people = {str(rumor["pubkey"]), own_pubkey}
    people.update(p for p in events.tag_values(rumor, "p") if keys.is_hex32(p))
    return sorted(people)


def is_point(pubkey: str) -> bool:
    """Can a message be encrypted to this x-only key?"""
    try:
        coincurve.PublicKey(b"\x02" + bytes.fromhex(pubkey))
    except ValueError:
        return False
    return True
