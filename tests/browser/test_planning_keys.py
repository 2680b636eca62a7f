"""Moving a post on the calendar with the keyboard, in a real browser against `hubbub serve` and
the Mastodon mock: focus it, arrows or h/j/k/l carry it a day or an hour (a week in the month
view), each step announced; Enter saves through the drop's own URL, Escape puts it back."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from tests.browser.conftest import shot
from tests.browser.flows import connect_mastodon, create_owner
from tests.clock import DAY_IDS, DAYS
from tests.integration.hubproc import Hub
from tests.peers.mastodon import MastodonPeer

pytestmark = pytest.mark.browser
BERLIN = ZoneInfo("Europe/Berlin")


@pytest.fixture
def browser_zone() -> str:
    return "Europe/Berlin"


def stored(hub: Hub, text: str) -> datetime:
    [found] = [p for p in hub.json("posts", "--user", "ada") if p["text"] == text]
    return datetime.fromisoformat(found["scheduled_for"]).astimezone(UTC)


def berlin(day: date, hour: int, minute: int) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=BERLIN).astimezone(UTC)


@pytest.mark.parametrize("clock_day", DAYS, ids=DAY_IDS)
def test_move_a_post_with_the_keys(page: Any, hub_server: tuple[Hub, str],
                                   mastodon_peer: MastodonPeer) -> None:
    from playwright.sync_api import expect

    hub, url = hub_server
    create_owner(page, url)
    connect_mastodon(page, url, mastodon_peer, mastodon_peer.new_account())
    handle = hub.json("connections", "--user", "ada")[0]["handle"]
    today = datetime.now(BERLIN).date()
    tuesday = today - timedelta(days=today.weekday()) + timedelta(days=8)  # next week
    text = "Moved by keyboard"
    hub.run("post", "--user", "ada", "--to", handle, "--at",
            berlin(tuesday, 10, 15).isoformat(), text)
    posted: list[str] = []
    page.on("request", lambda r: posted.append(r.url) if r.method == "POST" else None)

    page.goto(f"{url}/plan/calendar/?date={tuesday.isoformat()}")
    event = page.locator(".pl-event", has_text=text)
    link = event.locator(".pl-event-link")
    announce = page.locator("#pl-announce")
    expect(link).to_have_attribute("aria-describedby", "pl-move-hint")
    link.focus()

    # Right a day, down an hour, l a day, k an hour: Thursday 10:15.
    page.keyboard.press("ArrowRight")
    expect(event).to_have_class(re.compile("is-carried"))
    expect(announce).to_contain_text(f"{tuesday + timedelta(days=1):%A}")
    page.keyboard.press("ArrowDown")
    expect(announce).to_contain_text("11:15")
    expect(event.locator("time")).to_have_text("11:15")  # the card shows where it goes
    page.keyboard.press("l")
    page.keyboard.press("k")
    thursday = tuesday + timedelta(days=2)
    expect(announce).to_contain_text(f"{thursday:%A} {thursday.day} {thursday:%B}, 10:15")
    expect(announce).to_contain_text("10:15")
    cell = page.locator(f'[data-drop-day="{thursday.isoformat()}"][data-drop-hour="10"]')
    expect(cell.locator(".pl-event", has_text=text)).to_have_count(1)
    expect(link).to_be_focused()
    shot(page, "keys-1-week-carried")
    assert stored(hub, text) == berlin(tuesday, 10, 15)  # nothing saved before Enter

    page.keyboard.press("Enter")
    expect(announce).to_contain_text("Moved to")
    expect(page).to_have_url(re.compile(r"/plan/calendar/\?date="))  # did not follow the link
    assert stored(hub, text) == berlin(thursday, 10, 15)
    assert posted == [f"{url}/plan/calendar/move/"]  # the drop's own URL
    moved = page.locator(f'[data-drop-day="{thursday.isoformat()}"][data-drop-hour="10"] '
                         f'.pl-event-link')
    expect(moved).to_be_focused()
    shot(page, "keys-2-week-saved")

    # Escape puts it back and saves nothing.
    page.keyboard.press("h")
    page.keyboard.press("j")
    page.keyboard.press("Escape")
    expect(announce).to_contain_text("Move cancelled")
    expect(page.locator(".pl-event", has_text=text).locator("time")).to_have_text("10:15")
    expect(page.locator(f'[data-drop-day="{thursday.isoformat()}"][data-drop-hour="10"] '
                        '.pl-event', has_text=text)).to_have_count(1)
    expect(page.locator(".pl-event.is-carried")).to_have_count(0)
    assert stored(hub, text) == berlin(thursday, 10, 15)
    assert len(posted) == 1

    # At the edge of the week it says so and stays put.
    page.keyboard.press("Shift+Tab")
    page.keyboard.press("Tab")
    for _ in range(6):
        page.keyboard.press("ArrowRight")
    expect(announce).to_contain_text("cannot go further")
    page.keyboard.press("Escape")

    # The month view: down is a week later, Enter saves it.
    page.goto(f"{url}/plan/calendar/month/?month={thursday:%Y-%m}")
    month_link = page.locator(f'[data-drop-day="{thursday.isoformat()}"] .pl-event-link',
                              has_text=text)
    month_link.focus()
    page.keyboard.press("ArrowDown")
    later = thursday + timedelta(days=7)
    if later.month != thursday.month:  # the month view shows whole weeks around the month
        expect(page.locator(f'[data-drop-day="{later.isoformat()}"]')).to_have_count(1)
    expect(announce).to_contain_text(f"{later:%A} {later.day} {later:%B}, 10:15")
    shot(page, "keys-3-month-carried")
    page.keyboard.press("Enter")
    expect(announce).to_contain_text("Moved to")
    assert stored(hub, text) == berlin(later, 10, 15)
