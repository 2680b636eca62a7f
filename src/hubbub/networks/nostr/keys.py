"""Nostr keys and NIP-19 identifiers (npub, nsec, note, nprofile, nevent), over `bech32`.

Keys are secp256k1 (BIP-340 x-only public keys). Inside events and filters everything is hex;
the bech32 forms are for people: what they paste, what we show. The `bech32` package's decoder
has no 90-character cap (NIP-19 allows TLV strings up to 5000), and we add that cap ourselves.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import coincurve
from bech32 import bech32_decode, bech32_encode, convertbits

MAX_LENGTH = 5000  # NIP-19: longer strings are refused
_HEX32 = re.compile(r"^[0-9a-f]{64}$")
# TLV types (NIP-19)
_SPECIAL, _RELAY, _AUTHOR, _KIND = 0, 1, 2, 3


class InvalidKey(ValueError):
    """Text that is not the key or identifier it should be. The message is fit to show a person
    and never repeats the text itself (it may be a secret key)."""


@dataclass(frozen=True)
class KeyPair:
    secret_hex: str
    public_hex: str

    @property
    def nsec(self) -> str:
        return encode_bare("nsec", self.secret_hex)

    @property
    def npub(self) -> str:
        return encode_bare("npub", self.public_hex)


@dataclass(frozen=True)
class Entity:
    """A decoded NIP-19 string. `value` is the hex key or id (nsec/npub/note/nprofile/nevent)."""

    prefix: str
    value: str
    relays: tuple[str, ...] = field(default=())
    author: str = ""  # nevent: the event's pubkey, when given
    kind: int | None = None  # nevent: the event's kind, when given


def is_hex32(text: str) -> bool:
    return bool(_HEX32.match(text))


# --- bech32 -----------------------------------------------------------------------------------


def _encode(prefix: str, data: bytes) -> str:
    words = convertbits(data, 8, 5, True)
    if words is None:  # cannot happen for bytes
        raise InvalidKey("could not encode")
    return bech32_encode(prefix, words)


def _decode(text: str) -> tuple[str, bytes]:
    candidate = text.strip()
    if candidate.lower().startswith("nostr:"):
        candidate = candidate[len("nostr:") :]
    if len(candidate) > MAX_LENGTH:
        raise InvalidKey("It is too long to be a Nostr key or identifier.")
    prefix, words = bech32_decode(candidate)
    if prefix is None or words is None:
        raise InvalidKey("It is not a valid bech32 string (a character is wrong or missing).")
    data = convertbits(words, 5, 8, False)
    if data is None:
        raise InvalidKey("It is not a valid bech32 string (bad padding).")
    return prefix, bytes(data)


def encode_bare(prefix: str, hex_value: str) -> str:
    """npub/nsec/note from 32 bytes of hex."""
    if not is_hex32(hex_value):
        raise InvalidKey(f"A {prefix} needs 32 bytes of lowercase hex.")
    return _encode(prefix, bytes.fromhex(hex_value))


def encode_nprofile(pubkey: str, relays: tuple[str, ...] = ()) -> str:
    return _encode("nprofile", _tlv(pubkey, relays))


def encode_nevent(
    event_id: str, relays: tuple[str, ...] = (), author: str = "", kind: int | None = None
) -> str:
    data = _tlv(event_id, relays)
    if author:
        if not is_hex32(author):
            raise InvalidKey("An nevent author needs 32 bytes of lowercase hex.")
        data += bytes([_AUTHOR, 32]) + bytes.fromhex(author)
    if kind is not None:
        data += bytes([_KIND, 4]) + kind.to_bytes(4, "big")
    return _encode("nevent", data)


def _tlv(special_hex: str, relays: tuple[str, ...]) -> bytes:
    if not is_hex32(special_hex):
        raise InvalidKey("An id or key needs 32 bytes of lowercase hex.")
    data = bytes([_SPECIAL, 32]) + bytes.fromhex(special_hex)
    for relay in relays:
        raw = relay.encode("ascii")
        if len(raw) > 255:
            raise InvalidKey("A relay address longer than 255 bytes cannot be encoded.")
        data += bytes([_RELAY, len(raw)]) + raw
    return data


def decode(text: str) -> Entity:
    """Any of npub, nsec, note, nprofile, nevent (with or without a `nostr:` prefix)."""
    prefix, data = _decode(text)
    if prefix in ("npub", "nsec", "note"):
        if len(data) != 32:
            raise InvalidKey(f"This {prefix} does not hold 32 bytes.")
        return Entity(prefix=prefix, value=data.hex())
    if prefix in ("nprofile", "nevent"):
        return _decode_tlv(prefix, data)
    raise InvalidKey(f"'{prefix}1...' is not a Nostr key or note identifier this hub reads.")


def _decode_tlv(prefix: str, data: bytes) -> Entity:
    special = ""
    relays: list[str] = []
    author = ""
    kind: int | None = None
    pos = 0
    while pos < len(data):
        if pos + 2 > len(data):
            raise InvalidKey(f"This {prefix} is cut short.")
        kind_byte, length = data[pos], data[pos + 1]
        value = data[pos + 2 : pos + 2 + length]
        if len(value) != length:
            raise InvalidKey(f"This {prefix} is cut short.")
        pos += 2 + length
        if kind_byte == _SPECIAL and not special:
            if length != 32:
                raise InvalidKey(f"This {prefix} does not hold a 32-byte key or id.")
            special = value.hex()
        elif kind_byte == _RELAY:
            try:
                relays.append(value.decode("ascii"))
            except UnicodeDecodeError:
                continue  # a malformed hint is only a hint
        elif kind_byte == _AUTHOR and length == 32 and not author:
            author = value.hex()
        elif kind_byte == _KIND and length == 4 and kind is None:
            kind = int.from_bytes(value, "big")
        # unknown types are skipped, as NIP-19 asks
    if not special:
        raise InvalidKey(f"This {prefix} holds no key or id.")
    return Entity(prefix=prefix, value=special, relays=tuple(relays), author=author, kind=kind)


# --- keys -------------------------------------------------------------------------------------


def generate_keypair() -> KeyPair:
    """A fresh key pair from the operating system's randomness (coincurve uses os.urandom)."""
    return keypair_from_secret_hex(coincurve.PrivateKey().secret.hex())


def keypair_from_secret_hex(secret_hex: str) -> KeyPair:
    if not is_hex32(secret_hex):
        raise InvalidKey("A secret key is 64 hex characters (or an nsec1... string).")
    try:
        key = coincurve.PrivateKey(bytes.fromhex(secret_hex))
    except ValueError:
        raise InvalidKey("That secret key is outside the range secp256k1 allows.") from None
    return KeyPair(secret_hex=secret_hex, public_hex=key.public_key_xonly.format().hex())


def parse_secret(text: str) -> KeyPair:
    """A key pair from what a person pastes: an nsec1... string or 64 hex characters."""
    candidate = (text or "").strip()
    if not candidate:
        raise InvalidKey("Paste a secret key (nsec1...) or leave it empty to generate one.")
    if candidate.lower().startswith(("npub1", "nostr:npub1")):
        raise InvalidKey("That is a public key (npub): hubbub needs the secret key (nsec1...).")
    if is_hex32(candidate.lower()):
        return keypair_from_secret_hex(candidate.lower())
    if not candidate.lower().startswith("nsec1"):
        raise InvalidKey("A secret key starts with nsec1 (or is 64 hex characters).")
    entity = decode(candidate)
    return keypair_from_secret_hex(entity.value)


def parse_pubkey(text: str) -> str:
    """Hex public key from npub1..., nprofile1... (with or without nostr:) or hex."""
    candidate = (text or "").strip()
    if is_hex32(candidate.lower()):
        return candidate.lower()
    entity = decode(candidate)
    if entity.prefix not in ("npub", "nprofile"):
        raise InvalidKey(f"A {entity.prefix} is not a public key.")
    return entity.value


def parse_event_ref(text: str) -> Entity:
    """An event reference from hex, note1... or nevent1... (with or without nostr:)."""
    candidate = (text or "").strip()
    if is_hex32(candidate.lower()):
        return Entity(prefix="note", value=candidate.lower())
    entity = decode(candidate)
    if entity.prefix not in ("note", "nevent"):
        raise InvalidKey(f"A {entity.prefix} does not name a note.")
    return entity


def npub(pubkey_hex: str) -> str:
    return encode_bare("npub", pubkey_hex)


def short_npub(pubkey_hex: str) -> str:
    """npub1abcd...wxyz: for display where the whole key does not fit."""
    full = npub(pubkey_hex)
    return f"{full[:9]}…{full[-4:]}"


# --- naddr (NIP-19): an addressable event, e.g. a NIP-51 list -------------------------------


@dataclass(frozen=True)
class Address:
    kind: int
    author: str  # hex public key
    identifier: str  # the event's `d` tag
    relays: tuple[str, ...] = ()


def encode_naddr(address: Address) -> str:
    raw = address.identifier.encode("utf-8")
    if len(raw) > 255 or not is_hex32(address.author):
        raise InvalidKey("An naddr needs a `d` identifier of at most 255 bytes and an author.")
    data = bytes([_SPECIAL, len(raw)]) + raw
    for relay in address.relays:
        encoded = relay.encode("ascii")
        data += bytes([_RELAY, len(encoded)]) + encoded
    data += bytes([_AUTHOR, 32]) + bytes.fromhex(address.author)
    data += bytes([_KIND, 4]) + address.kind.to_bytes(4, "big")
    return _encode("naddr", data)


def decode_naddr(text: str) -> Address:
    """An naddr1... (with or without `nostr:`): its kind, author and `d` identifier."""
    prefix, data = _decode(text)
    if prefix != "naddr":
        raise InvalidKey("It is not an naddr (the address of a list or other replaceable event).")
    identifier: str | None = None
    author, kind, relays, pos = "", None, [], 0
    while pos + 2 <= len(data):
        tag, length = data[pos], data[pos + 1]
        value = data[pos + 2 : pos + 2 + length]
        if len(value) != length:
            raise InvalidKey("This naddr is cut short.")
        pos += 2 + length
        if tag == _SPECIAL and identifier is None:
            identifier = value.decode("utf-8", errors="replace")
        elif tag == _RELAY:
            relays.append(value.decode("ascii", errors="replace"))
        elif tag == _AUTHOR and length == 32 and not author:
            author = value.hex()
        elif tag == _KIND and length == 4 and kind is None:
            kind = int.from_bytes(value, "big")
    if identifier is None or not author or kind is None:
        raise InvalidKey("This naddr lacks its identifier, author or kind.")
    return Address(kind=kind, author=author, identifier=identifier, relays=tuple(relays))
