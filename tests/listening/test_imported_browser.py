"""Importing Mastodon mutes and filters in a real browser against `hubbub serve` and the
Mastodon mock: the button on the Rules page, the page saying what was imported (audited for
accessibility, on a phone's width too), and the deck no longer showing the muted account."""

from __future__ import annotations

from typing import Any

import pytest

from tests.browser.conftest import shot
from tests.browser.flows import connect_mastodon, create_owner
from tests.integration.hubproc import Hub
from tests.peers.mastodon import MastodonPeer
from tests.waiting import until

pytestmark = pytest.mark.browser


def test_import_mutes_from_the_rules_page(
        page: Any, hub_server: tuple[Hub, str], mastodon_peer: MastodonPeer) -> None:
    from playwright.sync_api import expect

    _hub, url = hub_server
    me, noisy, quiet = (mastodon_peer.new_account() for _ in range(3))
    mastodon_peer.follow(me, noisy)
    mastodon_peer.follow(me, quiet)
    create_owner(page, url)
    connect_mastodon(page, url, mastodon_peer, me)
    home = page.locator(".column").first
    mastodon_peer.post_as(noisy, "Loud news from the noisy one")
    mastodon_peer.post_as(quiet, "A quiet word")

    def on_the_deck(text: str) -> bool:
        """Read from a fresh page load (a live arrival can show twice while it is swapped in)."""
        page.goto(url + "/deck/")
        return bool(home.locator(".item", has_text=text).count() > 0)

    until(lambda: on_the_deck("Loud news") and on_the_deck("A quiet word"),
          "both posts on the deck")
    muted = mastodon_peer._api(me.access_token, "POST", f"/api/v1/accounts/{noisy.id}/mute")
    assert muted.status_code == 200, muted.text
    made = mastodon_peer._api(me.access_token, "POST", "/api/v2/filters", json={
        "title": "sport", "context": ["home"], "filter_action": "warn",
        "keywords_attributes": [{"keyword": "football", "whole_word": True}]})
    assert made.status_code == 200, made.text

    page.goto(url + "/rules/")
    page.get_by_role("button", name=f"Import mutes and filters from @{me.username}@").click()
    expect(page.get_by_role("heading", name="Imported 2 things as 2 hide rules")).to_be_visible()
    expect(page.get_by_text("only warns on Mastodon")).to_be_visible()
    shot(page, "rules-import-01-done")
    page.set_viewport_size({"width": 390, "height": 844})
    shot(page, "rules-import-02-phone")
    page.set_viewport_size({"width": 1280, "height": 800})
    page.get_by_role("link", name="Back to your rules").click()
    expect(page.locator("a.rule-name", has_text="1 muted account")).to_be_visible()

    until(lambda: not on_the_deck("Loud news"), "the imported rule applied to the stored items")
    assert on_the_deck("A quiet word")
