"""NIP-01 events (events.py): serialization, id, BIP-340 signature, verification."""

from __future__ import annotations

import hashlib
import json

import coincurve
import pytest

from hubbub.networks.nostr import events, keys

PAIR = keys.parse_secret("67dea2ed018072d675f5415ecfaed7d2597555e202d85b3d65ea4e58d2d92ffa")


def test_serialization_is_compact_utf8_with_the_nip01_escapes() -> None:
    content = 'line\nquote" back\\ cr\r tab\t bs\b ff\f ctl\x01 é 🦩'
    raw = events.serialize("ab" * 32, 1700000000, 1, [["t", "x"]], content)
    expected = (
        '[0,"' + "ab" * 32 + '",1700000000,1,[["t","x"]],'
        '"line\\nquote\\" back\\\\ cr\\r tab\\t bs\\b ff\\f ctl\\u0001 é 🦩"]'
    ).encode()
    assert raw == expected


def test_a_signed_event_checks_out_independently() -> None:
    event = events.sign(PAIR.secret_hex, kind=1, content="hello ✨", tags=[["t", "hello"]],
                        created_at=1_700_000_000)
    assert event["pubkey"] == PAIR.public_hex
    assert event["created_at"] == 1_700_000_000
    # the id and signature, recomputed without events.py
    serial = json.dumps([0, event["pubkey"], event["created_at"], 1, [["t", "hello"]],
                         "hello ✨"], separators=(",", ":"), ensure_ascii=False)
    assert event["id"] == hashlib.sha256(serial.encode()).hexdigest()
    public = coincurve.PublicKeyXOnly(bytes.fromhex(event["pubkey"]))
    assert public.verify(bytes.fromhex(event["sig"]), bytes.fromhex(event["id"]))
    assert events.verify(event)


def test_signing_twice_gives_two_signatures_for_one_id() -> None:
    one = events.sign(PAIR.secret_hex, kind=1, content="x", created_at=1_700_000_000)
    two = events.sign(PAIR.secret_hex, kind=1, content="x", created_at=1_700_000_000)
    assert one["id"] == two["id"]
    assert one["sig"] != two["sig"]  # fresh aux randomness: why the engine stores the event
    assert events.verify(one)
    assert events.verify(two)


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("content", "tampered"),
        ("created_at", 1_700_000_001),
        ("tags", [["t", "other"]]),
        ("sig", "00" * 64),
        ("id", "00" * 32),
        pytest.param("pubkey", keys.generate_keypair().public_hex, id="pubkey-another-key"),
        ("kind", True),
        ("created_at", "1700000000"),
        ("tags", [["t", 1]]),
        ("pubkey", "zz" * 32),
    ],
)
def test_verify_refuses_any_change(field: str, value: object) -> None:
    event = events.sign(PAIR.secret_hex, kind=1, content="x", tags=[["t", "x"]],
                        created_at=1_700_000_000)
    assert not events.verify({**event, field: value})


def test_verify_refuses_what_is_not_an_event() -> None:
    for thing in (None, [], "event", {}, {"id": "x"}):
        assert not events.verify(thing)


def test_text_that_is_not_unicode_is_refused() -> None:
    with pytest.raises(ValueError, match="not valid Unicode"):
        events.sign(PAIR.secret_hex, kind=1, content="broken \ud800 surrogate")


def test_tag_values() -> None:
    event = {"tags": [["t", "a"], ["p", "b"], ["t", "c"], ["t"]]}
    assert events.tag_values(event, "t") == ["a", "c"]


def test_filters_are_checked_on_what_relays_send() -> None:
    event = events.sign(PAIR.secret_hex, kind=1, content="x", tags=[["t", "a"], ["p", "b" * 64]],
                        created_at=1_700_000_000)
    assert events.matches(event, {})
    assert events.matches(event, {"kinds": [1, 6], "authors": [PAIR.public_hex], "#t": ["a"],
                                  "since": 1_700_000_000, "until": 1_700_000_000, "limit": 1})
    assert events.matches(event, {"ids": [event["id"]], "#p": ["b" * 64, "c" * 64]})
    for wrong in ({"kinds": [0]}, {"authors": ["0" * 64]}, {"#t": ["other"]}, {"#e": ["x"]},
                  {"since": 1_700_000_001}, {"until": 1_699_999_999}, {"ids": ["1" * 64]}):
        assert not events.matches(event, wrong), wrong
