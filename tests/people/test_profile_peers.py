"""Profile-link suggestions against the real servers: Ana has an account on the Mastodon mock,
on the Bluesky dev network and on a Nostr relay, under three different names (so no name
suggestion joins them). Her Mastodon profile field links to her Bluesky, her Bluesky bio to her
Mastodon, her Nostr bio names her Mastodon handle. The hub reads the three home timelines,
then the authors' profiles through each connection (the network's own API), and suggests her
Mastodon and Bluesky (linking each other) as one person and her Nostr bio's mention of her
Mastodon as a pair of its own, saying why; once linked, the mention offers to add her Nostr to
her. Bo, whose profiles link nowhere, is not suggested."""

from __future__ import annotations

import json
import time
from typing import Any

import pytest
from django.contrib.auth.models import User

from hubbub.connections.models import Connection
from hubbub.networks.base import Account, Draft
from hubbub.networks.nostr import keys
from hubbub.people import profiles, suggest
from hubbub.people.models import AuthorProfile
from hubbub.timeline.models import Feed, Item
from hubbub.timeline.polling import poll_feed
from hubbub.timeline.selectors import ensure_feed
from tests.peers.mastodon import update_profile
from tests.timeline.conftest import connection_of
from tests.waiting import until

pytestmark = pytest.mark.django_db(transaction=True)


def _poll(feed: Feed) -> None:
    poll_feed(Feed.objects.select_related("connection").get(pk=feed.pk))


def test_profiles_linking_each_other_on_three_networks(
        mastodon_peer: Any, bluesky_peer: Any, nostr_peer: Any) -> None:
    from tests.integration import bluesky_support as bluesky

    user = User.objects.create_user("profile-links")
    # Bluesky: the reader follows Ana.
    reader_b, ana_b = bluesky.person(bluesky_peer, "preader"), bluesky.person(bluesky_peer,
                                                                              "pana")
    bluesky_peer.follow(reader_b.seeded, ana_b.seeded)
    # Mastodon: the reader follows Ana and Bo; Ana's field "Bluesky" links to her Bluesky.
    reader_m, ana_m, bo_m = (mastodon_peer.new_account() for _ in range(3))
    ana_masto_url = f"http://localhost:{mastodon_peer.port}/@{ana_m.username}"
    update_profile(mastodon_peer, ana_m, display_name="Ana (painting)",
                   fields=(("Bluesky", f"https://bsky.app/profile/{ana_b.handle}"),
                           ("Pronouns", "she/her")))
    update_profile(mastodon_peer, bo_m, display_name="Bo", note="no links here")
    for followed in (ana_m, bo_m):
        mastodon_peer.follow(reader_m, followed)
    masto = Connection(user=user, network="mastodon", base_url=mastodon_peer.base_url,
                       remote_id=reader_m.id, handle=f"@{reader_m.username}@localhost")
    masto.credentials = {"access_token": reader_m.access_token}
    masto.save()
    # Bluesky: Ana's bio names her Mastodon profile's address.
    bluesky_peer.create_record(ana_b.seeded, "app.bsky.actor.profile", {
        "displayName": "ana b", "description": f"Also on Mastodon: {ana_masto_url}"},
        rkey="self")
    until(lambda: str(bluesky_peer.appview_get(
        reader_b.seeded, "app.bsky.actor.getProfile", {"actor": ana_b.did}).get(
        "description") or "").startswith("Also on Mastodon"),
          "Ana's Bluesky profile indexed by the AppView")
    # Nostr: the reader follows Ana, whose kind-0 bio names her Mastodon handle.
    me, ana_n = nostr_peer.keygen(), nostr_peer.keygen()
    start = int(time.time()) - 100
    assert nostr_peer.publish(nostr_peer.sign(ana_n, json.dumps({
        "name": "A. Lima", "about": f"mastodon: @{ana_m.username}@localhost"}),
        kind=0, created_at=start)).ok
    assert nostr_peer.publish(nostr_peer.sign(me, "", kind=3, tags=[["p", ana_n.pk]],
                                              created_at=start)).ok
    nostr_account = Account(base_url=nostr_peer.url,
                            credentials={"secret_key_hex": me.sk, "relays": [nostr_peer.url]},
                            remote_id=me.pk, handle=keys.npub(me.pk))
    connections = {
        "mastodon": masto,
        "bluesky": connection_of(user, "bluesky", reader_b.account),
        "nostr": connection_of(user, "nostr", nostr_account),
    }
    feeds = {network: ensure_feed(c, "home") for network, c in connections.items()}

    # Each writes; the hub reads the three home timelines.
    mastodon_peer.post_as(ana_m, "ana on mastodon")
    mastodon_peer.post_as(bo_m, "bo on mastodon")
    bluesky.CONNECTOR.publish(ana_b.account, Draft("ana on bluesky"), "p1", ())
    assert nostr_peer.publish(nostr_peer.sign(ana_n, "ana on nostr", created_at=start + 1)).ok
    until(lambda: len(bluesky.CONNECTOR.fetch(reader_b.account, "home").items) >= 1,
          "Ana's post in the Bluesky reader's home")
    for feed in feeds.values():
        _poll(feed)
    assert Item.objects.filter(connection__user=user).count() == 4
    assert suggest.suggestions(user) == []  # three names: nothing in common

    # The profiles, read through each connection (the network's own API).
    for network in ("mastodon", "bluesky", "nostr"):
        assert profiles.refresh(connections[network]) >= 1
    mastodon_rows = {row.handle: row for row in AuthorProfile.objects.filter(
        connection=masto)}
    ana_row = mastodon_rows[f"{ana_m.username}@localhost"]
    assert ana_row.links == [{"value": f"https://bsky.app/profile/{ana_b.handle}",
                              "where": "profile field “Bluesky”", "verified": False}]
    assert mastodon_rows[f"{bo_m.username}@localhost"].links == []
    # Read again now: nothing is due (each profile is kept for a week).
    assert profiles.due_authors(masto, mastodon_rows[f"{bo_m.username}@localhost"].read_at) == []

    # Ana's Bluesky and Mastodon link each other: one suggestion. Her Nostr bio names her
    # Mastodon, one way: a pair of its own (a bio may name anyone), not merged into hers.
    found, mention = suggest.suggestions(user)
    assert {a.value for a in found.accounts} == {
        f"mastodon {ana_m.username}@localhost", f"bluesky {ana_b.handle}"}
    assert found.strong
    assert found.reasons == ["ana b's Bluesky and Mastodon profiles link to each other"]
    assert {a.value for a in mention.accounts} == {
        f"mastodon {ana_m.username}@localhost", f"nostr {keys.npub(ana_n.pk)}"}
    assert not mention.strong
    assert mention.reasons == [
        f"A. Lima's Nostr bio mentions the Mastodon account {ana_m.username}@localhost"]
    ana = suggest.confirm(user, found.key, [a.value for a in found.accounts])
    # Her Mastodon is now Ana's: the mention offers to add her Nostr to Ana.
    [more] = suggest.suggestions(user)
    assert more.person == ana
    assert [a.value for a in more.accounts] == [f"nostr {keys.npub(ana_n.pk)}"]
    suggest.confirm(user, more.key, [a.value for a in more.accounts])
    assert ana.accounts.count() == 3
    assert suggest.suggestions(user) == []
