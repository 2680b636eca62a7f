"""Keyboard use of the hub in a real browser against `hubbub serve` and the Mastodon mock
(issue 12): a skip link is the first stop of every page and takes Tab past the navigation
(#15); in the inbox, Escape leaves a reply box and gives the keys back, the box opens with the
caret after the @handles it starts with, and each entry's buttons have names of their own
("Done" nine times was one name to a screen reader) (#20)."""

from __future__ import annotations

from typing import Any

import pytest

from tests.browser.a11y import audit
from tests.browser.fixtures import reload_until
from tests.browser.flows import connect_mastodon, create_owner
from tests.integration.hubproc import Hub
from tests.peers.mastodon import MastodonPeer

pytestmark = pytest.mark.browser

ACTIVE = "document.activeElement ? document.activeElement.outerHTML.slice(0, 120) : ''"


def test_skip_link_and_the_inbox_keys(page: Any, hub_server: tuple[Hub, str],
                                      mastodon_peer: MastodonPeer) -> None:
    from playwright.sync_api import expect

    _hub, url = hub_server
    me, ana = mastodon_peer.new_account(), mastodon_peer.new_account()
    create_owner(page, url)
    connect_mastodon(page, url, mastodon_peer, me)
    mastodon_peer.post_as(ana, f"@{me.username} dinner at eight?")
    mastodon_peer.post_as(ana, f"@{me.username} or at nine?")
    page.goto(url + "/inbox/")
    reload_until(page, lambda: page.locator(".inbox-entry").count() == 2)

    # 15: the first Tab reaches the skip link, shown; Enter and Tab land inside the content.
    page.keyboard.press("Tab")
    skip = page.locator("a.skip-link")
    expect(skip).to_be_focused()
    expect(skip).to_have_text("Skip to content")
    box = skip.bounding_box()
    assert box is not None
    assert box["y"] >= 0
    assert box["height"] > 0
    page.keyboard.press("Enter")
    page.keyboard.press("Tab")
    assert page.evaluate("!!document.activeElement.closest('main')"), page.evaluate(ACTIVE)
    assert not page.evaluate("!!document.activeElement.closest('nav')"), page.evaluate(ACTIVE)
    # The same on another page (the layout's, not the inbox's).
    page.goto(url + "/deck/")
    page.keyboard.press("Tab")
    expect(skip).to_be_focused()

    # 20: r opens the current entry's reply box, the caret after "@ana "; Escape leaves it.
    page.goto(url + "/inbox/")
    first, second = page.locator(".inbox-entry").nth(0), page.locator(".inbox-entry").nth(1)
    page.keyboard.press("j")
    expect(first).to_be_focused()
    page.keyboard.press("r")
    area = first.locator("textarea")
    expect(area).to_be_focused()
    expect(area).to_have_value(f"@{ana.username} ")
    page.keyboard.type("yes")
    expect(area).to_have_value(f"@{ana.username} yes")
    page.keyboard.press("Escape")
    expect(first.locator("details[data-reply]")).not_to_have_attribute("open", "")
    expect(first).to_be_focused()
    page.keyboard.press("j")  # the keys work again
    expect(second).to_be_focused()
    page.keyboard.press("k")
    page.keyboard.press("r")
    expect(area).to_have_value(f"@{ana.username} yes")  # what was written stays

    # Each entry's buttons are named for it (a closed box's Send reply is not in the tree).
    for kind in ("Done", "Mark read", "Send reply"):
        found = page.locator(".inbox-entry button", has_text=kind)
        names = [b.evaluate("e => e.textContent.trim()") for b in found.all()]
        assert sorted(names) == sorted(
            f"{kind} the mention from {ana.username}: “@{me.username} {said}”"
            for said in ("dinner at eight?", "or at nine?")), names
    audit(page)
