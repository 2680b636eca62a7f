"""NIP-17 messages in NIP-59 gift wraps (networks/nostr/giftwrap.py, direct.py's pure parts):
NIP-17's own example opened, our wraps opened by the other side only, identical on a retry,
and every dishonest or broken wrap refused with a reason."""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

import pytest

from hubbub.networks.base import Draft
from hubbub.networks.errors import Rejected
from hubbub.networks.nostr import direct, events, giftwrap, keys, nip44

EXAMPLE: dict[str, Any] = json.loads(
    (Path(__file__).parent / "data" / "nostr_dm" / "nip17_example.json").read_text())

ALICE = keys.keypair_from_secret_hex("11" * 32)
BOB = keys.keypair_from_secret_hex("22" * 32)
CAROL = keys.keypair_from_secret_hex("33" * 32)
MALLORY = keys.keypair_from_secret_hex("44" * 32)
NOW = 1_780_000_000


def rumor(text: str = "hello Bob", author: keys.KeyPair = ALICE,
          to: tuple[str, ...] = (BOB.public_hex,)) -> dict[str, Any]:
    return giftwrap.chat_rumor(author.public_hex, list(to), text, NOW)


def hand_wrap(seal_or_payload: dict[str, Any] | str, recipient: str,
              one_time: str = "55" * 32, kind: int = 1059) -> dict[str, Any]:
    """A wrap built by hand around a seal (or a ready payload), signed by a one-time key."""
    if isinstance(seal_or_payload, str):
        content = seal_or_payload
    else:
        conv = nip44.conversation_key(one_time, recipient)
        content = nip44.encrypt(json.dumps(seal_or_payload), conv, bytes(range(32)))
    return events.sign(one_time, kind=kind, content=content, tags=[["p", recipient]],
                       created_at=NOW)


def hand_seal(inner: dict[str, Any] | str, signer: keys.KeyPair, recipient: str,
              tags: list[list[str]] | None = None) -> dict[str, Any]:
    text = inner if isinstance(inner, str) else json.dumps(inner)
    conv = nip44.conversation_key(signer.secret_hex, recipient)
    return events.sign(signer.secret_hex, kind=13, tags=tags or [], created_at=NOW,
                       content=nip44.encrypt(text, conv, bytes(range(1, 33))))


@pytest.mark.parametrize("copy", ["to_receiver", "to_sender"])
def test_the_nip17_example_opens_for_its_recipient(copy: str) -> None:
    reader = EXAMPLE["receiver_nsec"] if copy == "to_receiver" else EXAMPLE["sender_nsec"]
    pair = keys.parse_secret(reader)
    sender = keys.parse_secret(EXAMPLE["sender_nsec"])
    opened = giftwrap.unwrap(pair.secret_hex, EXAMPLE[copy])
    assert opened.rumor["content"] == EXAMPLE["message"]
    assert opened.rumor["kind"] == 14
    assert opened.sender == sender.public_hex
    assert opened.wrap_id == EXAMPLE[copy]["id"]


def test_a_wrap_opens_for_its_recipient_and_nobody_else() -> None:
    wrap = giftwrap.wrap(ALICE.secret_hex, rumor(), BOB.public_hex, "key-1")
    assert wrap["kind"] == 1059
    assert wrap["tags"] == [["p", BOB.public_hex]]
    assert wrap["pubkey"] not in (ALICE.public_hex, BOB.public_hex)
    assert events.verify(wrap)
    opened = giftwrap.unwrap(BOB.secret_hex, wrap)
    assert opened.rumor == rumor()
    assert ALICE.public_hex not in json.dumps(wrap)  # the sender is nowhere in the clear
    with pytest.raises(giftwrap.GiftWrapError, match="cannot be decrypted"):
        giftwrap.unwrap(CAROL.secret_hex, wrap)


def test_the_same_key_makes_the_same_wrap_byte_for_byte() -> None:
    first = giftwrap.wrap(ALICE.secret_hex, rumor(), BOB.public_hex, "key-1")
    again = giftwrap.wrap(ALICE.secret_hex, rumor(), BOB.public_hex, "key-1")
    assert first == again
    other = giftwrap.wrap(ALICE.secret_hex, rumor(), BOB.public_hex, "key-2")
    assert other["pubkey"] != first["pubkey"]
    assert other["id"] != first["id"]
    edited = giftwrap.wrap(ALICE.secret_hex, rumor("hello again"), BOB.public_hex, "key-1")
    # the same one-time key (a retry finds it), but fresh nonces for other words
    assert edited["pubkey"] == first["pubkey"]
    assert edited["content"][:60] != first["content"][:60]


def test_seal_and_wrap_are_dated_up_to_two_days_before_the_message() -> None:
    for number in range(20):
        wrap = giftwrap.wrap(ALICE.secret_hex, rumor(), BOB.public_hex, f"key-{number}")
        seal = json.loads(nip44.decrypt(wrap["content"], nip44.conversation_key(
            BOB.secret_hex, wrap["pubkey"])))
        for when in (wrap["created_at"], seal["created_at"]):
            assert NOW - giftwrap.BACKDATE_SECONDS < when <= NOW
        assert seal["tags"] == []
        assert seal["pubkey"] == ALICE.public_hex


def test_a_seal_signed_by_another_than_the_author_is_refused() -> None:
    """Mallory seals a message that says it is Alice's."""
    forged = hand_wrap(hand_seal(rumor(), MALLORY, BOB.public_hex), BOB.public_hex)
    with pytest.raises(giftwrap.GiftWrapError, match="impersonation"):
        giftwrap.unwrap(BOB.secret_hex, forged)


def test_a_wrong_mac_is_refused() -> None:
    seal = hand_seal(rumor(), ALICE, BOB.public_hex)
    conv = nip44.conversation_key("55" * 32, BOB.public_hex)
    raw = bytearray(base64.b64decode(nip44.encrypt(json.dumps(seal), conv,
                                                                 bytes(32))))
    raw[-1] ^= 1
    payload = base64.b64encode(bytes(raw)).decode()
    with pytest.raises(giftwrap.GiftWrapError, match="MAC"):
        giftwrap.unwrap(BOB.secret_hex, hand_wrap(payload, BOB.public_hex))


@pytest.mark.parametrize(("wrap_of", "reason"), [
    (lambda: hand_wrap(hand_seal(rumor(), ALICE, BOB.public_hex, [["p", "x"]]),
                       BOB.public_hex), "tags"),
    (lambda: hand_wrap({**hand_seal(rumor(), ALICE, BOB.public_hex), "sig": "0" * 128},
                       BOB.public_hex), "no signed seal"),
    (lambda: hand_wrap(hand_seal({**rumor(), "content": "changed"}, ALICE, BOB.public_hex),
                       BOB.public_hex), "id is not its hash"),
    (lambda: hand_wrap(hand_seal({**rumor(), "tags": "p"}, ALICE, BOB.public_hex),
                       BOB.public_hex), "well-formed"),
    (lambda: hand_wrap(hand_seal("[1, 2]", ALICE, BOB.public_hex), BOB.public_hex),
     "an event"),
    (lambda: hand_wrap(hand_seal("not json", ALICE, BOB.public_hex), BOB.public_hex), "JSON"),
    (lambda: hand_wrap("A" * (nip44.MAX_PAYLOAD_CHARS + 1), BOB.public_hex), "longer"),
    (lambda: hand_wrap("#not-base64", BOB.public_hex), "version"),
    (lambda: hand_wrap(hand_seal(rumor(), ALICE, BOB.public_hex), BOB.public_hex, kind=1),
     "kind 1059"),
    (lambda: {**giftwrap.wrap(ALICE.secret_hex, rumor(), BOB.public_hex, "k"),
              "content": "tampered"}, "signed gift wrap"),
])
def test_broken_wraps_are_refused_with_a_reason(wrap_of: Any, reason: str) -> None:
    with pytest.raises(giftwrap.GiftWrapError, match=reason):
        giftwrap.unwrap(BOB.secret_hex, wrap_of())


def test_a_message_too_long_for_nip44_is_refused_before_anything_is_made() -> None:
    long = rumor("x" * 60_000)
    with pytest.raises(nip44.MessageTooLong):
        giftwrap.wrap(ALICE.secret_hex, long, BOB.public_hex, "key")
    fits = rumor("x" * 40_000)
    assert giftwrap.unwrap(BOB.secret_hex, giftwrap.wrap(
        ALICE.secret_hex, fits, BOB.public_hex, "key"))


def test_an_item_names_its_conversation_and_the_other_people() -> None:
    message = giftwrap.chat_rumor(ALICE.public_hex, [BOB.public_hex, CAROL.public_hex],
                                  "hi both", NOW, reply_to="ab" * 32)
    message["tags"].append(["subject", "Lunch"])
    message["id"] = events.compute_id(ALICE.public_hex, NOW, 14, message["tags"], "hi both")
    item = direct.item_from_opened(giftwrap.Opened(message, "cd" * 32), BOB.public_hex)
    assert item is not None
    assert item.kind == "direct"
    assert item.extra["conversation"] == ",".join(
        sorted([ALICE.public_hex, BOB.public_hex, CAROL.public_hex]))
    assert sorted(item.extra["participants"]) == sorted([ALICE.npub, CAROL.npub])
    assert item.author_handle == ALICE.npub
    assert item.text == "hi both"
    assert item.extra["in_reply_to"] == "ab" * 32
    assert item.extra["subject"] == "Lunch"
    assert item.created_at.timestamp() == NOW
    crowd = giftwrap.chat_rumor(ALICE.public_hex, [f"{n:064x}" for n in range(1, 120)], "hi",
                                NOW)
    assert direct.item_from_opened(giftwrap.Opened(crowd, "cd" * 32), BOB.public_hex) is None
    reaction = {**message, "kind": 7}
    assert direct.item_from_opened(giftwrap.Opened(reaction, "cd" * 32), BOB.public_hex) is None


def test_recipients_from_a_conversation() -> None:
    both = ",".join(sorted([ALICE.public_hex, BOB.public_hex]))
    assert direct.recipients({"conversation": both}, ALICE.public_hex) == [BOB.public_hex]
    assert direct.recipients({"participants": [BOB.npub]}, ALICE.public_hex) == [BOB.public_hex]
    for bad in ({"conversation": ALICE.public_hex}, {"conversation": "zz"},
                {"participants": ["@bob@example.social"]}, {},
                {"conversation": ",".join(f"{n:064x}" for n in range(1, 13))}):
        with pytest.raises(Rejected):
            direct.recipients(bad, ALICE.public_hex)


def test_dm_relay_lists_newest_first_and_usable_only() -> None:
    old = events.sign(BOB.secret_hex, kind=10050, content="", created_at=NOW - 10,
                      tags=[["relay", "wss://old.example"]])
    new = events.sign(BOB.secret_hex, kind=10050, content="", created_at=NOW,
                      tags=[["relay", "wss://Inbox.example/"], ["relay", "https://no"],
                            ["relay", "wss://inbox.example"]])
    empty = events.sign(CAROL.secret_hex, kind=10050, content="", tags=[["relay", "ftp://x"]])
    assert direct.inbox_relays_from([old, new, empty]) == {
        BOB.public_hex: ["wss://inbox.example"]}


@pytest.mark.parametrize(("draft", "said"), [
    (Draft(text="  "), "Write something"),
    (Draft(text="hi", content_warning="cw"), "content warning"),
])
def test_drafts_a_direct_message_cannot_carry(draft: Draft, said: str) -> None:
    with pytest.raises(Rejected, match=said):
        direct.send(None, ALICE, {"conversation": BOB.public_hex}, draft, "k")  # type: ignore[arg-type]


def test_the_sender_opens_what_it_sent_with_that_key_only() -> None:
    message = rumor()
    to_bob = giftwrap.wrap(ALICE.secret_hex, message, BOB.public_hex, "key-1")
    assert giftwrap.open_sent(ALICE.secret_hex, "key-1", to_bob).rumor == message
    with pytest.raises(giftwrap.GiftWrapError, match="not made with this key"):
        giftwrap.open_sent(ALICE.secret_hex, "key-2", to_bob)
    from_carol = giftwrap.wrap(CAROL.secret_hex, rumor(author=CAROL), BOB.public_hex, "key-1")
    with pytest.raises(giftwrap.GiftWrapError):
        giftwrap.open_sent(ALICE.secret_hex, "key-1", from_carol)
