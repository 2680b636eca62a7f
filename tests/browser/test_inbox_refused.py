"""A refused reply in the inbox loses nothing, in Chromium against `hubbub serve` and the
Mastodon mock (issue 12): the box's counter says a reply is over the account's limit as it is
typed; sent anyway, it is refused with the reason beside the box, the words still in it, the
caret back in it and the entry still unread; shortened, it goes out through the hub's worker
to the mock and the entry is read. Keyboard users keep their place: after `e` (done) the next
entry has the focus, after Mark read the same one (not the page's body). With JavaScript off
the refused reply comes back in its box the same way, through the plain form."""

from __future__ import annotations

import re
from typing import Any

import pytest

from tests.browser.fixtures import reload_until, shot
from tests.browser.flows import connect_mastodon, create_owner
from tests.integration.hubproc import Hub
from tests.peers.mastodon import MastodonPeer
from tests.waiting import until

pytestmark = pytest.mark.browser

ACTIVE_ID = "document.activeElement ? document.activeElement.id : ''"


def test_a_refused_reply_keeps_its_words_and_the_entry_unread(
        page: Any, hub_server: tuple[Hub, str], mastodon_peer: MastodonPeer) -> None:
    from playwright.sync_api import expect

    _hub, url = hub_server
    me, ana = mastodon_peer.new_account(), mastodon_peer.new_account()
    create_owner(page, url)
    connect_mastodon(page, url, mastodon_peer, me)
    mastodon_peer.post_as(ana, f"@{me.username} dinner at eight?")
    mastodon_peer.post_as(ana, f"@{me.username} or at nine?")
    mastodon_peer.post_as(ana, f"@{me.username} or at ten?")
    page.goto(url + "/inbox/")
    reload_until(page, lambda: page.locator(".inbox-entry").count() == 3)
    entries = page.locator(".inbox-entry")
    first = entries.nth(0)
    first_id = first.get_attribute("id")
    second_id, third_id = entries.nth(1).get_attribute("id"), entries.nth(2).get_attribute("id")
    pk = first_id.removeprefix("entry-")

    # r opens the box; the counter counts as the words are typed, and says when it is over.
    page.keyboard.press("j")
    page.keyboard.press("r")
    area = first.locator("textarea")
    expect(area).to_be_focused()
    counter = page.locator(f"#reply-{pk}-counter")
    expect(counter).to_contain_text(f"{len(ana.username) + 1} / 500 characters")  # as sent: trimmed
    long = f"@{ana.username} " + "long " * 1000
    area.fill(long)
    page.keyboard.type("words")
    expect(counter).to_contain_text("characters over the limit of 500")
    expect(counter).to_have_attribute("aria-live", "polite")

    # Sent anyway: refused here, the words still in the box, the reason beside it.
    first.get_by_role("button", name="Send reply").click()
    error = page.locator(f"#reply-{pk}-error")
    expect(error).to_contain_text("characters over the limit of 500")
    area = page.locator(f"#reply-{pk}")
    expect(area).to_have_value(long + "words")
    expect(area).to_be_focused()
    expect(counter).to_contain_text("characters over the limit of 500")
    expect(page.locator(f"#{first_id} .pill-info")).to_have_text("Unread")
    assert not [s for s in mastodon_peer.statuses(me) if "long long" in s["content"]]
    shot(page, "inbox-refused-01-kept")

    # Shortened, the same box sends; the worker takes it to the mock; the entry is read.
    area.fill(f"@{ana.username} eight is fine")
    page.locator(f"#{first_id}").get_by_role("button", name="Send reply").click()
    expect(page.locator(".flash-stack")).to_contain_text("Reply on its way")
    expect(page.locator(f"#{first_id}")).not_to_have_class("is-unread")
    expect(page.locator(f"#{first_id} .pill-info")).to_have_count(0)
    expect(page.locator(f"#reply-{pk}-error")).to_have_count(0)

    def arrived() -> bool:
        return any("eight is fine" in s["content"] for s in mastodon_peer.statuses(me))
    until(arrived, "the shortened reply on the mock")
    assert not [s for s in mastodon_peer.statuses(me) if "long long" in s["content"]]

    # The answered entry has the focus back; j moves on, e files it away, the next one has it.
    expect(page.locator(f"#{first_id}")).to_be_focused()
    page.keyboard.press("j")
    expect(page.locator(f"#{second_id}")).to_be_focused()
    page.keyboard.press("e")
    expect(page.locator(f"#{second_id}")).to_have_count(0)
    expect(page.locator(f"#{third_id}")).to_be_focused()
    assert page.evaluate(ACTIVE_ID) == third_id

    # Mark read by keyboard (Tab to the button, Enter): the focus comes back to that entry.
    mark = page.locator(f"#{third_id}").get_by_role("button", name="Mark read")
    for _ in range(4):  # past the entry's own links (its time, the post's link)
        page.keyboard.press("Tab")
        if mark.evaluate("b => b === document.activeElement"):
            break
    expect(mark).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.locator(f"#{third_id}")).not_to_have_class("is-unread")
    expect(page.locator(f"#{third_id}")).to_be_focused()
    assert page.evaluate(ACTIVE_ID) == third_id
    shot(page, "inbox-refused-02-after-keys")


def test_without_script_a_refused_reply_comes_back_in_its_box(
        browser: Any, hub_server: tuple[Hub, str], mastodon_peer: MastodonPeer) -> None:
    """No JavaScript at all: the reply box is a plain form; a refused reply comes back on the
    page the redirect lands on (at its entry), open, with the words, the reason and the count;
    shortened, it goes out."""
    from playwright.sync_api import expect

    _hub, url = hub_server
    context = browser.new_context(viewport={"width": 1280, "height": 860},
                                  java_script_enabled=False)
    page = context.new_page()
    try:
        me, ana = mastodon_peer.new_account(), mastodon_peer.new_account()
        create_owner(page, url)
        connect_mastodon(page, url, mastodon_peer, me)
        mastodon_peer.post_as(ana, f"@{me.username} lunch?")
        page.goto(url + "/inbox/")
        reload_until(page, lambda: page.locator(".inbox-entry").count() == 1)
        entry = page.locator(".inbox-entry")
        pk = (entry.get_attribute("id") or "").removeprefix("entry-")
        entry.locator("summary").click()
        area = page.locator(f"#reply-{pk}")
        long = f"@{ana.username} " + "soon " * 200
        area.fill(long)
        entry.get_by_role("button", name="Send reply").click()
        expect(page).to_have_url(re.compile(rf"/inbox/#entry-{pk}$"))
        expect(page.locator(f"#reply-{pk}-error")).to_contain_text("over the limit of 500")
        expect(page.locator(f"#reply-{pk}")).to_have_value(long)
        expect(page.locator(f"#reply-{pk}-counter")).to_contain_text("over the limit of 500")
        expect(page.locator(f"#entry-{pk} .pill-info")).to_have_text("Unread")
        shot(page, "inbox-refused-03-nojs")
        page.locator(f"#reply-{pk}").fill(f"@{ana.username} at one")
        page.locator(f"#entry-{pk}").get_by_role("button", name="Send reply").click()
        expect(page.locator(".flash-stack")).to_contain_text("Reply on its way")
        expect(page.locator(f"#entry-{pk} .pill-info")).to_have_count(0)
        until(lambda: any("at one" in s["content"] for s in mastodon_peer.statuses(me)),
              "the shortened reply on the mock")
    finally:
        context.close()
