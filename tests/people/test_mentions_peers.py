"""Composer mentions of a Person against the real servers: one post saying "@[Ana Lima]" to a
Mastodon (the mock), a Bluesky (the dev network) and a Nostr (the relay) account lands on each
as a real mention (Mastodon's status mentions her account, Bluesky's record carries a mention
facet with her DID, the Nostr note `nostr:npub…` with a p tag of her key); a person with no
account on a network ("Bo", only on Mastodon) is written there by name."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth.models import User

from hubbub.networks.base import Account
from hubbub.networks.nostr import keys
from hubbub.people import services as people
from hubbub.publishing import engine
from hubbub.publishing.models import DeliveryState
from hubbub.publishing.services import create_post
from tests.integration.bluesky_support import person
from tests.timeline.conftest import connection_of

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_person_mentioned_on_three_networks(mastodon_peer: Any, bluesky_peer: Any,
                                              nostr_peer: Any) -> None:
    user = User.objects.create_user("mentioner")
    # The hub's three accounts.
    poster_m = mastodon_peer.new_account()
    masto = connection_of(user, "mastodon", Account(
        base_url=mastodon_peer.base_url, credentials={"access_token": poster_m.access_token},
        remote_id=poster_m.id, handle=f"@{poster_m.username}@localhost"))
    poster_b = person(bluesky_peer, "poster")
    sky = connection_of(user, "bluesky", poster_b.account)
    me = nostr_peer.keygen()
    nostr = connection_of(user, "nostr", Account(
        base_url=nostr_peer.url, credentials={"secret_key_hex": me.sk, "relays": [nostr_peer.url]},
        remote_id=me.pk, handle=keys.npub(me.pk)))
    # Ana has an account on each network; Bo only on Mastodon.
    ana_m, bo_m = mastodon_peer.new_account(), mastodon_peer.new_account()
    ana_b = bluesky_peer.create_account("ana")
    ana_n = nostr_peer.keygen()
    ana = people.create_person(user, "Ana Lima")
    people.add_account(ana, "mastodon", f"{ana_m.username}@localhost")
    people.add_account(ana, "bluesky", ana_b.handle)
    people.add_account(ana, "nostr", keys.npub(ana_n.pk))
    bo = people.create_person(user, "Bo")
    people.add_account(bo, "mastodon", f"{bo_m.username}@localhost")

    post = create_post(user=user, text="Thanks @[ana lima] and @[Bo] for the map",
                       connections=[masto, sky, nostr])
    assert post.text == "Thanks @[ana lima] and @[Bo] for the map"  # kept as typed
    for delivery in post.deliveries.all():
        engine.process(delivery.pk)
    states = {d.connection.network: d for d in post.deliveries.select_related("connection")}
    assert {n: d.state for n, d in states.items()} == dict.fromkeys(
        ("mastodon", "bluesky", "nostr"), DeliveryState.SENT), {
        n: d.last_error for n, d in states.items()}

    # Mastodon: both are real mentions of their accounts (same server: written @user).
    [status] = mastodon_peer.statuses(poster_m)
    assert {m["id"] for m in status["mentions"]} == {ana_m.id, bo_m.id}, status["content"]

    # Bluesky: a mention facet with Ana's DID over "@handle"; Bo by name.
    rkey = states["bluesky"].remote_id.rsplit("/", 1)[-1]
    record = bluesky_peer.get_record(poster_b.did, "app.bsky.feed.post", rkey)
    assert record is not None
    value = record["value"]
    assert value["text"] == f"Thanks @{ana_b.handle} and Bo for the map"
    features = [f for facet in value.get("facets", []) for f in facet["features"]]
    assert features == [{"$type": "app.bsky.richtext.facet#mention", "did": ana_b.did}]
    start = value["text"].encode().index(b"@")
    assert value["facets"][0]["index"] == {
        "byteStart": start, "byteEnd": start + len(ana_b.handle.encode()) + 1}

    # Nostr: NIP-27 reference in the content and Ana's key in a p tag; Bo by name.
    [note] = nostr_peer.query({"kinds": [1], "authors": [me.pk]})
    assert note["content"] == f"Thanks nostr:{keys.npub(ana_n.pk)} and Bo for the map"
    assert ["p", ana_n.pk] in note["tags"]
