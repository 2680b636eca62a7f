"""One click, really: from the deck, `n` opens the composer beside the columns; a post with a
20 MB photo goes to a Mastodon, a Bluesky and a Nostr account in one click and the person stays
on the deck, watching each account's status in the panel (desktop). On a phone the next post
ticks the same accounts by itself, and a reply starts from an item in a column the same way.
Clicks are counted from opening the composer to every account sent (docs/composer.md)."""

from __future__ import annotations

import hashlib
import re
from pathlib import Path
from typing import Any

import pytest
import requests

from tests.browser.conftest import shot
from tests.browser.flows import owner_with_three_accounts
from tests.integration.hubproc import Hub
from tests.peers.blossom import BlossomPeer
from tests.peers.bluesky import BlueskyPeer, wait_for
from tests.peers.mastodon import MastodonPeer
from tests.peers.nostr import NostrPeer
from tests.photos import big_photo

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}
SENT_TIMEOUT = 120_000  # ms: a busy shared machine, three networks, a photo fitted to each


class Clicks:
    """Every click the person makes, counted: the test's path must stay short."""

    def __init__(self) -> None:
        self.count = 0

    def click(self, locator: Any) -> None:
        self.count += 1
        locator.click()

    def pick_file(self, locator: Any, path: Path) -> None:
        self.count += 1  # a click on the picker, then the file chosen in the system's dialog
        locator.set_input_files(str(path))


def test_post_and_reply_from_the_deck_panel(
    page: Any, hub_server: tuple[Hub, str], mastodon_peer: MastodonPeer,
    bluesky_peer: BlueskyPeer, nostr_peer: NostrPeer, blossom_peer: BlossomPeer,
    tmp_path: Path,
) -> None:
    from playwright.sync_api import expect

    hub, url = hub_server
    photo = tmp_path / "big-photo.jpg"
    photo.write_bytes(big_photo())  # about 20 MB, 24 megapixels
    masto, _sky, follower = owner_with_three_accounts(page, url, mastodon_peer, bluesky_peer,
                                                      nostr_peer.url, "panel")
    page.get_by_role("link", name=re.compile(r"^Media server for npub1")).click()
    page.get_by_label("Media server address").fill(blossom_peer.url)
    page.get_by_role("button", name="Save the media server").click()
    expect(page.locator("main")).to_contain_text(f"pictures now go to {blossom_peer.url}")

    page.goto(url + "/deck/")
    deck_url = page.url
    defaults = page.locator("button", has_text="Home and mentions for each account")
    if defaults.count():
        defaults.click()
    expect(page.locator(".column").first).to_be_visible()

    # First post: nothing remembered yet, so "All accounts" ticks the three.
    clicks = Clicks()
    page.locator("body").press("n")
    panel = page.locator("#compose-panel")
    expect(panel.locator("#panel-form")).to_be_visible()
    expect(panel.locator("textarea[name=text]")).to_be_focused()
    clicks.click(panel.locator("[data-tick=all]"))
    first = "From the deck, to three networks at once #hubbub"
    panel.locator("textarea[name=text]").fill(first)
    clicks.pick_file(panel.locator("input[name=image_1]"), photo)
    panel.locator("textarea[name=alt_1]").fill("Coloured static, a test photo")
    expect(panel.locator("#counters .counter")).to_have_count(3)
    # Room left stays beside Post now while typing: one figure per account.
    expect(panel.locator("[data-tally] span")).to_have_count(3)
    shot(page, "panel-01-compose")
    clicks.click(panel.locator("[data-panel-send]"))
    expect(panel.locator(".target .pill-ok, .target .pill-bad")).to_have_count(
        3, timeout=SENT_TIMEOUT)
    shot(page, "panel-02-sent")
    expect(panel.locator(".target .pill-ok")).to_have_count(3)
    assert page.url == deck_url  # the person never left the deck
    assert clicks.count == 3

    # What each server holds: the text once, the photo with its description, within its limits.
    [status] = [s for s in mastodon_peer.statuses(masto) if first in s["content"]]
    [attachment] = status["media_attachments"]
    assert attachment["description"] == "Coloured static, a test photo"
    post = wait_for(lambda: next((e["post"] for e in bluesky_peer.timeline(follower)
                                  if e["post"]["record"]["text"] == first), None))
    [image] = post["embed"]["images"]
    assert image["alt"] == "Coloured static, a test photo"
    [nostr] = [c for c in hub.json("connections", "--user", "ada") if c["network"] == "nostr"]
    [note] = [e for e in nostr_peer.query({"kinds": [1], "authors": [nostr["remote_id"]]})
              if e["content"].startswith(first)]
    [imeta] = [tag for tag in note["tags"] if tag[0] == "imeta"]
    fields = dict(part.split(" ", 1) for part in imeta[1:])
    assert fields["alt"] == "Coloured static, a test photo"
    assert fields["url"] in note["content"]
    stored = requests.get(fields["url"], timeout=30)
    assert stored.status_code == 200
    assert hashlib.sha256(stored.content).hexdigest() == fields["x"]
    # Each network got a photo within its own limit; the 20 MB original stays in the hub.
    assert int(fields["size"]) == len(stored.content)

    # Second post, on a phone: the same three are ticked already. New post, the photo, Post
    # now: 3 clicks; the panel is a sheet over the deck, the deck still behind it.
    page.keyboard.press("Escape")
    expect(panel).to_be_hidden()
    page.set_viewport_size(PHONE)
    page.reload()
    clicks = Clicks()
    clicks.click(page.locator("a[data-compose]"))
    expect(panel.locator("#panel-form")).to_be_visible()
    expect(panel.locator("input[name=targets]:checked")).to_have_count(3)
    second = "And again, the same three, by themselves"
    panel.locator("textarea[name=text]").fill(second)
    clicks.pick_file(panel.locator("input[name=image_1]"), photo)
    panel.locator("textarea[name=alt_1]").fill("The same static")
    _fits_the_window(page)
    shot(page, "panel-04-phone-compose")
    clicks.click(panel.locator("[data-panel-send]"))
    expect(panel.locator(".target .pill-ok")).to_have_count(3, timeout=SENT_TIMEOUT)
    assert page.url == deck_url
    shot(page, "panel-05-phone-sent")
    assert clicks.count == 3
    assert [s["content"] for s in mastodon_peer.statuses(masto)
            if second in s["content"]] != []

    # A reply from a column, on the phone: the Mastodon account's home column, Reply, Post now.
    page.locator("[data-panel-close]").click()
    expect(panel).to_be_hidden()
    column = page.locator(".column:has(.net-mastodon)").first
    picker = page.locator("[data-phone-pick]")
    if picker.is_visible():
        picker.select_option(column.get_attribute("data-column"))
    mine = column.locator(".item", has_text=first).first
    expect(mine).to_be_visible(timeout=SENT_TIMEOUT)
    mine.locator("a[data-act=reply]").click()
    expect(panel.locator(".replying-to")).to_be_visible()
    panel.locator("textarea[name=text]").press_sequentially(" thanks!")
    shot(page, "panel-06-phone-reply")
    panel.locator("[data-panel-send]").click()
    expect(panel.locator(".target .pill-ok")).to_have_count(1, timeout=SENT_TIMEOUT)
    assert page.url == deck_url
    replies = [s for s in mastodon_peer.statuses(masto) if "thanks!" in s["content"]]
    assert [r["in_reply_to_id"] for r in replies] == [status["id"]]


def _fits_the_window(page: Any) -> None:
    width = page.evaluate("() => [document.documentElement.scrollWidth, window.innerWidth]")
    assert width[0] <= width[1], f"the page is {width[0]} px wide in a {width[1]} px window"
