"""A person's first session, in a real browser against a real `hubbub serve` and a real
Mastodon server: create the owner, log in, connect through the server's OAuth pages, compose
with live counters, post, and watch "Sent" arrive with its link."""

from __future__ import annotations

import re
from typing import Any

import pytest

from tests.browser.conftest import shot
from tests.browser.flows import PASSWORD, connect_mastodon, create_owner
from tests.integration.hubproc import Hub
from tests.peers.mastodon import MastodonPeer

pytestmark = pytest.mark.browser


def test_owner_connects_mastodon_and_posts(page: Any, hub_server: tuple[Hub, str],
                                           mastodon_peer: MastodonPeer) -> None:
    from playwright.sync_api import expect

    _hub, url = hub_server
    account = mastodon_peer.new_account()

    # First visit: no user yet, so the hub asks for the owner account.
    page.goto(url + "/")
    shot(page, "01-setup")
    create_owner(page, url)
    # Log out and back in, as a returning person would.
    page.click("details.user-menu summary")
    page.get_by_role("button", name="Log out").click()
    expect(page).to_have_url(re.compile(r"/accounts/login/"))
    page.fill("input[name=username]", "ada")
    page.fill("input[name=password]", "wrong password")
    page.click("button[type=submit]")
    expect(page.locator("body")).to_contain_text("do not match")
    shot(page, "02-login-refused")
    page.fill("input[name=username]", "ada")
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    expect(page.get_by_role("heading", name="Compose")).to_be_visible()
    shot(page, "03-compose-empty")

    # Connect the Mastodon account through the server's own authorize page.
    connect_mastodon(page, url, mastodon_peer, account)
    shot(page, "05-connections")

    # Compose: the counter follows the instance's rules as the person types.
    page.goto(url + "/")
    # The only account is ticked already.
    expect(page.locator("input[name=targets]").first).to_be_checked()
    text = "Hello from hubbub! https://example.org/" + "long/" * 30
    page.fill("textarea[name=text]", text)
    counters = page.locator("#counters")
    expect(counters).to_contain_text("42 of 500")  # 19 characters + a link counted as 23
    expect(counters).to_contain_text("500")
    shot(page, "06-compose-counting")
    page.fill("textarea[name=text]", "x" * 510)
    expect(counters).to_contain_text("10 over")
    shot(page, "07-compose-over")
    page.fill("textarea[name=text]", "Hello from hubbub, in a real browser.")
    page.click("button[name=action][value=now]")

    # The Posts page: the target turns "Sent" without a reload, with a link to the status.
    expect(page).to_have_url(re.compile(r"/posts/"))
    link = page.locator("a.target-link")
    expect(link).to_be_visible(timeout=20_000)
    expect(page.locator(".target .pill-ok")).to_have_text("Sent")
    shot(page, "08-posts-sent")
    href = link.get_attribute("href")
    statuses = mastodon_peer.statuses(account)
    assert len(statuses) == 1
    assert href == statuses[0]["url"]
