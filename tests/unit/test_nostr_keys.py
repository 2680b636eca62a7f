"""NIP-19 (keys.py): the test vectors of the NIP-19 document, round trips, and refusals."""

from __future__ import annotations

import coincurve
import pytest

from hubbub.networks.nostr import keys

# From NIP-19 ("Examples" and "Bare keys and ids").
NPUB_VECTORS = [
    ("npub10elfcs4fr0l0r8af98jlmgdh9c8tcxjvz9qkw038js35mp4dma8qzvjptg",
     "7e7e9c42a91bfef19fa929e5fda1b72e0ebc1a4c1141673e2794234d86addf4e"),
    ("npub180cvv07tjdrrgpa0j7j7tmnyl2yr6yr7l8j4s3evf6u64th6gkwsyjh6w6",
     "3bf0c63fcb93463407af97a5e5ee64fa883d107ef9e558472c4eb9aaaefa459d"),
]
NSEC = "nsec1vl029mgpspedva04g90vltkh6fvh240zqtv9k0t9af8935ke9laqsnlfe5"
NSEC_HEX = "67dea2ed018072d675f5415ecfaed7d2597555e202d85b3d65ea4e58d2d92ffa"
NPROFILE = (
    "nprofile1qqsrhuxx8l9ex335q7he0f09aej04zpazpl0ne2cgukyawd24mayt8gpp4mhxue69uhhytnc9e3k7mgpz4m"
    "hxue69uhkg6nzv9ejuumpv34kytnrdaksjlyr9p"
)


@pytest.mark.parametrize(("npub", "hex_key"), NPUB_VECTORS)
def test_npub_vectors_both_ways(npub: str, hex_key: str) -> None:
    assert keys.decode(npub) == keys.Entity(prefix="npub", value=hex_key)
    assert keys.npub(hex_key) == npub
    assert keys.parse_pubkey(npub) == hex_key
    assert keys.parse_pubkey(f"nostr:{npub}") == hex_key


def test_nsec_vector_both_ways_and_its_public_key() -> None:
    pair = keys.parse_secret(NSEC)
    assert pair.secret_hex == NSEC_HEX
    assert pair.nsec == NSEC
    # the public key, computed independently of keys.py
    expected = coincurve.PrivateKey(bytes.fromhex(NSEC_HEX)).public_key_xonly.format().hex()
    assert pair.public_hex == expected
    assert keys.decode(pair.npub).value == expected


def test_nprofile_vector_decodes_and_encodes_back() -> None:
    entity = keys.decode(NPROFILE)
    assert entity.prefix == "nprofile"
    assert entity.value == "3bf0c63fcb93463407af97a5e5ee64fa883d107ef9e558472c4eb9aaaefa459d"
    assert entity.relays == ("wss://r.x.com", "wss://djbas.sadkb.com")
    assert keys.encode_nprofile(entity.value, entity.relays) == NPROFILE
    assert keys.parse_pubkey(NPROFILE) == entity.value
    assert len(NPROFILE) > 90  # longer than plain bech32 allows: the cap is NIP-19's 5000


def test_nevent_round_trip_with_author_kind_and_relays() -> None:
    event_id, author = "ab" * 32, "cd" * 32
    text = keys.encode_nevent(event_id, ("wss://relay.example.com",), author, 1)
    assert text.startswith("nevent1")
    entity = keys.parse_event_ref(text)
    assert (entity.value, entity.relays, entity.author, entity.kind) == (
        event_id, ("wss://relay.example.com",), author, 1)
    assert keys.parse_event_ref(keys.encode_bare("note", event_id)).value == event_id
    assert keys.parse_event_ref(event_id.upper()).value == event_id


def test_secret_as_hex_and_upper_case_and_padded() -> None:
    assert keys.parse_secret(f"  {NSEC_HEX.upper()}\n").secret_hex == NSEC_HEX
    assert keys.parse_secret(NSEC.upper()).secret_hex == NSEC_HEX  # bech32 allows all caps


def test_generated_pairs_are_distinct_and_consistent() -> None:
    first, second = keys.generate_keypair(), keys.generate_keypair()
    assert first.secret_hex != second.secret_hex
    assert keys.parse_secret(first.nsec) == first
    assert keys.short_npub(first.public_hex).startswith(first.npub[:9])


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("", "Paste a secret key"),
        (NPUB_VECTORS[0][0], "public key (npub)"),
        (NSEC[:-1] + ("q" if NSEC[-1] != "q" else "p"), "not a valid bech32"),  # checksum
        ("nsec1" + "x" * 20, "not a valid bech32"),
        ("hello", "starts with nsec1"),
        ("0" * 64, "outside the range"),
        ("f" * 64, "outside the range"),  # above the curve order
        (keys.encode_bare("note", NSEC_HEX), "starts with nsec1"),
        ("nsec1" + "q" * 6000, "too long"),
    ],
)
def test_bad_secrets_are_refused_without_echoing_them(text: str, says: str) -> None:
    with pytest.raises(keys.InvalidKey) as caught:
        keys.parse_secret(text)
    assert says in str(caught.value)
    if len(text) > 8:
        assert text not in str(caught.value)


def test_an_nsec_holding_the_wrong_length_is_refused() -> None:
    short = keys._encode("nsec", bytes(31))
    with pytest.raises(keys.InvalidKey, match="32 bytes"):
        keys.parse_secret(short)


def test_event_refs_refuse_keys() -> None:
    with pytest.raises(keys.InvalidKey, match="does not name a note"):
        keys.parse_event_ref(NPUB_VECTORS[0][0])
    with pytest.raises(keys.InvalidKey, match="not a public key"):
        keys.parse_pubkey(keys.encode_bare("note", NSEC_HEX))
