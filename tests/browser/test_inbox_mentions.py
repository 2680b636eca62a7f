"""`@[Name]` in the inbox's answer boxes, in Chromium against `hubbub serve` and the Mastodon
mock: typing "@An" in the answer to a direct message offers Ana (one of the person's People) in
the composer's listbox, Enter puts "@[Ana Lima]" in, and the direct status on the server
mentions her account; Bo (no Mastodon account) is offered with that said. The reply to a
mention does the same through the engine. Screenshots audited (axe) with the list open."""

from __future__ import annotations

from typing import Any

import pytest

from tests.browser.fixtures import reload_until, shot
from tests.browser.flows import connect_mastodon, create_owner
from tests.integration.hubproc import Hub
from tests.peers.mastodon import MastodonPeer
from tests.people.hub_people import make_ana_and_bo
from tests.waiting import until

pytestmark = pytest.mark.browser


def _mentioned(peer: MastodonPeer, account: Any, text: str) -> set[str]:
    return {m["id"] for s in peer.statuses(account) if text in s["content"]
            for m in s["mentions"]}


def test_typing_at_in_an_inbox_answer_offers_ana(
        page: Any, hub_server: tuple[Hub, str], mastodon_peer: MastodonPeer) -> None:
    from playwright.sync_api import expect

    hub, url = hub_server
    me, friend, ana = (mastodon_peer.new_account(), mastodon_peer.new_account(),
                       mastodon_peer.new_account())
    create_owner(page, url)
    connect_mastodon(page, url, mastodon_peer, me)
    make_ana_and_bo(hub, f"{ana.username}@localhost")
    mastodon_peer.post_as(friend, f"@{me.username} who drew this map?")
    mastodon_peer.post_as(friend, f"@{me.username} dinner with Ana?", visibility="direct")

    page.goto(url + "/inbox/")
    reload_until(page, lambda: page.locator(".inbox-entry").count() == 2)

    # The direct message's answer box: "@An" offers Ana; Enter picks her.
    thread = page.locator(".inbox-thread")
    thread.locator("summary").click()
    box = thread.locator("textarea")
    box.click()
    box.press_sequentially("Asking @An")
    listbox = page.get_by_role("listbox", name="People and accounts to mention")
    expect(listbox).to_be_visible()
    option = listbox.get_by_role("option", name="Ana Lima")
    expect(option).to_have_attribute("aria-selected", "true")
    expect(box).to_have_attribute("aria-activedescendant", option.get_attribute("id") or "")
    shot(page, "inbox-mentions-01-suggestions")
    page.keyboard.press("Enter")
    expect(listbox).to_be_hidden()
    expect(box).to_have_value("Asking @[Ana Lima] ")
    box.press_sequentially("too")
    thread.get_by_role("button", name="Send message").click()
    expect(page.locator(".flash-stack")).to_contain_text("Ana Lima can read this message too")
    until(lambda: ana.id in _mentioned(mastodon_peer, me, "too"),
          "the direct answer on the mock, mentioning Ana's account")
    expect(page.locator(".inbox-thread .inbox-sent")).to_contain_text(f"@{ana.username}")

    # The mention's reply box: Bo has no Mastodon account, and the list says so.
    entry = page.locator(".inbox-entry", has_text="who drew this map?")
    entry.locator("summary").click()
    box = entry.locator("textarea")
    box.click()
    box.press_sequentially("ask @Bo")
    listbox = page.get_by_role("listbox", name="People and accounts to mention")
    expect(listbox.get_by_role("option", name="Bo")).to_contain_text(
        "no Mastodon account: written as “Bo”")
    page.keyboard.press("Escape")
    expect(listbox).to_be_hidden()
    box.press_sequentially(" or @an")
    expect(listbox.get_by_role("option", name="Ana Lima")).to_be_visible()
    page.keyboard.press("Tab")
    # The box starts with the author's handle, as the deck's reply (issue 12 #2).
    expect(box).to_have_value(f"@{friend.username} ask @Bo or @[Ana Lima] ")
    entry.get_by_role("button", name="Send reply").click()
    expect(page.locator(".flash-stack")).to_contain_text("Reply on its way")
    until(lambda: ana.id in _mentioned(mastodon_peer, me, "ask"),
          "the reply on the mock (sent by the hub's worker), mentioning Ana's account")
