"""Profile-link suggestions in a real browser against `hubbub serve`, the Mastodon mock and a
Nostr relay: Ana is "Ana (painting)" on Mastodon and "A. Lima" on Nostr (no name in common);
her Mastodon profile field links to her Nostr key and her Nostr bio names her Mastodon handle.
Once the deck has their posts, the hub's own background work reads the authors' profiles and
computes the suggestions again; the People page then says why the two are one person, and she
is linked with a click. Screenshots audited (axe)."""

from __future__ import annotations

import json
import re
import time
from typing import Any

import pytest

from hubbub.networks.nostr import keys
from tests.browser.conftest import shot
from tests.browser.flows import connect_mastodon, create_owner
from tests.integration.hubproc import Hub
from tests.peers.mastodon import MastodonPeer, update_profile
from tests.people.test_browser import _connect_nostr_with_key
from tests.waiting import until

pytestmark = pytest.mark.browser


def test_profiles_that_link_each_other_suggested_with_the_reason(
        page: Any, hub_server: tuple[Hub, str], mastodon_peer: MastodonPeer,
        nostr_peer: Any) -> None:
    from playwright.sync_api import expect

    _hub, url = hub_server
    me, ana_m = mastodon_peer.new_account(), mastodon_peer.new_account()
    me_n, ana_n = nostr_peer.keygen(), nostr_peer.keygen()
    update_profile(mastodon_peer, ana_m, display_name="Ana (painting)",
                   fields=(("Nostr", f"https://njump.me/{keys.npub(ana_n.pk)}"),))
    mastodon_peer.follow(me, ana_m)
    start = int(time.time()) - 60
    assert nostr_peer.publish(nostr_peer.sign(ana_n, json.dumps({
        "name": "A. Lima", "about": f"Painter. Mastodon: @{ana_m.username}@localhost"}),
        kind=0, created_at=start)).ok
    assert nostr_peer.publish(nostr_peer.sign(
        me_n, "", kind=3, tags=[["p", ana_n.pk]], created_at=start)).ok

    create_owner(page, url)
    connect_mastodon(page, url, mastodon_peer, me)
    _connect_nostr_with_key(page, url, nostr_peer.url, me_n.sk)
    mastodon_peer.post_as(ana_m, "Ana paints on Mastodon")
    assert nostr_peer.publish(nostr_peer.sign(ana_n, "Ana paints on Nostr",
                                              created_at=start + 5)).ok
    page.goto(url + "/deck/")
    deck = page.locator("#deck")
    for text in ("Ana paints on Mastodon", "Ana paints on Nostr"):
        expect(deck.locator(".item", has_text=text).first).to_be_visible(timeout=60_000)

    # The page is read as kept; the profiles are read and the suggestions computed again in
    # the background (each connection's first turn, then the stale copy's recompute).
    suggestion = page.locator(".suggestion", has_text="link to each other")

    def suggested() -> bool:
        page.goto(url + "/people/")
        return suggestion.count() == 1

    until(suggested, "the profile-link suggestion on the People page", guard=240)
    expect(suggestion).to_contain_text("Ana (painting)")
    expect(suggestion).to_contain_text("Mastodon and Nostr profiles link to each other")
    expect(suggestion).to_contain_text("The profiles link each other.")
    expect(suggestion.locator("input[name=account]")).to_have_count(2)
    expect(page.locator(".suggestion", has_text="one person?")).to_have_count(1)
    shot(page, "people-links-01-suggestion")
    suggestion.get_by_role("button", name=re.compile(r"^Link as ")).click()
    expect(page.locator(".person-row")).to_have_count(2)
    expect(page.locator(".person-row", has_text=f"{ana_m.username}@")).to_have_count(1)
    shot(page, "people-links-02-person")
    page.goto(url + "/people/")
    expect(page.locator(".suggestion")).to_have_count(0)
    page.set_viewport_size({"width": 390, "height": 844})
    shot(page, "people-links-03-phone")
