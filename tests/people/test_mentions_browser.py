"""Mentioning a Person in Chromium against `hubbub serve` and the Mastodon mock: typing "@an"
in the composer's text offers Ana (one of the person's People) in a listbox; the keyboard picks
her (Down, Up, Enter), "@[Ana Lima]" goes in, the preview shows her Mastodon mention and the
post reaches the mock mentioning her account. The same in the deck's panel, with Escape closing
the list and not the panel. Screenshots audited (axe) with the list open."""

from __future__ import annotations

from typing import Any

import pytest

from tests.browser.conftest import shot
from tests.browser.flows import connect_mastodon, create_owner
from tests.integration.hubproc import Hub
from tests.peers.mastodon import MastodonPeer
from tests.people.hub_people import make_ana_and_bo
from tests.waiting import until

pytestmark = pytest.mark.browser


def _mentions(peer: MastodonPeer, account: Any, text: str) -> list[str]:
    return [m["id"] for s in peer.statuses(account) if text in s["content"]
            for m in s["mentions"]]


def test_typing_at_offers_people_and_the_keyboard_picks_one(
        page: Any, hub_server: tuple[Hub, str], mastodon_peer: MastodonPeer) -> None:
    from playwright.sync_api import expect

    hub, url = hub_server
    create_owner(page, url)
    me, ana = mastodon_peer.new_account(), mastodon_peer.new_account()
    connect_mastodon(page, url, mastodon_peer, me)
    make_ana_and_bo(hub, f"{ana.username}@localhost")

    # The compose page.
    page.goto(url + "/")
    for box in page.locator("input[name=targets]").all():
        if not box.is_checked():
            box.locator("xpath=..").click()
    text = page.locator("textarea[name=text]")
    text.click()
    text.press_sequentially("Thanks @an")
    listbox = page.get_by_role("listbox", name="People and accounts to mention")
    expect(listbox).to_be_visible()
    option = listbox.get_by_role("option", name="Ana Lima")
    expect(option).to_have_attribute("aria-selected", "true")
    expect(text).to_have_attribute("aria-activedescendant", option.get_attribute("id") or "")
    expect(page.get_by_role("status").filter(has_text="1 suggestion")).to_have_count(1)
    shot(page, "mentions-01-suggestions")
    page.keyboard.press("ArrowDown")  # one option: stays on it
    page.keyboard.press("ArrowUp")
    page.keyboard.press("Enter")
    expect(listbox).to_be_hidden()
    expect(text).to_have_value("Thanks @[Ana Lima] ")  # Enter picked, added no line
    text.press_sequentially("for the map")
    preview = page.locator("[data-preview]").first
    expect(preview).to_contain_text(f"@{ana.username}")
    shot(page, "mentions-02-picked")
    page.click("button[name=action][value=now]")
    until(lambda: _mentions(mastodon_peer, me, "for the map") == [ana.id],
          "the post on the mock, mentioning Ana's account")

    # The deck's panel: `n` opens it; "@" alone offers every person; Escape closes the list,
    # not the panel; "@bo" and Enter picks Bo.
    page.goto(url + "/deck/")
    page.keyboard.press("n")
    panel_text = page.locator("#compose-panel textarea[name=text]")
    expect(panel_text).to_be_visible()
    panel_text.click()
    panel_text.press_sequentially("Hello @")
    panel_list = page.get_by_role("listbox", name="People and accounts to mention")
    expect(panel_list.get_by_role("option")).to_have_count(2)
    page.keyboard.press("Escape")
    expect(panel_list).to_be_hidden()
    expect(panel_text).to_be_visible()  # the panel is still open
    panel_text.press_sequentially("bo")
    expect(panel_list.get_by_role("option", name="Bo")).to_be_visible()
    shot(page, "mentions-03-panel")
    page.keyboard.press("Tab")
    expect(panel_text).to_have_value("Hello @[Bo] ")
    panel_text.press_sequentially("@Án")  # accents typed: still Ana
    expect(panel_list.get_by_role("option", name="Ana Lima")).to_be_visible()
    page.keyboard.press("Escape")
    expect(panel_list).to_be_hidden()
    # Bo has no Mastodon account: the panel's preview says his name goes as written.
    expect(page.locator("#compose-panel [data-mention-note]")).to_contain_text(
        "Bo has no Mastodon account here: written as “Bo”.")
    shot(page, "mentions-04-panel-note")
