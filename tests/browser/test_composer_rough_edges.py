"""Rough edges of the composer a new user hit (issue 11), in a real browser against a real
`hubbub serve` and the Mastodon mock: "Split into a thread there" clicked while the counters'
request is still in flight, and the content-warning box's label."""

from __future__ import annotations

import re
from typing import Any

import pytest

from tests.browser.conftest import shot
from tests.browser.fixtures import pump_until
from tests.browser.flows import connect_mastodon, create_owner
from tests.integration.hubproc import Hub
from tests.peers.mastodon import MastodonPeer

pytestmark = pytest.mark.browser

LONG = " ".join(["Every sentence here is a natural place to cut the post into parts."] * 20)


def test_split_clicked_while_the_counters_are_on_their_way_is_not_lost(
        page: Any, hub_server: tuple[Hub, str], mastodon_peer: MastodonPeer) -> None:
    from playwright.sync_api import expect

    _hub, url = hub_server
    me = mastodon_peer.new_account()
    create_owner(page, url)
    connect_mastodon(page, url, mastodon_peer, me)
    page.goto(url + "/")
    box = page.locator("input[name=targets]").first
    if not box.is_checked():  # the only account may come ticked already
        box.locator("xpath=..").click()
    text = page.locator("textarea[name=text]")
    text.fill(LONG)  # ~1,360 characters: over the mock server's limit
    counter = page.locator(".counter").first
    split = counter.get_by_role("button", name="Split into a thread there")
    expect(split).to_be_visible()

    # The person types on and clicks Split at once: the counters' request for what they typed
    # is held on its way (as on a slow link) until the click has happened.
    held: list[Any] = []
    page.route("**/compose/count/", lambda route: held.append(route))
    text.press("End")
    with page.expect_request(lambda r: r.url.endswith("/compose/count/")):
        text.type(" And one more.")
    pump_until(page, lambda: bool(held), "the counters' request reaches its route")
    split.click()
    for route in held:
        route.continue_()
    page.unroute("**/compose/count/")

    panel = page.locator("details.custom").first
    expect(panel).to_have_class(re.compile(r"\bis-thread\b"))
    parts = panel.locator("textarea[name^=part_]")
    expect(parts.first).to_be_visible()
    expect(counter.locator(".counter-part")).to_have_count(parts.count())
    assert parts.count() >= 2
    assert "And one more." in parts.last.input_value()  # what was typed last is in the thread
    expect(counter.locator(".counter-over")).to_have_count(0)
    parts_made = parts.count()
    shot(page, "compose-split-first-click")

    page.click("button[name=action][value=now]")
    expect(page).to_have_url(re.compile(r"/posts/$"))
    expect(page.locator("article.post").first.locator(".target .pill-ok")).to_have_count(
        1, timeout=40_000)
    statuses = mastodon_peer.statuses(me)
    assert len(statuses) == parts_made
    assert "And one more." in max(statuses, key=lambda s: s["created_at"])["content"]


def test_the_content_warning_box_has_a_label(
        page: Any, hub_server: tuple[Hub, str], mastodon_peer: MastodonPeer) -> None:
    from playwright.sync_api import expect

    _hub, url = hub_server
    create_owner(page, url)
    connect_mastodon(page, url, mastodon_peer, mastodon_peer.new_account())
    page.goto(url + "/")
    page.locator("details.cw-toggle > summary").first.click()
    box = page.get_by_role("textbox", name="Content warning", exact=True)
    expect(box).to_be_visible()
    expect(box).to_have_attribute("name", "content_warning")
    box.fill("Spoilers")
    shot(page, "compose-content-warning")  # the audit: every field has a name
