"""The Nostr connector's live subscription against the real relay (nostr-relay, the
`nostr_peer` fixture), through the fault proxy where a test cuts or drops the connection: new
notes arrive without polling, nothing is missed across a reconnect, and close() ends it."""

from __future__ import annotations

import threading
import time
from typing import Any

import pytest

from hubbub.networks.base import Draft, Item
from hubbub.networks.errors import Rejected
from hubbub.networks.nostr import keys
from tests.integration.nostr_support import CONNECTOR, account_for, publish, seed, unique
from tests.peers.nostr import NostrPeer
from tests.peers.nostr_faults import NostrFaultProxy
from tests.waiting import until


def test_live_subscription_delivers_new_notes_without_polling(nostr_peer: NostrPeer) -> None:
    me, carol = nostr_peer.keygen(), nostr_peer.keygen()
    account = account_for(me, nostr_peer.url)
    seed(nostr_peer, carol, "said before subscribing", tags=[["p", me.pk]],
         created_at=int(time.time()) - 10)
    stream = CONNECTOR.stream(account, ["mentions", "author"])
    watchdog = threading.Timer(20.0, stream.close)  # a hung test ends instead of waiting
    watchdog.start()
    try:
        assert stream.wait_ready(10.0)
        mention = seed(nostr_peer, carol, f"ping nostr:{keys.npub(me.pk)}", tags=[["p", me.pk]])
        item: Item = next(stream)
        assert (item.remote_id, item.kind, item.extra["feed"]) == (
            mention["id"], "mention", "mentions")
        _e, mine = publish(account, Draft(text=unique("live")))
        own = next(stream)
        assert (own.remote_id, own.kind, own.extra["feed"]) == (mine, "post", "author")
    finally:
        watchdog.cancel()
        stream.close()
    assert list(stream) == []  # closed: iteration ends


def test_a_live_subscription_closes_from_another_thread(nostr_peer: NostrPeer) -> None:
    account = account_for(nostr_peer.keygen(), nostr_peer.url)
    stream = CONNECTOR.stream(account, ["home"])
    assert stream.wait_ready(10.0)
    got: list[list[Item]] = []
    reader = threading.Thread(target=lambda: got.append(list(stream)), daemon=True)
    reader.start()
    stream.close()  # from this thread, while the reader waits for events
    reader.join(60)  # a close that did not reach the reader would leave it waiting for ever
    assert not reader.is_alive()
    assert got == [[]]


def test_a_live_subscription_survives_a_dropped_relay_and_misses_nothing(
    nostr_peer: NostrPeer, proxy: NostrFaultProxy
) -> None:
    me, carol = nostr_peer.keygen(), nostr_peer.keygen()
    account = account_for(me, proxy.url)
    proxy.on_next("REQ", "drop")  # the first subscription's connection is cut at once
    stream = CONNECTOR.stream(account, ["mentions"])
    watchdog = threading.Timer(20.0, stream.close)
    watchdog.start()
    try:
        # said while the subscription is down (it reconnects after a second)
        said = seed(nostr_peer, carol, "while you were away", tags=[["p", me.pk]])
        assert next(stream).remote_id == said["id"]
        assert stream.wait_ready(10.0)
        later = seed(nostr_peer, carol, "and now", tags=[["p", me.pk]])
        assert next(stream).remote_id == later["id"]
    finally:
        watchdog.cancel()
        stream.close()


def test_a_future_dated_note_does_not_blind_the_subscription_after_a_reconnect(
    nostr_peer: NostrPeer, proxy: NostrFaultProxy
) -> None:
    """A hostile note dated 50 minutes ahead (this relay stores up to an hour ahead) arrives;
    the relay connection is then cut. The subscription asks again from the newest time it saw,
    but never from later than now: a mention said after the reconnect still arrives (asked from
    the hostile date, nothing would for 50 minutes)."""
    me, carol, mallory = nostr_peer.keygen(), nostr_peer.keygen(), nostr_peer.keygen()
    account = account_for(me, proxy.url)
    stream = CONNECTOR.stream(account, ["mentions"])
    watchdog = threading.Timer(60.0, stream.close)
    watchdog.start()
    try:
        assert stream.wait_ready(30.0)
        ahead = seed(nostr_peer, mallory, "from later today", tags=[["p", me.pk]],
                     created_at=int(time.time()) + 3_000)
        assert next(stream).remote_id == ahead["id"]
        before = proxy.accepted
        proxy.cut_all()
        until(lambda: proxy.accepted > before, "the subscription to reconnect")
        said = seed(nostr_peer, carol, "said after the reconnect", tags=[["p", me.pk]])
        assert next(stream).remote_id == said["id"]
    finally:
        watchdog.cancel()
        stream.close()


def test_a_live_subscription_with_no_usable_relay_raises(nostr_peer: NostrPeer,
                                                         settings: Any) -> None:
    settings.HUBBUB_ALLOW_PRIVATE_NETWORKS = []
    account = account_for(keys.generate_keypair(), nostr_peer.url)
    assert CONNECTOR.can_stream("hashtag:nostr")
    assert not CONNECTOR.can_stream("lists")
    stream = CONNECTOR.stream(account, ["hashtag:nostr"])
    try:
        with pytest.raises(Rejected, match="No relay can be followed from this hub"):
            next(stream)
    finally:
        stream.close()
