"""A direct message and a followers-only post on the deck, in a real browser against a real
`hubbub serve` and the Mastodon mock: each says so in its head, and neither offers Repost or
Quote (the network refuses a reblog of them, and a quote would publish words meant for few),
while a public post beside them offers both; the hub refuses them too when asked directly."""

from __future__ import annotations

from typing import Any

import pytest

from tests.browser.conftest import shot
from tests.browser.fixtures import reload_until
from tests.browser.flows import connect_mastodon, create_owner
from tests.integration.hubproc import Hub
from tests.peers.mastodon import MastodonPeer

pytestmark = pytest.mark.browser


def test_private_items_say_so_and_offer_no_repost_or_quote(
        page: Any, hub_server: tuple[Hub, str], mastodon_peer: MastodonPeer) -> None:
    from playwright.sync_api import expect

    _hub, url = hub_server
    me = mastodon_peer.new_account()
    carol = mastodon_peer.new_account()
    mastodon_peer.follow(me, carol)
    mastodon_peer.post_as(carol, "An open word for everyone")
    mastodon_peer.post_as(carol, "Only my followers read this", visibility="private")
    mastodon_peer.post_as(carol, f"@{me.username} a secret between us", visibility="direct")
    create_owner(page, url)
    connect_mastodon(page, url, mastodon_peer, me)
    page.goto(url + "/deck/")
    items = page.locator(".column .item")
    public = items.filter(has_text="An open word for everyone").first
    followers = items.filter(has_text="Only my followers read this").first
    secret = items.filter(has_text="a secret between us").first
    reload_until(page, lambda: public.count() and followers.count() and secret.count())

    expect(public.locator("[data-act=repost]")).to_have_count(1)
    expect(public.locator("[data-act=quote]")).to_have_count(1)
    expect(public.locator(".item-private")).to_have_count(0)
    for item, said in ((followers, "Followers"), (secret, "Direct")):
        expect(item.locator(".item-head .item-private")).to_have_text(said)
        expect(item.locator("[data-act=reply]")).to_have_count(1)  # answering stays
        expect(item.locator("[data-act=like]")).to_have_count(1)
        expect(item.locator("[data-act=repost], [data-act=quote]")).to_have_count(0)
    shot(page, "deck-private-items")

    # Asked without the buttons (an old page, a hand-made request): refused, nothing sent.
    item_id = secret.get_attribute("data-item")
    page.goto(f"{url}/?quote={item_id}")
    expect(page.locator("body")).to_contain_text("Direct message: it cannot be quoted")
    expect(page.locator("textarea[name=text]")).not_to_contain_text("a secret between us")
    # Its own page (the actions as forms, for browsers without JavaScript) has no Repost.
    page.goto(f"{url}/deck/items/{item_id}/conversation/")
    expect(page.locator("button[value=repost]")).to_have_count(0)
    expect(page.locator("[data-act=quote]")).to_have_count(0)
