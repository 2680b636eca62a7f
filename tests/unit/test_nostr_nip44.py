"""NIP-44 v2 (networks/nostr/nip44.py) against the NIP's official test vectors
(tests/unit/data/nostr_dm/nip44.vectors.json; where they come from: NOTICE beside them)."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import coincurve
import pytest

from hubbub.networks.nostr import nip44

DATA = Path(__file__).parent / "data" / "nostr_dm"
VECTORS: dict[str, Any] = json.loads((DATA / "nip44.vectors.json").read_text())["v2"]
VALID = VECTORS["valid"]
INVALID = VECTORS["invalid"]


def public_of(secret_hex: str) -> str:
    return coincurve.PrivateKey(bytes.fromhex(secret_hex)).public_key_xonly.format().hex()


def test_the_vectors_are_the_ones_the_nip_names() -> None:
    digest = hashlib.sha256((DATA / "nip44.vectors.json").read_bytes()).hexdigest()
    assert digest == "269ed0f69e4c192512cc779e78c555090cebc7c785b609e338a62afc3ce25040"


@pytest.mark.parametrize("case", VALID["get_conversation_key"])
def test_conversation_key(case: dict[str, str]) -> None:
    assert nip44.conversation_key(case["sec1"], case["pub2"]).hex() == case["conversation_key"]


@pytest.mark.parametrize("case", VALID["get_message_keys"]["keys"])
def test_message_keys(case: dict[str, str]) -> None:
    conv = bytes.fromhex(VALID["get_message_keys"]["conversation_key"])
    chacha_key, chacha_nonce, hmac_key = nip44.message_keys(conv, bytes.fromhex(case["nonce"]))
    assert (chacha_key.hex(), chacha_nonce.hex(), hmac_key.hex()) == (
        case["chacha_key"], case["chacha_nonce"], case["hmac_key"])


@pytest.mark.parametrize(("unpadded", "padded"), VALID["calc_padded_len"])
def test_padded_length(unpadded: int, padded: int) -> None:
    assert nip44.padded_length(unpadded) == padded


@pytest.mark.parametrize("case", VALID["encrypt_decrypt"])
def test_encrypt_then_decrypt_from_the_other_side(case: dict[str, str]) -> None:
    conv = nip44.conversation_key(case["sec1"], public_of(case["sec2"]))
    assert conv.hex() == case["conversation_key"]
    payload = nip44.encrypt(case["plaintext"], conv, bytes.fromhex(case["nonce"]))
    assert payload == case["payload"]
    back = nip44.conversation_key(case["sec2"], public_of(case["sec1"]))
    assert back == conv
    assert nip44.decrypt(payload, back) == case["plaintext"]


@pytest.mark.parametrize("case", VALID["encrypt_decrypt_long_msg"])
def test_long_messages(case: dict[str, Any]) -> None:
    plaintext = case["pattern"] * case["repeat"]
    assert hashlib.sha256(plaintext.encode()).hexdigest() == case["plaintext_sha256"]
    conv = bytes.fromhex(case["conversation_key"])
    payload = nip44.encrypt(plaintext, conv, bytes.fromhex(case["nonce"]))
    assert hashlib.sha256(payload.encode()).hexdigest() == case["payload_sha256"]
    assert nip44.decrypt(payload, conv) == plaintext


@pytest.mark.parametrize("length", INVALID["encrypt_msg_lengths"])
def test_lengths_nip44_cannot_carry_are_refused(length: int) -> None:
    with pytest.raises(nip44.MessageTooLong):
        nip44.encrypt("a" * length, bytes(32), bytes(32))


@pytest.mark.parametrize("case", INVALID["get_conversation_key"], ids=lambda c: c["note"])
def test_bad_keys_are_refused(case: dict[str, str]) -> None:
    with pytest.raises(nip44.Nip44Error):
        nip44.conversation_key(case["sec1"], case["pub2"])


@pytest.mark.parametrize("case", INVALID["decrypt"], ids=lambda c: c["note"])
def test_bad_payloads_are_refused(case: dict[str, str]) -> None:
    """Unknown versions, bad base64, bad MACs, bad padding, payloads too short."""
    with pytest.raises(nip44.Nip44Error) as raised:
        nip44.decrypt(case["payload"], bytes.fromhex(case["conversation_key"]))
    note = case["note"].lower()
    said = str(raised.value).lower()
    for word in ("mac", "padding", "version", "base64"):
        if word in note:
            assert word in said, (note, said)


def test_a_payload_past_the_longest_possible_is_refused_before_decoding() -> None:
    huge = "A" * (nip44.MAX_PAYLOAD_CHARS + 4)
    with pytest.raises(nip44.Nip44Error, match="payload size"):
        nip44.decrypt(huge, bytes(32))


def test_the_longest_message_fits_under_that_bound() -> None:
    conv = bytes(range(32))
    payload = nip44.encrypt("x" * nip44.MAX_PLAINTEXT_BYTES, conv, bytes(32))
    assert len(payload) <= nip44.MAX_PAYLOAD_CHARS
    assert nip44.decrypt(payload, conv) == "x" * nip44.MAX_PLAINTEXT_BYTES


def test_a_lone_surrogate_is_refused_with_a_sentence() -> None:
    with pytest.raises(nip44.Nip44Error, match="Unicode"):
        nip44.encrypt("a\ud800b", bytes(32), bytes(32))
