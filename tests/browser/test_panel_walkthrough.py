"""Defects a user walkthrough of issue 11 found in the deck's composer panel, in a real
browser against a real `hubbub serve`, the Mastodon mock and the Bluesky dev network."""

from __future__ import annotations

from typing import Any

import pytest

from tests.browser.conftest import shot
from tests.browser.fixtures import pump_until
from tests.browser.flows import connect_bluesky, connect_mastodon, create_owner
from tests.integration.hubproc import Hub
from tests.peers.bluesky import BlueskyPeer, wait_for
from tests.peers.mastodon import MastodonPeer

pytestmark = pytest.mark.browser

SENT_TIMEOUT = 120_000  # ms: a busy shared machine
# About 480 characters: over Bluesky's 300, within the Mastodon mock's 500.
PASTED = " ".join(["Each sentence of this paste is a natural place to cut it."] * 8)


def _deck(page: Any, url: str) -> str:
    page.goto(url + "/deck/")
    defaults = page.locator("button", has_text="Home and mentions for each account")
    if defaults.count():
        defaults.click()
    return str(page.url)


def _records(peer: BlueskyPeer, did: str) -> list[dict[str, Any]]:
    body = peer.xrpc("GET", "com.atproto.repo.listRecords",
                     params={"repo": did, "collection": "app.bsky.feed.post", "limit": 50})
    records: list[dict[str, Any]] = body["records"]
    return records


def test_split_in_the_panel_on_the_first_click_stays_on_the_deck(
        page: Any, hub_server: tuple[Hub, str], mastodon_peer: MastodonPeer,
        bluesky_peer: BlueskyPeer) -> None:
    from playwright.sync_api import expect

    _hub, url = hub_server
    create_owner(page, url)
    masto = mastodon_peer.new_account()
    connect_mastodon(page, url, mastodon_peer, masto)
    sky = bluesky_peer.create_account("split")
    connect_bluesky(page, url, bluesky_peer.pds_url, sky.handle, sky.app_password)
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    deck_url = _deck(page, url)

    page.locator("body").press("n")
    panel = page.locator("#compose-panel")
    expect(panel.locator("#panel-form")).to_be_visible()
    panel.locator("[data-tick=all]").click()
    expect(panel.locator("input[name=targets]:checked")).to_have_count(2)
    text = panel.locator("textarea[name=text]")
    text.fill(PASTED)
    counter = panel.locator("#counters .counter", has_text=sky.handle)
    split = counter.get_by_role("button", name="Split into a thread there")
    expect(split).to_be_visible()
    expect(counter.locator(".counter-over")).to_be_visible()
    # Room left beside Post now names each account (two figures alone could be anyone's).
    tally = panel.locator("[data-tally] span")
    expect(tally.filter(has_text=f"@{sky.handle.lstrip('@')} ")).to_have_count(1)
    expect(tally.filter(has_text=f"@{masto.username} ")).to_have_count(1)

    # Right after typing: the counters' request for the last words is held on its way until
    # the click has happened.
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

    thread = panel.locator("details.custom.is-thread")
    expect(thread).to_be_visible()
    parts = thread.locator("textarea[name^=part_]")
    assert parts.count() >= 2
    assert "And one more." in parts.last.input_value()
    sky_counter = panel.locator("#counters .counter", has_text=sky.handle)
    expect(sky_counter.locator(".counter-part")).to_have_count(parts.count())
    expect(panel.locator("#counters .counter-over")).to_have_count(0)
    assert page.url == deck_url  # still on the deck
    assert not [e for e in errors if "targetError" in e], errors
    made = parts.count()
    shot(page, "panel-split-first-click")

    panel.locator("[data-panel-send]").click()
    expect(panel.locator(".target .pill-ok")).to_have_count(2, timeout=SENT_TIMEOUT)
    assert page.url == deck_url
    records = wait_for(lambda: (r := _records(bluesky_peer, sky.did)) and len(r) >= made and r)
    assert len(records) == made
    assert any("And one more." in r["value"]["text"] for r in records)
    statuses = mastodon_peer.statuses(masto)
    assert len(statuses) == 1  # the other account gets the post whole
    assert "And one more." in statuses[0]["content"]

    # No draft was left behind on the way.
    page.goto(url + "/posts/drafts/")
    expect(page.locator("article.draft")).to_have_count(0)


def test_a_quote_from_the_deck_is_a_quote_in_the_browsers_language_and_kept_apart(
        page: Any, hub_server: tuple[Hub, str], mastodon_peer: MastodonPeer,
        bluesky_peer: BlueskyPeer) -> None:
    """After a post to a Mastodon account whose server default is German, Quote on a Bluesky
    item: the panel says Quote, the text starts empty (Bluesky shows the post quoted under the
    words: an embed record, no link to count), the language is the browser's (en-US), not the
    unticked Mastodon account's, and the remembered accounts are still the Mastodon one
    afterwards."""
    from playwright.sync_api import expect

    _hub, url = hub_server
    create_owner(page, url)
    masto = mastodon_peer.new_account("german")
    mastodon_peer.set_posting_defaults(masto, language="de")
    connect_mastodon(page, url, mastodon_peer, masto)
    sky = bluesky_peer.create_account("quoted")
    connect_bluesky(page, url, bluesky_peer.pds_url, sky.handle, sky.app_password)
    quoted = bluesky_peer.post(sky, "A Bluesky post worth quoting")
    deck_url = _deck(page, url)

    page.locator("body").press("n")
    panel = page.locator("#compose-panel")
    expect(panel.locator("#panel-form")).to_be_visible()
    for chip in panel.locator("label.chip").all():
        box = chip.locator("input[name=targets]")
        if box.is_checked() != ("@german" in chip.inner_text()):
            chip.click()
    expect(panel.locator("input[name=targets]:checked")).to_have_count(1)
    expect(panel.get_by_label("Language", exact=True)).to_have_value("de")
    panel.locator("textarea[name=text]").fill("Hallo aus dem Deck")
    panel.locator("[data-panel-send]").click()
    expect(panel.locator(".target .pill-ok")).to_have_count(1, timeout=SENT_TIMEOUT)
    page.keyboard.press("Escape")
    expect(panel).to_be_hidden()

    item = page.locator(".column .item", has_text="A Bluesky post worth quoting").first
    expect(item).to_be_visible(timeout=SENT_TIMEOUT)
    item.hover()
    item.locator("a[data-act=quote]").click()
    expect(panel.locator("#panel-title")).to_have_text("Quote")
    expect(panel.locator(".quoting")).to_contain_text("A Bluesky post worth quoting")
    expect(panel.locator(".quote-native")).to_contain_text("no link needed")
    ticked = panel.locator("input[name=targets]:checked")
    expect(ticked).to_have_count(1)
    expect(panel.locator("label.chip", has=page.locator("input[name=targets]:checked"))
           ).to_contain_text(sky.handle)
    expect(panel.get_by_label("Language", exact=True)).to_have_value("en")
    text = panel.locator("textarea[name=text]")
    expect(text).to_be_focused()
    page.keyboard.type("Quoting myself")
    typed = text.input_value()
    assert typed == "Quoting myself", typed
    shot(page, "panel-quote")
    panel.locator("[data-panel-send]").click()
    expect(panel.locator(".target .pill-ok")).to_have_count(1, timeout=SENT_TIMEOUT)
    assert page.url == deck_url
    [record] = [r["value"] for r in _records(bluesky_peer, sky.did)
                if r["value"]["text"].startswith("Quoting myself")]
    assert record["langs"] == ["en"]
    assert record["text"] == "Quoting myself"
    assert record["embed"] == {"$type": "app.bsky.embed.record",
                               "record": {"uri": quoted["uri"], "cid": quoted["cid"]}}

    # The quote's account was not a choice: the next new post ticks the Mastodon one again.
    page.keyboard.press("Escape")
    expect(panel).to_be_hidden()
    page.locator("body").press("n")
    expect(panel.locator("#panel-title")).to_have_text("New post")
    expect(panel.locator("input[name=targets]:checked")).to_have_count(1)
    expect(panel.locator("label.chip", has=page.locator("input[name=targets]:checked"))
           ).to_contain_text("@german")


@pytest.mark.parametrize("size", [{"width": 1280, "height": 860}, {"width": 390, "height": 844}],
                         ids=["desktop", "phone"])
def test_the_user_menu_closes_on_escape(
        page: Any, hub_server: tuple[Hub, str], size: dict[str, int]) -> None:
    from playwright.sync_api import expect

    _hub, url = hub_server
    create_owner(page, url)
    page.set_viewport_size(size)
    page.goto(url + "/deck/")
    menu = page.locator("details.user-menu")
    menu.locator("summary").click()
    expect(page.get_by_role("button", name="Log out")).to_be_visible()
    page.keyboard.press("Escape")
    expect(page.get_by_role("button", name="Log out")).to_be_hidden()
    expect(menu.locator("summary")).to_be_focused()
