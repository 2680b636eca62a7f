"""Smoke tests of the real Bluesky network and Nostr relay the connector tests run against.

Run: uv run pytest -p tests.peers.fixtures_open tests/peers_open/
"""

from __future__ import annotations

import time
from typing import Any

import pytest

from tests.peers.bluesky import BlueskyPeer, XrpcError, tid, wait_for
from tests.peers.nostr import NostrPeer


def test_bluesky_post_reaches_a_followers_timeline_through_the_appview(
    bluesky_peer: BlueskyPeer,
) -> None:
    peer = bluesky_peer
    assert peer.pds_url.startswith("http://localhost:")
    a = peer.create_account("alice")
    b = peer.create_account("bob")
    assert a.did.startswith("did:plc:")
    assert a.handle.endswith(".test")
    # The app password logs in, as the connector will.
    session = peer.login(a.handle, a.app_password)
    assert session["did"] == a.did

    peer.follow(a, b)
    created = peer.post(b, "hello from bob, via the reference PDS")
    assert created["uri"].startswith(f"at://{b.did}/app.bsky.feed.post/")

    def seen() -> dict[str, Any] | None:
        for item in peer.timeline(a):
            if item["post"]["uri"] == created["uri"]:
                return item
        return None

    item = wait_for(seen, timeout=15)
    assert item["post"]["author"]["did"] == b.did
    assert item["post"]["record"]["text"] == "hello from bob, via the reference PDS"
    # Apps ask their PDS, which proxies app.bsky.* reads to the AppView: same answer.
    assert created["uri"] in [i["post"]["uri"] for i in peer.timeline_via_pds(a)]


def test_bluesky_duplicate_tid_rkey_is_refused_and_the_first_record_stays(
    bluesky_peer: BlueskyPeer,
) -> None:
    peer = bluesky_peer
    b = peer.create_account("dup")
    rkey = tid()
    first = peer.post(b, "first", rkey=rkey)
    assert first["uri"].endswith(f"/app.bsky.feed.post/{rkey}")

    with pytest.raises(XrpcError) as refused:
        peer.post(b, "second", rkey=rkey)
    assert refused.value.status == 500  # the reference PDS: "There is already a value at key"

    record = peer.get_record(b.did, "app.bsky.feed.post", rkey)
    assert record is not None
    assert record["cid"] == first["cid"]
    assert record["value"]["text"] == "first"


def test_nostr_signed_note_is_stored_and_read_back(nostr_peer: NostrPeer) -> None:
    peer = nostr_peer
    assert peer.url.startswith("ws://127.0.0.1:")
    keys = peer.keygen()
    event = peer.sign(keys, "hello nostr from hubbub's tests 👋", tags=[["t", "hubbub"]])
    assert event["pubkey"] == keys.pk
    assert abs(event["created_at"] - time.time()) < 60

    assert peer.publish(event).ok
    # Resending the same event is how the connector retries: the relay says "duplicate:".
    again = peer.publish(event)
    assert again.message.startswith("duplicate:")

    events = peer.query({"authors": [keys.pk], "kinds": [1]})
    assert [e["id"] for e in events] == [event["id"]]
    assert events[0]["content"] == event["content"]
    assert peer.query({"#t": ["hubbub"], "authors": [keys.pk]})[0]["id"] == event["id"]


def test_nostr_relay_rejects_a_bad_signature(nostr_peer: NostrPeer) -> None:
    peer = nostr_peer
    keys = peer.keygen()
    event = peer.sign(keys, "tampered")
    event["content"] = "tampered after signing"
    answer = peer.publish(event)
    assert not answer.ok
    assert peer.query({"authors": [keys.pk]}) == []
