"""Nostr direct messages (NIP-17, networks/nostr/direct.py) against the real relay
(nostr-relay 1.14, `nostr_peer`), and a second one for DM relay lists (kind 10050).

What is on the relays is checked through the peer's own client (tests/peers/nostr.py, another
process); what the hub reads and sends, through the connector. Wraps seeded by hand are
encrypted with nip44.py (checked against the NIP's vectors in tests/unit) and signed by the
peer's client."""

from __future__ import annotations

import base64
import json
import secrets
import socket
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest

from hubbub.networks.base import DIRECT_FEED, Account, Draft, Item
from hubbub.networks.errors import Rejected, Transient
from hubbub.networks.nostr import giftwrap, keys, nip44
from hubbub.networks.nostr.connector import NostrConnector
from tests.peers.nostr import NostrKeys, NostrPeer, start_nostr_peer
from tests.waiting import until

CONNECTOR = NostrConnector()


def account_for(who: NostrKeys, *relays: str) -> Account:
    return Account(base_url=relays[0], credentials={"secret_key_hex": who.sk,
                                                    "relays": list(relays)},
                   remote_id=who.pk, handle=keys.npub(who.pk))


def room(*people: NostrKeys) -> dict[str, Any]:
    return {"conversation": ",".join(sorted(p.pk for p in people))}


def wraps_for(peer: NostrPeer, who: NostrKeys) -> list[dict[str, Any]]:
    return peer.query({"kinds": [1059], "#p": [who.pk]})


def messages(account: Account) -> list[Item]:
    return list(CONNECTOR.fetch(account, DIRECT_FEED).items)


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


@pytest.fixture(scope="module")
def second_relay() -> Iterator[NostrPeer]:
    peer = start_nostr_peer()
    try:
        yield peer
    finally:
        peer.close()


def test_a_message_is_read_answered_and_seen_by_both_and_nobody_else(
        nostr_peer: NostrPeer) -> None:
    alice, bob, carol = nostr_peer.keygen(), nostr_peer.keygen(), nostr_peer.keygen()
    a, b = account_for(alice, nostr_peer.url), account_for(bob, nostr_peer.url)
    text = f"Lunch tomorrow? {secrets.token_hex(3)}"
    sent = CONNECTOR.send_direct(a, room(alice, bob), Draft(text=text), "key-1")

    [got] = messages(b)
    assert got.kind == "direct"
    assert got.remote_id == sent.remote_id
    assert got.text == text
    assert got.author_handle == keys.npub(alice.pk)
    assert got.extra["conversation"] == ",".join(sorted([alice.pk, bob.pk]))
    assert got.extra["participants"] == [keys.npub(alice.pk)]
    assert got.created_at == sent.created_at

    answer = CONNECTOR.send_direct(b, {**got.extra, "remote_id": got.remote_id},
                                   Draft(text="Yes, at noon"), "key-2")
    seen_by_alice = {i.remote_id: i for i in messages(a)}
    assert set(seen_by_alice) == {sent.remote_id, answer.remote_id}
    reply = seen_by_alice[answer.remote_id]
    assert reply.text == "Yes, at noon"
    assert reply.author_handle == keys.npub(bob.pk)
    assert reply.extra["in_reply_to"] == sent.remote_id
    assert reply.extra["participants"] == [keys.npub(bob.pk)]
    assert seen_by_alice[sent.remote_id].extra["conversation"] == got.extra["conversation"]
    assert {i.remote_id for i in messages(b)} == {sent.remote_id, answer.remote_id}

    # On the relay: two wraps each, by one-time keys, nothing in the clear; Carol can open none.
    wraps = wraps_for(nostr_peer, alice) + wraps_for(nostr_peer, bob)
    assert len(wraps) == 4
    for wrap in wraps:
        assert wrap["pubkey"] not in (alice.pk, bob.pk)
        assert text not in json.dumps(wrap)
        with pytest.raises(giftwrap.GiftWrapError):
            giftwrap.unwrap(carol.sk, wrap)
    assert messages(account_for(carol, nostr_peer.url)) == []


def test_sending_again_with_the_same_key_adds_nothing(nostr_peer: NostrPeer) -> None:
    alice, bob = nostr_peer.keygen(), nostr_peer.keygen()
    a = account_for(alice, nostr_peer.url)
    first = CONNECTOR.send_direct(a, room(alice, bob), Draft(text="once"), "same-key")
    before = (wraps_for(nostr_peer, alice), wraps_for(nostr_peer, bob))
    again = CONNECTOR.send_direct(a, room(alice, bob), Draft(text="once"), "same-key")
    assert again == first
    assert (wraps_for(nostr_peer, alice), wraps_for(nostr_peer, bob)) == before
    assert [len(w) for w in before] == [1, 1]
    with pytest.raises(Rejected, match="already sent with other words"):
        CONNECTOR.send_direct(a, room(alice, bob), Draft(text="twice"), "same-key")
    # A new key is a new message. (Other words: the same words in the same second are the same
    # rumor, which every NIP-17 reader, the hub's included, takes as one message.)
    CONNECTOR.send_direct(a, room(alice, bob), Draft(text="once more"), "another-key")
    assert len(wraps_for(nostr_peer, bob)) == 2
    assert len(messages(account_for(bob, nostr_peer.url))) == 2


def test_wraps_go_to_the_recipients_dm_relays(nostr_peer: NostrPeer,
                                              second_relay: NostrPeer) -> None:
    """Bob's kind-10050 list names the second relay: his wrap goes there and only there;
    Alice's own copy stays on her relay; Bob reads his list's relay as well as his own."""
    alice, bob = nostr_peer.keygen(), nostr_peer.keygen()
    listed = nostr_peer.sign(bob, "", kind=10050, tags=[["relay", second_relay.url]])
    assert nostr_peer.publish(listed).ok
    a = account_for(alice, nostr_peer.url)
    sent = CONNECTOR.send_direct(a, room(alice, bob), Draft(text="over there"), "k")
    assert wraps_for(nostr_peer, bob) == []
    assert len(wraps_for(second_relay, bob)) == 1
    assert len(wraps_for(nostr_peer, alice)) == 1
    [got] = messages(account_for(bob, nostr_peer.url))
    assert got.remote_id == sent.remote_id


def test_a_recipient_relay_that_fails_is_retried_into_one_message(
        nostr_peer: NostrPeer, second_relay: NostrPeer) -> None:
    """The first attempt stores Alice's copy, then Bob's DM relay is down: Transient. Once it
    is back, the retry with the same key sends the same message, and Bob has it once."""
    alice, bob = nostr_peer.keygen(), nostr_peer.keygen()
    dead = f"ws://127.0.0.1:{closed_port()}"
    now = int(time.time())
    assert nostr_peer.publish(nostr_peer.sign(bob, "", kind=10050, created_at=now - 100,
                                              tags=[["relay", dead]])).ok
    a = account_for(alice, nostr_peer.url)
    with pytest.raises(Transient, match="No relay took the direct message"):
        CONNECTOR.send_direct(a, room(alice, bob), Draft(text="are you there?"), "retry-key")
    assert len(wraps_for(nostr_peer, alice)) == 1  # the own copy went first
    assert nostr_peer.publish(nostr_peer.sign(bob, "", kind=10050, created_at=now - 50,
                                              tags=[["relay", second_relay.url]])).ok
    sent = CONNECTOR.send_direct(a, room(alice, bob), Draft(text="are you there?"),
                                 "retry-key")
    assert len(wraps_for(nostr_peer, alice)) == 1
    assert len(wraps_for(second_relay, bob)) == 1
    [got] = messages(account_for(bob, nostr_peer.url))
    assert got.remote_id == sent.remote_id


def _seed_wrap(peer: NostrPeer, to: NostrKeys, seal: dict[str, Any] | str,
               bad_mac: bool = False) -> None:
    one_time = peer.keygen()
    payload = seal if isinstance(seal, str) else nip44.encrypt(
        json.dumps(seal), nip44.conversation_key(one_time.sk, to.pk), secrets.token_bytes(32))
    if bad_mac:
        raw = bytearray(base64.b64decode(payload))
        raw[-1] ^= 0x80
        payload = base64.b64encode(bytes(raw)).decode()
    answer = peer.publish(peer.sign(one_time, payload, kind=1059, tags=[["p", to.pk]]))
    assert answer.ok, answer.message


def _seal(peer: NostrPeer, signer: NostrKeys, to: NostrKeys,
          rumor: dict[str, Any]) -> dict[str, Any]:
    payload = nip44.encrypt(json.dumps(rumor), nip44.conversation_key(signer.sk, to.pk),
                            secrets.token_bytes(32))
    return peer.sign(signer, payload, kind=13)


def test_dishonest_and_broken_wraps_are_skipped(nostr_peer: NostrPeer,
                                                caplog: pytest.LogCaptureFixture) -> None:
    alice, bob, mallory = nostr_peer.keygen(), nostr_peer.keygen(), nostr_peer.keygen()
    good = giftwrap.chat_rumor(alice.pk, [bob.pk], "the real one", 1_780_000_000)
    claims_alice = giftwrap.chat_rumor(alice.pk, [bob.pk], "send me your keys", 1_780_000_001)
    _seed_wrap(nostr_peer, bob, _seal(nostr_peer, mallory, bob, claims_alice))  # impersonation
    _seed_wrap(nostr_peer, bob, _seal(nostr_peer, alice, bob, good), bad_mac=True)
    _seed_wrap(nostr_peer, bob, "not base64 at all, far too short")
    _seed_wrap(nostr_peer, bob, _seal(nostr_peer, alice, bob, {**good, "id": "00" * 32}))
    _seed_wrap(nostr_peer, bob, _seal(nostr_peer, alice, bob, good))
    with caplog.at_level("WARNING", logger="hubbub.networks.nostr.direct"):
        items = messages(account_for(bob, nostr_peer.url))
    assert [i.text for i in items] == ["the real one"]
    said = caplog.text
    assert "impersonation" in said
    assert "invalid MAC" in said
    assert "id is not its hash" in said


def test_messages_too_long_are_refused_before_sending_and_relays_say_their_limit(
        nostr_peer: NostrPeer) -> None:
    alice, bob = nostr_peer.keygen(), nostr_peer.keygen()
    a = account_for(alice, nostr_peer.url)
    with pytest.raises(Rejected, match="too long for a Nostr direct message"):
        CONNECTOR.send_direct(a, room(alice, bob), Draft(text="x" * 60_000), "long")
    assert wraps_for(nostr_peer, alice) == []
    # nostr-relay takes 4,096 characters of content: a wrap of 2,000 is more, and it says so.
    with pytest.raises(Rejected, match="280 characters should be enough"):
        CONNECTOR.send_direct(a, room(alice, bob), Draft(text="y" * 2_000), "long-2")
    assert wraps_for(nostr_peer, bob) == []


def test_a_live_stream_brings_new_messages(nostr_peer: NostrPeer) -> None:
    alice, bob = nostr_peer.keygen(), nostr_peer.keygen()
    assert CONNECTOR.can_stream(DIRECT_FEED)
    stream = CONNECTOR.stream(account_for(bob, nostr_peer.url), [DIRECT_FEED])
    got: list[Item] = []
    reader = threading.Thread(target=lambda: got.extend(stream), daemon=True)
    try:
        assert stream.wait_ready(10.0)
        reader.start()
        sent = CONNECTOR.send_direct(account_for(alice, nostr_peer.url), room(alice, bob),
                                     Draft(text="live"), "live-key")
        until(lambda: bool(got), "the message on the live stream")
    finally:
        stream.close()
        reader.join(30)
    assert [(i.remote_id, i.text, i.extra["feed"]) for i in got] == [
        (sent.remote_id, "live", DIRECT_FEED)]


def test_messages_page_by_their_wraps_times_without_repeats_or_gaps(
        nostr_peer: NostrPeer) -> None:
    alice, bob = nostr_peer.keygen(), nostr_peer.keygen()
    a = account_for(alice, nostr_peer.url)
    sent = {CONNECTOR.send_direct(a, room(alice, bob), Draft(text=f"number {n}"),
                                  f"page-{n}").remote_id for n in range(45)}
    b = account_for(bob, nostr_peer.url)
    first = CONNECTOR.fetch(b, DIRECT_FEED)
    assert len(first.items) == 40
    assert first.next_cursor is not None
    second = CONNECTOR.fetch(b, DIRECT_FEED, first.next_cursor)
    assert second.next_cursor is None
    read = [i.remote_id for i in (*first.items, *second.items)]
    assert len(read) == len(set(read)) == 45
    assert set(read) == sent


def test_a_retry_finds_the_first_attempt_by_a_recipients_wrap_when_the_own_copy_is_gone(
        nostr_peer: NostrPeer, second_relay: NostrPeer) -> None:
    """The own copy is no longer on Alice's relay (deleted with its one-time key, as a relay
    that lost it would look); Bob's wrap from the first attempt, on his DM relay, still gives
    the retry the message's time: Bob keeps one message."""
    alice, bob = nostr_peer.keygen(), nostr_peer.keygen()
    assert nostr_peer.publish(nostr_peer.sign(bob, "", kind=10050,
                                              tags=[["relay", second_relay.url]])).ok
    a = account_for(alice, nostr_peer.url)
    first = CONNECTOR.send_direct(a, room(alice, bob), Draft(text="still one"), "lost-copy")
    [own_copy] = wraps_for(nostr_peer, alice)
    one_time = giftwrap.wrap_secret(alice.sk, "lost-copy", alice.pk)
    assert nostr_peer.publish(nostr_peer.sign(one_time, "", kind=5,
                                              tags=[["e", own_copy["id"]]])).ok
    until(lambda: wraps_for(nostr_peer, alice) == [], "the own copy gone from the relay")
    # a later second: a retry that took a new time would make a new message
    sent_at = first.created_at
    assert sent_at is not None
    until(lambda: time.time() >= sent_at.timestamp() + 1, "a later second")
    again = CONNECTOR.send_direct(a, room(alice, bob), Draft(text="still one"), "lost-copy")
    assert again == first
    assert len(wraps_for(second_relay, bob)) == 1
    [got] = messages(account_for(bob, nostr_peer.url))
    assert got.remote_id == first.remote_id
