""""Add … to a person…" on the deck only for authors who are not yet one of the person's People
(issue 12 walkthrough #18), in a real browser against a real `hubbub serve` and the Mastodon
mock: an author added through the item's own offer is no longer offered on any of their items,
while another author's items still are. The deck's actions are drawn by items.js from the
page's one template; the item carries `data-in-person` (one query a page)."""

from __future__ import annotations

from typing import Any

import pytest

from tests.browser.conftest import shot
from tests.browser.fixtures import reload_until
from tests.browser.flows import connect_mastodon, create_owner
from tests.integration.hubproc import Hub
from tests.peers.mastodon import MastodonPeer

pytestmark = pytest.mark.browser


def test_an_author_who_is_a_person_is_not_offered_again(
        page: Any, hub_server: tuple[Hub, str], mastodon_peer: MastodonPeer) -> None:
    from playwright.sync_api import expect

    _hub, url = hub_server
    me = mastodon_peer.new_account()
    carol, dan = mastodon_peer.new_account(), mastodon_peer.new_account()
    mastodon_peer.follow(me, carol)
    mastodon_peer.follow(me, dan)
    mastodon_peer.post_as(carol, "Carol's first word")
    mastodon_peer.post_as(carol, "Carol's second word")
    mastodon_peer.post_as(dan, "Dan says hello")
    create_owner(page, url)
    connect_mastodon(page, url, mastodon_peer, me)
    page.goto(url + "/deck/")
    home = page.locator(".column").first
    items = home.locator(".item")
    first = items.filter(has_text="Carol's first word").first
    second = items.filter(has_text="Carol's second word").first
    other = items.filter(has_text="Dan says hello").first
    reload_until(page, lambda: first.count() and second.count() and other.count())
    for item in (first, second, other):  # no one is a person yet: offered on each
        expect(item.locator("[data-act=person]")).to_have_count(1)

    first.locator("[data-act=person]").click()
    expect(page.locator("h1")).to_have_text("Add to a person")
    page.get_by_label("New person's name").fill("Carol")
    page.get_by_role("button", name="Add").click()
    expect(page.locator("body")).to_contain_text("added to Carol")

    page.goto(url + "/deck/")
    expect(other).to_be_visible()
    # Carol is a person now: neither of her items offers it; Dan's still does.
    for item in (first, second):
        expect(item.locator(".item-actions [data-act=reply]")).to_have_count(1)  # drawn
        expect(item.locator("[data-act=person]")).to_have_count(0)
    expect(other.locator("[data-act=person]")).to_have_count(1)
    shot(page, "deck-in-person")
