"""A Nostr account's id is a 63-character npub with no place to break: in a real browser against
`hubbub serve` and a real relay, every page that names the account fits the window on a desktop
and on a phone (no sideways scrolling), and shows the profile's name with the npub shortened."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest

from hubbub.networks.nostr import keys
from tests.browser.conftest import shot
from tests.browser.flows import create_owner
from tests.integration.hubproc import Hub
from tests.peers.nostr import NostrPeer

pytestmark = pytest.mark.browser
PAGES = ["/connections/", "/", "/posts/", "/deck/", "/plan/queues/", "/plan/calendar/",
         "/import/"]
SIZES = {"desktop": {"width": 1280, "height": 860}, "phone": {"width": 390, "height": 844}}
WIDER = "() => [document.documentElement.scrollWidth, window.innerWidth]"


def test_pages_naming_a_nostr_account_fit_the_window(
        page: Any, hub_server: tuple[Hub, str], nostr_peer: NostrPeer) -> None:
    from playwright.sync_api import expect

    _hub, url = hub_server
    pair = nostr_peer.keygen()
    profile = nostr_peer.sign(pair, json.dumps({"name": "Grace Hopper"}), kind=0)
    assert nostr_peer.publish(profile).ok
    npub = keys.npub(pair.pk)

    create_owner(page, url)
    page.goto(url + "/connections/connect/nostr/")
    page.fill("textarea[name=relays]", nostr_peer.url)
    page.fill("input[name=nsec]", keys.encode_bare("nsec", pair.sk))
    page.get_by_role("button", name="Connect").click()
    expect(page).to_have_url(re.compile(r"/connections/(#main)?$"))
    expect(page.locator("main")).to_contain_text("Grace Hopper")
    page.goto(url + "/")
    page.fill("textarea[name=text]", "A note from a long-named account")
    page.click("button[name=action][value=now]")
    expect(page).to_have_url(re.compile(r"/posts/$"))
    expect(page.locator(".target .pill-ok")).to_have_count(1, timeout=30_000)

    wide: dict[str, list[int]] = {}
    whole: list[str] = []
    tall: dict[str, float] = {}
    for size, viewport in SIZES.items():
        page.set_viewport_size(viewport)
        for path in PAGES:
            page.goto(url + path)
            page.wait_for_load_state("load")
            if path == "/deck/":
                # The note may arrive live while the page is looked at: wait for it, so the
                # audit does not catch it fading in.
                expect(page.locator(".item", has_text="A note from a long-named account")
                       .first).to_be_visible(timeout=30_000)
            scroll_width, window = page.evaluate(WIDER)
            if scroll_width > window:
                wide[f"{size} {path}"] = [scroll_width, window]
            bar = page.locator(".sidebar").bounding_box()
            if size == "phone" and bar and bar["height"] > 80:
                tall[path] = bar["height"]  # a short page stretched the top bar
            name = path.strip("/").replace("/", "-") or "compose"
            shot(page, f"nostr-long-id-{size}-{name}")
        page.goto(url + "/connections/")
        text = page.locator("main").inner_text()
        assert "Grace Hopper" in text
        if npub in text or f"{npub[:9]}…{npub[-4:]}" not in text:
            whole.append(size)
    # The deck's item and the add-column page shorten it the same way, the whole in a title.
    short = f"{npub[:9]}…{npub[-4:]}"
    page.goto(url + "/deck/")
    handle = page.locator(".item", has_text="A note from a long-named account").first \
        .locator(".item-author > small")
    expect(handle).to_have_text(short)
    expect(handle).to_have_attribute("title", npub)
    expect(page.locator(".column-sub").first).to_contain_text(short)
    page.goto(url + "/deck/" + page.get_attribute("#deck", "data-deck") + "/columns/add/")
    chip = page.locator(".chip-handle").first
    expect(chip).to_have_text(short)
    expect(chip).to_have_attribute("title", npub)
    assert not wide, f"wider than the window (page width, window width): {wide}"
    assert not whole, f"Connections shows the whole npub, not npub1abcd…wxyz, on {whole}"
    assert not tall, f"the phone's top bar is taller than itself: {tall}"
