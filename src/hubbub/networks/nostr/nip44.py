"""NIP-44 version 2: the encrypted payloads NIP-17 direct messages (and NIP-59 gift wraps) carry.

Written from the NIP (nostr-protocol/nips 44.md), checked against its official test vectors
(tests/unit/data/nip44.vectors.json):

- conversation key: HKDF-extract(salt "nip44-v2", IKM = the unhashed 32-byte x coordinate of
  secret_a * public_B), the same from either side;
- message keys: HKDF-expand(conversation key, info = the 32-byte nonce, 76 bytes) -> ChaCha20
  key (32), ChaCha20 nonce (12), HMAC key (32);
- the plaintext (UTF-8, 1 to 65,535 bytes) behind a big-endian u16 length, zero-padded to
  `padded_length`; encrypted with ChaCha20 (RFC 8439, counter 0); an HMAC-SHA256 over
  nonce + ciphertext; base64 of version byte 2, nonce, ciphertext, MAC.

The 2026 amendment that allows longer plaintexts behind a 6-byte prefix is not used: no client
we know writes it yet, and a message that long is no direct message. A payload whose length
prefix is 0 (that amendment's marker) is refused as bad padding, as the published vectors ask.
"""

from __future__ import annotations

import base64
import binascii
import hmac
import math

import coincurve
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms

VERSION = 2
SALT = b"nip44-v2"
MIN_PLAINTEXT_BYTES = 1
MAX_PLAINTEXT_BYTES = 65_535
# version 1 + nonce 32 + (2 + at most 65,536 padded) + MAC 32, base64: the longest payload there
# can be. Anything longer is refused before it is decoded (a relay can send megabytes).
MIN_PAYLOAD_CHARS = 132
MAX_PAYLOAD_CHARS = 4 * math.ceil((1 + 32 + 2 + 65_536 + 32) / 3)
_MIN_DECODED_BYTES = 99


class Nip44Error(ValueError):
    """A payload or key NIP-44 refuses. The message says which rule, never any secret."""


class MessageTooLong(Nip44Error):
    """A plaintext over 65,535 UTF-8 bytes (or empty): NIP-44 v2 cannot carry it."""


def conversation_key(secret_hex: str, public_hex: str) -> bytes:
    """The key two people share: conv(a, B) == conv(b, A). Raises Nip44Error for a secret key
    outside 1..n-1 or a public key that is no point of secp256k1 (an x-only key, even y)."""
    try:
        secret = bytes.fromhex(secret_hex)
        public = bytes.fromhex(public_hex)
    except ValueError:
        raise Nip44Error("a key is not hex") from None
    if len(secret) != 32 or len(public) != 32:
        raise Nip44Error("a key is not 32 bytes")
    try:
        coincurve.PrivateKey(secret)  # checks 1 <= secret < n
    except ValueError:
        raise Nip44Error("the secret key is outside the range secp256k1 allows") from None
    try:
        point = coincurve.PublicKey(b"\x02" + public)
    except ValueError:
        raise Nip44Error("the public key is not a point on secp256k1") from None
    shared_x = point.multiply(secret).format(compressed=True)[1:]
    return hmac.digest(SALT, shared_x, "sha256")


def message_keys(conv_key: bytes, nonce: bytes) -> tuple[bytes, bytes, bytes]:
    """(chacha_key, chacha_nonce, hmac_key): HKDF-expand(conv_key, info=nonce, L=76)."""
    if len(conv_key) != 32:
        raise Nip44Error("the conversation key is not 32 bytes")
    if len(nonce) != 32:
        raise Nip44Error("the nonce is not 32 bytes")
    okm = b""
    block = b""
    counter = 1
    while len(okm) < 76:
        block = hmac.digest(conv_key, block + nonce + bytes([counter]), "sha256")
        okm += block
        counter += 1
    return okm[0:32], okm[32:44], okm[44:76]


def padded_length(unpadded: int) -> int:
    """The length a plaintext of `unpadded` bytes is padded to (at least 32; past 256, steps of
    an eighth of the next power of two)."""
    if unpadded <= 32:
        return 32
    next_power = 1 << ((unpadded - 1).bit_length())
    chunk = 32 if next_power <= 256 else next_power // 8
    return chunk * ((unpadded - 1) // chunk + 1)


def _pad(plaintext: str) -> bytes:
    try:
        raw = plaintext.encode("utf-8")
    except UnicodeEncodeError:
        raise Nip44Error("the text is not valid Unicode") from None
    if not MIN_PLAINTEXT_BYTES <= len(raw) <= MAX_PLAINTEXT_BYTES:
        raise MessageTooLong(
            f"NIP-44 carries 1 to {MAX_PLAINTEXT_BYTES:,} bytes; this is {len(raw):,}")
    return len(raw).to_bytes(2, "big") + raw + bytes(padded_length(len(raw)) - len(raw))


def _unpad(padded: bytes) -> str:
    length = int.from_bytes(padded[0:2], "big")
    raw = padded[2 : 2 + length]
    if length == 0 or len(raw) != length or len(padded) != 2 + padded_length(length):
        raise Nip44Error("invalid padding")
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        raise Nip44Error("the decrypted text is not UTF-8") from None


def _chacha20(key: bytes, nonce: bytes, data: bytes) -> bytes:
    # cryptography's ChaCha20 takes 16 bytes: the 32-bit little-endian counter (0), then the
    # 96-bit nonce of RFC 8439.
    cipher = Cipher(algorithms.ChaCha20(key, bytes(4) + nonce), mode=None)
    return cipher.encryptor().update(data)


def encrypt(plaintext: str, conv_key: bytes, nonce: bytes) -> str:
    """The base64 payload. `nonce` is 32 bytes that must never be used again with another
    plaintext under this conversation key (random, or derived from a secret and what makes
    the message unique). Raises MessageTooLong, Nip44Error."""
    chacha_key, chacha_nonce, hmac_key = message_keys(conv_key, nonce)
    ciphertext = _chacha20(chacha_key, chacha_nonce, _pad(plaintext))
    mac = hmac.digest(hmac_key, nonce + ciphertext, "sha256")
    return base64.b64encode(bytes([VERSION]) + nonce + ciphertext + mac).decode("ascii")


def decrypt(payload: str, conv_key: bytes) -> str:
    """The plaintext of a payload. Raises Nip44Error saying which check failed (unknown
    version, size, base64, MAC, padding)."""
    if not payload or payload[0] == "#":
        raise Nip44Error("unknown encryption version")
    if not MIN_PAYLOAD_CHARS <= len(payload) <= MAX_PAYLOAD_CHARS:
        raise Nip44Error(f"invalid payload size ({len(payload)} characters)")
    try:
        data = base64.b64decode(payload, validate=True)
    except (binascii.Error, ValueError):
        raise Nip44Error("invalid base64") from None
    if len(data) < _MIN_DECODED_BYTES:
        raise Nip44Error("invalid data size")
    if data[0] != VERSION:
        raise Nip44Error(f"unknown encryption version {data[0]}")
    nonce, ciphertext, mac = data[1:33], data[33:-32], data[-32:]
    chacha_key, chacha_nonce, hmac_key = message_keys(conv_key, nonce)
    expected = hmac.digest(hmac_key, nonce + ciphertext, "sha256")
    if not hmac.compare_digest(expected, mac):
        raise Nip44Error("invalid MAC")
    return _unpad(_chacha20(chacha_key, chacha_nonce, ciphertext))

