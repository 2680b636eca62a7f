"""The catch-up page in Chromium against `hubbub serve` and the Mastodon mock: reached from the
navigation, it counts the Home column's new posts, shows the one a rule marked priority first
and the favourited one next, makes the feed's address (which a reader without a session then
fetches as Atom), and, without JavaScript on a phone, "Mark all caught up" leaves nothing new."""

from __future__ import annotations

import re
from typing import Any

import feedparser
import pytest

from tests.browser.conftest import shot
from tests.browser.flows import PASSWORD, connect_mastodon, create_owner
from tests.integration.hubproc import Hub
from tests.peers.mastodon import MastodonPeer

pytestmark = pytest.mark.browser


def test_catch_up_in_the_browser(page: Any, browser: Any, hub_server: tuple[Hub, str],
                                 mastodon_peer: MastodonPeer) -> None:
    from playwright.sync_api import expect

    _hub, url = hub_server
    me, friend, fan = (mastodon_peer.new_account() for _ in range(3))
    mastodon_peer.follow(me, friend)
    create_owner(page, url)
    page.goto(url + "/rules/new/")
    page.get_by_label("Name (for you)").fill("Urgent first")
    page.get_by_label("Words or phrases").fill("urgent")
    page.get_by_label("Then", exact=True).select_option("priority")
    page.get_by_role("button", name="Save rule").click()
    expect(page.get_by_role("link", name="Urgent first", exact=True)).to_be_visible()

    # The posts and the like come before the account is connected, so the hub's first read of
    # the timeline already sees the like. Posted while the hub streams, the post could be stored
    # from the stream before the like, and the like counted only at a later read.
    popular = mastodon_peer.post_as(friend, "The garden is in bloom, come and see")
    assert mastodon_peer._api(fan.access_token, "POST",
                              f"/api/v1/statuses/{popular['id']}/favourite").ok
    mastodon_peer.post_as(friend, "Urgent: the roof leaks again")
    mastodon_peer.post_as(friend, "Nothing much today")
    connect_mastodon(page, url, mastodon_peer, me)
    page.goto(url + "/deck/")
    home = page.locator(".column").first
    expect(home.locator(".item", has_text="Nothing much today")).to_be_visible(timeout=60_000)
    expect(home.locator(".item", has_text="the roof leaks")).to_be_visible(timeout=60_000)

    page.get_by_role("navigation", name="Main").get_by_role("link", name="Catch-up").click()
    expect(page.get_by_role("heading", name="Catch-up", exact=True)).to_be_visible()
    columns = page.locator(".catchup-columns li", has_text="Home")
    expect(columns).to_contain_text("3 new items")
    priority = page.locator("section", has=page.get_by_role("heading", name="Priority"))
    expect(priority.locator(".catchup-item")).to_have_count(1)
    expect(priority).to_contain_text("Urgent: the roof leaks again")
    engaged = page.locator("section", has=page.get_by_role("heading", name="Most engaged"))
    expect(engaged.locator(".catchup-item").first).to_contain_text("The garden is in bloom")
    expect(engaged).to_contain_text("1 like")
    expect(engaged).not_to_contain_text("0 repl")
    shot(page, "catchup-01-page")

    page.get_by_role("button", name="Make the feed's address").click()
    address = page.get_by_label("Feed address")
    expect(address).to_have_value(re.compile(r"/catch-up/feed/[0-9a-f]{16}[\w-]{43}\.atom$"))
    shot(page, "catchup-02-feed-address")
    reader = browser.new_context()  # a feed reader: no session
    try:
        answer = reader.request.get(address.input_value())
        assert answer.status == 200
        parsed = feedparser.parse(answer.body())
        assert not parsed.bozo
        assert [e.title for e in parsed.entries][:2] == [
            f"{friend.username}: Urgent: the roof leaks again",
            f"{friend.username}: The garden is in bloom, come and see"]
    finally:
        reader.close()

    # On a phone, without JavaScript: sign in, mark all caught up.
    phone = browser.new_context(viewport={"width": 390, "height": 844},
                                java_script_enabled=False)
    try:
        plain = phone.new_page()
        plain.goto(url + "/catch-up/")
        plain.fill("input[name=username]", "ada")
        plain.fill("input[name=password]", PASSWORD)
        plain.click("button[type=submit]")
        expect(plain.get_by_role("heading", name="Catch-up", exact=True)).to_be_visible()
        expect(plain.locator(".catchup-columns li", has_text="Home")).to_contain_text("3 new")
        shot(plain, "catchup-03-phone-no-js")
        assert plain.evaluate("document.documentElement.scrollWidth") <= 390
        plain.get_by_role("button", name="Mark all caught up").click()
        expect(plain.get_by_text("All caught up.")).to_be_visible()
        expect(plain.locator(".catchup-columns li", has_text="Home")).to_contain_text(
            "nothing new")
        expect(plain.locator(".catchup-item")).to_have_count(0)
        shot(plain, "catchup-04-phone-caught-up")
        assert plain.evaluate("document.documentElement.scrollWidth") <= 390
    finally:
        phone.close()
