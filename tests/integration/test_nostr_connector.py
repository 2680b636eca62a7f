"""NostrConnector against the real relay (nostr-relay 1.14, the `nostr_peer` fixture).

Seeding and checking go through the peer's own client (tests/peers/nostr.py: another process,
its own signing), never through the code under test, unless a test says otherwise.
"""

from __future__ import annotations

import hashlib
import json
import secrets
import threading
import time
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path
from typing import Any

import coincurve
import pytest

from hubbub.networks.base import Account, Draft
from hubbub.networks.errors import NotFound, RateLimited, Rejected, Transient
from hubbub.networks.nostr import events, keys, mapping
from hubbub.networks.nostr.relay import RelayPool
from tests.integration.nostr_support import (
    CONNECTOR,
    account_for,
    closed_port,
    publish,
    seed,
    unique,
)
from tests.peers.nostr import NostrPeer
from tests.peers.nostr_faults import NostrFaultProxy

# --- connect ----------------------------------------------------------------------------------


def test_connect_generates_a_key_pair(nostr_peer: NostrPeer) -> None:
    connected = CONNECTOR.connect_with_token(nostr_peer.url, {"nsec": "",
                                                              "relays": [nostr_peer.url + "/"]})
    assert connected.base_url == nostr_peer.url
    assert set(connected.credentials) == {"secret_key_hex", "relays"}
    assert connected.credentials["relays"] == [nostr_peer.url]
    pair = keys.keypair_from_secret_hex(connected.credentials["secret_key_hex"])
    assert connected.identity.remote_id == pair.public_hex
    assert connected.identity.handle == pair.npub
    assert connected.identity.display_name == keys.short_npub(pair.public_hex)
    assert connected.identity.profile_url == f"https://njump.me/{pair.npub}"


def test_connect_imports_an_nsec_and_reads_the_profile(nostr_peer: NostrPeer) -> None:
    them = nostr_peer.keygen()  # made by the peer's client, not by keys.py
    seed(nostr_peer, them, json.dumps({"name": "tester", "display_name": "Nostr Tester",
                                       "picture": "https://img.example/t.png"}), kind=0)
    nsec = keys.encode_bare("nsec", them.sk)
    connected = CONNECTOR.connect_with_token("", {"nsec": f" {nsec}\n",
                                                  "relays": [nostr_peer.url]})
    assert connected.identity.remote_id == them.pk
    assert connected.identity.handle == keys.npub(them.pk)
    assert connected.identity.display_name == "Nostr Tester"
    assert connected.identity.avatar_url == "https://img.example/t.png"
    assert connected.credentials["secret_key_hex"] == them.sk
    identity = CONNECTOR.whoami(Account(base_url=connected.base_url,
                                        credentials=connected.credentials))
    assert identity == connected.identity


@pytest.mark.parametrize(
    ("credentials", "says"),
    [
        ({"nsec": "nsec1notakey"}, "That secret key cannot be used"),
        ({"nsec": keys.generate_keypair().npub}, "public key (npub)"),
        ({"nsec": "", "relays": ["https://relay.example.com"]}, "must start with wss://"),
        ({"nsec": "", "relays": []}, "at least one relay"),
    ],
)
def test_connect_refuses_bad_keys_and_addresses(nostr_peer: NostrPeer,
                                                credentials: dict[str, Any], says: str) -> None:
    relays = credentials.setdefault("relays", [nostr_peer.url])
    with pytest.raises(Rejected, match=says.replace("(", r"\(").replace(")", r"\)")):
        CONNECTOR.connect_with_token("", {**credentials, "relays": relays})


class _NotARelay(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_GET(self) -> None:
        self.send_response(404)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, format: str, *args: Any) -> None:
        pass


def test_connect_says_why_no_relay_answered(nostr_peer: NostrPeer, settings: Any) -> None:
    dead = f"ws://127.0.0.1:{closed_port()}"
    with pytest.raises(NotFound, match=r"127\.0\.0\.1:\d+: the connection was refused"):
        CONNECTOR.connect_with_token(dead, {"nsec": ""})
    with pytest.raises(NotFound, match="could not be resolved"):
        CONNECTOR.connect_with_token("wss://relay.invalid", {"nsec": ""})
    web = HTTPServer(("127.0.0.1", 0), _NotARelay)
    threading.Thread(target=web.serve_forever, daemon=True).start()
    try:
        with pytest.raises(NotFound, match="answered HTTP 404 instead of opening a websocket"):
            CONNECTOR.connect_with_token(f"ws://127.0.0.1:{web.server_port}", {"nsec": ""})
    finally:
        web.shutdown()
    # One relay answering is enough; the dead one is kept (it may come back).
    connected = CONNECTOR.connect_with_token("", {"nsec": "", "relays": [dead, nostr_peer.url]})
    assert connected.credentials["relays"] == [dead, nostr_peer.url]
    # The SSRF guard: loopback is allowed in tests only through this setting.
    settings.HUBBUB_ALLOW_PRIVATE_NETWORKS = []
    with pytest.raises(Rejected, match=r"No relay can be used from this hub.*loopback"):
        CONNECTOR.connect_with_token(nostr_peer.url, {"nsec": ""})


# --- publish ----------------------------------------------------------------------------------


def test_a_published_note_is_signed_and_stored_by_the_relay(nostr_peer: NostrPeer) -> None:
    account = account_for(nostr_peer.keygen(), nostr_peer.url)
    text = unique("hello ✨ \"quoted\"\nsecond line")
    event, remote_id = publish(account, Draft(text=text))
    [stored] = nostr_peer.query({"ids": [remote_id]})
    assert stored == event
    assert (stored["kind"], stored["content"], stored["pubkey"]) == (1, text, account.remote_id)
    # id and signature checked here without events.py
    serial = json.dumps([0, stored["pubkey"], stored["created_at"], 1, stored["tags"], text],
                        separators=(",", ":"), ensure_ascii=False)
    assert stored["id"] == hashlib.sha256(serial.encode()).hexdigest()
    assert coincurve.PublicKeyXOnly(bytes.fromhex(stored["pubkey"])).verify(
        bytes.fromhex(stored["sig"]), bytes.fromhex(stored["id"]))


def test_the_same_stored_event_sent_again_is_success_and_stored_once(
    nostr_peer: NostrPeer,
) -> None:
    account = account_for(nostr_peer.keygen(), nostr_peer.url)
    draft = Draft(text=unique("once"))
    prepared = CONNECTOR.prepare(account, draft, "k")
    first = CONNECTOR.publish(account, draft, "k", (), prepared=prepared)
    again = CONNECTOR.publish(account, draft, "k", (), prepared=json.loads(json.dumps(prepared)))
    assert again.remote_id == first.remote_id
    assert len(nostr_peer.query({"authors": [account.remote_id]})) == 1
    # what the relay said to the resend (nostr-relay 1.14: false + "duplicate:")
    answer = nostr_peer.publish(prepared["event"])
    assert (answer.ok, answer.message) == (False, "duplicate: exists")


def test_hashtags_and_mentions_become_tags(nostr_peer: NostrPeer) -> None:
    account = account_for(nostr_peer.keygen(), nostr_peer.url)
    alice, bob = nostr_peer.keygen(), nostr_peer.keygen()
    nprofile = keys.encode_nprofile(bob.pk, (nostr_peer.url,))
    text = f"Hello #Nostr and #HubBub, @{keys.npub(alice.pk)} and nostr:{nprofile} #nostr"
    _event, remote_id = publish(account, Draft(text=text))
    [stored] = nostr_peer.query({"ids": [remote_id]})
    assert stored["tags"] == [["p", alice.pk], ["p", bob.pk], ["t", "nostr"], ["t", "hubbub"]]
    assert stored["content"] == text.replace(f"@{keys.npub(alice.pk)}",
                                             f"nostr:{keys.npub(alice.pk)}")
    # the relay indexes them: the tags can be queried
    assert [e["id"] for e in nostr_peer.query({"#t": ["hubbub"], "#p": [alice.pk]})] == [
        remote_id]


def test_replies_carry_nip10_root_and_reply_tags(nostr_peer: NostrPeer) -> None:
    me, alice, bob = nostr_peer.keygen(), nostr_peer.keygen(), nostr_peer.keygen()
    account = account_for(me, nostr_peer.url)
    root = seed(nostr_peer, alice, unique("root"))
    _e, first = publish(account, Draft(text="a reply", in_reply_to=keys.encode_bare(
        "note", root["id"])))
    [mine] = nostr_peer.query({"ids": [first]})
    assert mine["tags"] == [["e", root["id"], nostr_peer.url, "root", alice.pk],
                            ["p", alice.pk]]
    theirs = seed(nostr_peer, bob, "answering you", tags=[
        ["e", root["id"], "", "root", alice.pk], ["e", first, "", "reply", me.pk],
        ["p", alice.pk], ["p", me.pk]])
    nevent = keys.encode_nevent(theirs["id"], (nostr_peer.url,), bob.pk)
    _e, second = publish(account, Draft(text="deeper", in_reply_to=nevent))
    [deeper] = nostr_peer.query({"ids": [second]})
    assert deeper["tags"] == [
        ["e", root["id"], nostr_peer.url, "root", alice.pk],
        ["e", theirs["id"], nostr_peer.url, "reply", bob.pk],
        ["p", bob.pk],
        ["p", alice.pk],
    ]
    # the thread can be read back by its root
    assert {e["id"] for e in nostr_peer.query({"#e": [root["id"]]})} == {
        first, theirs["id"], second}


def test_a_relay_refusal_is_rejected_with_its_reason(nostr_peer: NostrPeer) -> None:
    account = account_for(nostr_peer.keygen(), nostr_peer.url)
    # nostr-relay refuses content over 4096 characters (and does not say so in NIP-11)
    with pytest.raises(Rejected, match=r"Every relay refused the note .*invalid: 280 characters"):
        publish(account, Draft(text="x" * 4100))
    assert nostr_peer.query({"authors": [account.remote_id]}) == []


def test_a_bad_signature_is_refused_by_the_relay_with_an_empty_id(nostr_peer: NostrPeer) -> None:
    """Below the connector (which refuses a damaged stored event before sending): the relay's
    own answer, an OK with an empty id after its throttle, is read as a refusal."""
    pair = keys.generate_keypair()
    event = events.sign(pair.secret_hex, kind=1, content="signed")
    forged = {**event, "sig": events.sign(pair.secret_hex, kind=1, content="other")["sig"]}
    with RelayPool([nostr_peer.url]) as pool:
        [outcome] = pool.publish(forged)
    assert (outcome.status, outcome.message) == ("refused", "invalid: Bad signature")
    account = account_for(pair, nostr_peer.url)
    with pytest.raises(Rejected, match="damaged"):
        CONNECTOR.publish(account, Draft(text="signed"), "k", (), prepared={"event": forged})
    other = account_for(keys.generate_keypair(), nostr_peer.url)
    with pytest.raises(Rejected, match="another key"):
        CONNECTOR.publish(other, Draft(text="signed"), "k", (), prepared={"event": event})


def test_a_stored_event_that_no_longer_matches_the_post_is_not_sent(
    nostr_peer: NostrPeer,
) -> None:
    account = account_for(nostr_peer.keygen(), nostr_peer.url)
    prepared = CONNECTOR.prepare(account, Draft(text="before the edit"), "k")
    with pytest.raises(Rejected, match="changed after it was signed"):
        CONNECTOR.publish(account, Draft(text="after the edit"), "k", (), prepared=prepared)
    assert nostr_peer.query({"authors": [account.remote_id]}) == []


def test_find_published_by_the_stored_event(nostr_peer: NostrPeer) -> None:
    account = account_for(nostr_peer.keygen(), nostr_peer.url)
    since = datetime.now(UTC)
    draft = Draft(text=unique("find me"))
    prepared = CONNECTOR.prepare(account, draft, "k")
    assert CONNECTOR.find_published(account, draft, "k", since, prepared=prepared) is None
    published = CONNECTOR.publish(account, draft, "k", (), prepared=prepared)
    found = CONNECTOR.find_published(account, draft, "k", since, prepared=prepared)
    assert found is not None
    assert found.remote_id == published.remote_id


def test_one_dead_relay_does_not_stop_a_post(nostr_peer: NostrPeer) -> None:
    dead = f"ws://127.0.0.1:{closed_port()}"
    account = account_for(nostr_peer.keygen(), dead, nostr_peer.url)
    _event, remote_id = publish(account, Draft(text=unique("despite")))
    assert [e["id"] for e in nostr_peer.query({"ids": [remote_id]})] == [remote_id]
    only_dead = account_for(nostr_peer.keygen(), dead)
    with pytest.raises(Transient, match="the connection was refused"):
        publish(only_dead, Draft(text=unique("nowhere")))


def test_relay_refusals_by_prefix(nostr_peer: NostrPeer, proxy: NostrFaultProxy) -> None:
    account = account_for(nostr_peer.keygen(), proxy.url)
    proxy.on_next("EVENT", "refuse", reply="rate-limited: slow down there chief")
    before = time.time()
    with pytest.raises(RateLimited) as caught:
        publish(account, Draft(text=unique("too fast")))
    assert 50 < caught.value.retry_at.timestamp() - before < 70
    proxy.on_next("EVENT", "refuse", reply="blocked: you are banned from posting here")
    with pytest.raises(Rejected, match="blocked: you are banned from posting here"):
        publish(account, Draft(text=unique("banned")))
    proxy.on_next("EVENT", "refuse", reply="error: could not connect to the database")
    with pytest.raises(Transient, match="error: could not connect"):
        publish(account, Draft(text=unique("db down")))
    assert nostr_peer.query({"authors": [account.remote_id]}) == []


# --- delete and reactions ---------------------------------------------------------------------


def test_delete_sends_a_nip09_deletion(nostr_peer: NostrPeer) -> None:
    account = account_for(nostr_peer.keygen(), nostr_peer.url)
    _event, remote_id = publish(account, Draft(text=unique("regret")))
    CONNECTOR.delete(account, keys.encode_bare("note", remote_id))
    assert nostr_peer.query({"ids": [remote_id]}) == []
    [deletion] = nostr_peer.query({"kinds": [5], "authors": [account.remote_id]})
    assert deletion["tags"] == [["e", remote_id], ["k", "1"]]
    CONNECTOR.delete(account, remote_id)  # already gone: fine


def test_like_and_repost(nostr_peer: NostrPeer) -> None:
    account = account_for(nostr_peer.keygen(), nostr_peer.url)
    alice = nostr_peer.keygen()
    note = seed(nostr_peer, alice, unique("likeable"))
    like_id = CONNECTOR.react(account, note["id"], "like")
    [like] = nostr_peer.query({"ids": [like_id]})
    assert (like["kind"], like["content"]) == (7, "+")
    assert like["tags"] == [["e", note["id"], nostr_peer.url], ["p", alice.pk], ["k", "1"]]
    repost_id = CONNECTOR.react(account, keys.encode_bare("note", note["id"]), "repost")
    [repost] = nostr_peer.query({"ids": [repost_id]})
    assert repost["kind"] == 6
    assert json.loads(repost["content"]) == note
    assert repost["tags"] == [["e", note["id"], nostr_peer.url], ["p", alice.pk]]
    with pytest.raises(NotFound):
        CONNECTOR.react(account, "ab" * 32, "like")
    with pytest.raises(NotImplementedError):
        CONNECTOR.react(account, note["id"], "bookmark")
    # the repost reads back as one, showing alice's note
    items = CONNECTOR.fetch(account, "author").items
    assert [(i.kind, i.remote_id, i.author_handle) for i in items] == [
        ("repost", repost_id, keys.npub(alice.pk))]


# --- reading ----------------------------------------------------------------------------------


def test_home_is_the_people_followed_and_own_notes(nostr_peer: NostrPeer) -> None:
    me, alice, carol = nostr_peer.keygen(), nostr_peer.keygen(), nostr_peer.keygen()
    account = account_for(me, nostr_peer.url)
    seed(nostr_peer, me, "", kind=3, tags=[["p", alice.pk]])
    seed(nostr_peer, alice, json.dumps({"name": "alice", "display_name": "Alice"}), kind=0)
    from_alice = seed(nostr_peer, alice, unique("from alice"))
    seed(nostr_peer, carol, unique("from carol, not followed"))
    _e, mine = publish(account, Draft(text=unique("mine")))
    page = CONNECTOR.fetch(account, "home")
    assert {i.remote_id for i in page.items} == {mine, from_alice["id"]}
    [by_alice] = [i for i in page.items if i.remote_id == from_alice["id"]]
    assert (by_alice.author_handle, by_alice.author_name, by_alice.kind) == (
        keys.npub(alice.pk), "Alice", "post")
    assert page.next_cursor is None


def test_mentions_and_hashtags(nostr_peer: NostrPeer) -> None:
    me, carol = nostr_peer.keygen(), nostr_peer.keygen()
    account = account_for(me, nostr_peer.url)
    tag = f"t{secrets.token_hex(4)}"
    mention = seed(nostr_peer, carol, f"hi nostr:{keys.npub(me.pk)} #{tag}",
                   tags=[["p", me.pk], ["t", tag]])
    [item] = CONNECTOR.fetch(account, "mentions").items
    assert (item.remote_id, item.kind, item.author_handle) == (
        mention["id"], "mention", keys.npub(carol.pk))
    [tagged] = CONNECTOR.fetch(account, f"hashtag:{tag.upper()}").items
    assert tagged.remote_id == mention["id"]


def test_paging_walks_back_without_losing_notes(nostr_peer: NostrPeer) -> None:
    """45 notes one second apart (signed and sent with hubbub's own client for speed)."""
    alice = keys.generate_keypair()
    tag = f"p{secrets.token_hex(4)}"
    now = int(time.time())
    made = [events.sign(alice.secret_hex, kind=1, content=f"n{i}", tags=[["t", tag]],
                        created_at=now - 100 - i) for i in range(45)]
    with RelayPool([nostr_peer.url]) as pool:
        for event in made:
            assert pool.publish(event)[0].stored
    account = account_for(keys.generate_keypair(), nostr_peer.url)
    first = CONNECTOR.fetch(account, f"hashtag:{tag}")
    assert [i.text for i in first.items] == [f"n{i}" for i in range(40)]
    assert first.next_cursor is not None
    assert first.next_cursor.startswith(f"{now - 100 - 39}:")
    second = CONNECTOR.fetch(account, f"hashtag:{tag}", first.next_cursor)
    assert [i.text for i in second.items] == [f"n{i}" for i in range(40, 45)]
    assert second.next_cursor is None


# --- capabilities -----------------------------------------------------------------------------


def test_capabilities_from_nip11_through_the_guard(nostr_peer: NostrPeer,
                                                   proxy: NostrFaultProxy) -> None:
    pair = keys.generate_keypair()
    real = CONNECTOR.capabilities(account_for(pair, nostr_peer.url))
    assert real.text_limit == mapping.DEFAULT_TEXT_LIMIT  # nostr-relay states no limitation
    fixtures = Path(mapping.__file__).parent / "fixtures"
    proxy.serve_document(json.loads((fixtures / "nip11_limited_relay.json").read_text()))
    both = CONNECTOR.capabilities(account_for(pair, nostr_peer.url, proxy.url))
    assert both.text_limit == 8196
    dead = f"ws://127.0.0.1:{closed_port()}"
    assert CONNECTOR.capabilities(account_for(pair, dead)).text_limit == (
        mapping.DEFAULT_TEXT_LIMIT)
