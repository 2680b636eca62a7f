"""The inbox in a real browser against `hubbub serve` and the Mastodon mock: a mention and a
direct message made on the server arrive with no deck column, the keys move between entries
(j/k), open the reply box (r) and mark done (e); the direct answer reaches the server as a
direct reply; the phone layout holds the same page."""

from __future__ import annotations

from typing import Any

import pytest

from tests.browser.fixtures import reload_until, shot
from tests.browser.flows import connect_mastodon, create_owner
from tests.integration.hubproc import Hub
from tests.peers.mastodon import MastodonPeer
from tests.waiting import until

pytestmark = pytest.mark.browser


def test_the_inbox_shows_answers_and_files_away(
        page: Any, hub_server: tuple[Hub, str], mastodon_peer: MastodonPeer) -> None:
    from playwright.sync_api import expect

    _hub, url = hub_server
    me, friend = mastodon_peer.new_account(), mastodon_peer.new_account()
    create_owner(page, url)
    connect_mastodon(page, url, mastodon_peer, me)
    mastodon_peer.post_as(friend, f"@{me.username} did you see the new release?")
    direct = mastodon_peer.post_as(friend, f"@{me.username} lunch on Friday?",
                                   visibility="direct")

    page.goto(url + "/inbox/")
    reload_until(page, lambda: page.locator(".inbox-entry").count() == 2)
    expect(page.locator(".nav-count").first).to_have_text("2 unread")
    expect(page.locator(".inbox-thread")).to_contain_text(f"With @{friend.username}@")
    shot(page, "inbox-desktop")

    # j twice reaches the thread; r opens its reply box; the message goes as a direct reply.
    page.keyboard.press("j")
    page.keyboard.press("j")
    expect(page.locator(".inbox-thread")).to_have_class("inbox-entry inbox-thread is-unread"
                                                        " is-current")
    page.keyboard.press("r")
    expect(page.locator(".inbox-thread textarea")).to_be_focused()
    page.keyboard.type("Friday works, see you at noon")
    shot(page, "inbox-replying")
    page.locator(".inbox-thread").get_by_role("button", name="Send message").click()
    expect(page.locator(".flash-stack")).to_contain_text("Message sent")

    def answered() -> bool:
        return any("see you at noon" in s["content"] and s["visibility"] == "direct"
                   and s["in_reply_to_id"] == str(direct["id"])
                   for s in mastodon_peer.statuses(me))
    until(answered, "the direct answer on the server")
    expect(page.locator(".inbox-thread .inbox-sent")).to_contain_text("Sent")
    shot(page, "inbox-answered")

    # e files the mention away; the Done tab has it.
    page.locator(".inbox-entry").first.focus()
    page.keyboard.press("j")
    page.keyboard.press("k")
    page.keyboard.press("e")
    expect(page.locator(".inbox-entry", has_text="new release")).to_have_count(0)
    page.get_by_role("link", name="Done").click()
    expect(page.locator(".inbox-entry")).to_contain_text("did you see the new release?")

    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(url + "/inbox/?show=direct")
    expect(page.locator(".inbox-thread")).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    shot(page, "inbox-phone")
