"""Quote from the deck on a Mastodon server before 4.5, in a real browser against a real
`hubbub serve` and the Mastodon mock (its /api/v2/instance made to say 4.4.3 by a proxy): the
post goes out with the quoted post's link after the words, so the panel's live counter counts
the words, the blank line and the link as the person types, and says so."""

from __future__ import annotations

import json
from typing import Any

import pytest

from hubbub.core.counting import count_text
from tests.browser.conftest import shot
from tests.browser.flows import create_owner
from tests.integration.hubproc import Hub
from tests.peers.http_faults import HttpFaultProxy, Rewrite
from tests.peers.mastodon import MastodonPeer

pytestmark = pytest.mark.browser
SEEN_TIMEOUT = 120_000  # ms: the hub's poll brings the post into the deck; a busy machine


def _version_4_4(status: int, body: bytes) -> tuple[int, bytes]:
    document = json.loads(body)
    document["version"] = "4.4.3"
    return status, json.dumps(document).encode()


def test_the_counter_of_an_older_mastodon_counts_the_link_its_quote_goes_with(
        page: Any, hub_server: tuple[Hub, str], mastodon_peer: MastodonPeer) -> None:
    from playwright.sync_api import expect

    hub, url = hub_server
    create_owner(page, url)
    proxy = HttpFaultProxy(mastodon_peer.base_url)
    proxy.arm("GET", "/api/v2/instance/", Rewrite(_version_4_4), count=1_000_000)
    try:
        alice = mastodon_peer.new_account("older")
        hub.run("connect", "mastodon", "--user", "ada", "--instance", proxy.base_url,
                f"--token={alice.access_token}")
        made = mastodon_peer.post_as(alice, "Worth quoting on an older server")
        page.goto(url + "/deck/")
        defaults = page.locator("button", has_text="Home and mentions for each account")
        if defaults.count():
            defaults.click()
        item = page.locator(".column .item", has_text="Worth quoting on an older server").first
        expect(item).to_be_visible(timeout=SEEN_TIMEOUT)
        item.hover()
        item.locator("a[data-act=quote]").click()

        panel = page.locator("#compose-panel")
        expect(panel.locator("#panel-title")).to_have_text("Quote")
        expect(panel.locator(".quote-native")).to_contain_text("This server shows no quotes")
        text = panel.locator("textarea[name=text]")
        expect(text).to_be_focused()
        typed = "My take on it"
        page.keyboard.type(typed)
        link = count_text("mastodon", made["url"], url_length=23)
        counter = panel.locator("[data-counter] .counter-count strong")
        # The words, the blank line before the link, and the link as Mastodon counts it.
        expect(counter).to_have_text(str(len(typed) + 2 + link))
        expect(panel.locator("[data-counter] [data-quote-link-note]")).to_contain_text(
            f"the link counts {link} characters, {link + 2} with the blank line before it")
        # The preview (folded in the panel) shows the link after the words, and says why.
        expect(panel.locator("[data-preview] [data-quote-link-note]")).to_have_count(1)
        expect(panel.locator("[data-preview] .pv-text")).to_contain_text(typed)
        expect(panel.locator("[data-preview] .pv-text")).to_contain_text(made["url"])
        expect(panel.locator("[data-preview] [data-preview-quote]")).to_have_count(0)
        shot(page, "panel-quote-older-mastodon")
    finally:
        proxy.close()
