"""Scheduling in the person's own time zone, editing and cancelling, and a failed target that
is retried alone — in a real browser against `hubbub serve` and the Mastodon mock."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from tests.browser.conftest import shot
from tests.browser.flows import connect_mastodon, create_owner
from tests.integration.hubproc import Hub
from tests.peers.mastodon import MastodonPeer

pytestmark = pytest.mark.browser
BERLIN = ZoneInfo("Europe/Berlin")


@pytest.fixture
def browser_zone() -> str:
    return "Europe/Berlin"


def test_schedule_edit_cancel_and_retry_a_failure(
    page: Any, hub_server: tuple[Hub, str], mastodon_faults: MastodonPeer
) -> None:
    from playwright.sync_api import expect

    hub, url = hub_server
    peer = mastodon_faults
    account = peer.new_account()
    create_owner(page, url)
    connect_mastodon(page, url, peer, account)
    page.on("dialog", lambda dialog: dialog.accept())

    # Schedule for tomorrow 09:30, Berlin time (the zone the browser reported at sign-up).
    day = (datetime.now(BERLIN) + timedelta(days=1)).date()
    page.goto(url + "/")
    expect(page.locator(".zone")).to_have_text("Europe/Berlin")
    page.fill("textarea[name=text]", "See you tomorrow morning")
    page.fill("input[name=schedule_date]", day.isoformat())
    page.fill("input[name=schedule_time]", "09:30")
    page.click("button[name=action][value=schedule]")
    expect(page).to_have_url(re.compile(r"/posts/"))
    card = page.locator("article.post").first
    expect(card).to_contain_text("Scheduled for")
    expect(card).to_contain_text("09:30")
    shot(page, "10-posts-scheduled")
    [stored] = hub.json("posts", "--user", "ada")
    expected = datetime(day.year, day.month, day.day, 9, 30, tzinfo=BERLIN).astimezone(UTC)
    assert datetime.fromisoformat(stored["scheduled_for"]) == expected

    # Edit it: new text and time.
    card.get_by_role("link", name="Edit").click()
    page.fill("textarea[name=text]", "See you tomorrow, a bit later")
    page.fill("input[name=schedule_time]", "10:15")
    shot(page, "11-edit")
    page.get_by_role("button", name=re.compile("Save")).click()
    card = page.locator("article.post").first
    expect(card).to_contain_text("a bit later")
    expect(card).to_contain_text("10:15")

    # Cancel it: nothing will be sent.
    card.get_by_role("button", name="Cancel").click()
    expect(page.locator("article.post").first).to_contain_text("Cancelled")

    # A post the server refuses once: the target says why; Retry sends that one alone.
    peer.add_fault({"type": "status", "status": 422,
                    "body": {"error": "Validation failed: Text was refused by a filter"}},
                   methods=["POST"], path="/api/v1/statuses", count=1)
    page.goto(url + "/")
    page.fill("textarea[name=text]", "Second time lucky")
    page.click("button[name=action][value=now]")
    target = page.locator("article.post").first.locator(".target")
    expect(target.locator(".pill-bad")).to_have_text("Failed", timeout=20_000)
    expect(target).to_contain_text("refused by a filter")
    shot(page, "12-posts-failed")
    target.get_by_role("button", name="Retry").click()
    target = page.locator("article.post").first.locator(".target")
    expect(target.locator(".pill-ok")).to_have_text("Sent", timeout=20_000)
    shot(page, "13-posts-retried")
    texts = [s["content"] for s in peer.statuses(account)]
    assert len(texts) == 1
    assert "Second time lucky" in texts[0]
