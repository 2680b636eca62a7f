"""The queue in a real browser against `hubbub serve` and the Mastodon mock: make a queue with
weekday slots, add two posts, move the second to the top, pause and resume; the times shown
are the slots in the person's zone, and the database agrees."""

from __future__ import annotations

import re
from datetime import UTC, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from tests.browser.conftest import shot
from tests.browser.flows import connect_mastodon, create_owner
from tests.clock import DAY_IDS, DAYS, Day
from tests.integration.hubproc import Hub
from tests.peers.mastodon import MastodonPeer

pytestmark = pytest.mark.browser
BERLIN = ZoneInfo("Europe/Berlin")
SLOTS = (time(9, 0), time(17, 30))  # Monday to Friday


@pytest.fixture
def browser_zone() -> str:
    return "Europe/Berlin"


@pytest.fixture(params=DAYS, ids=DAY_IDS)
def clock_day(request: pytest.FixtureRequest) -> Day:
    """Slots depend on today: on a weekend both posts fall on Monday, and on a DST change day
    the next slots straddle the change."""
    day: Day = request.param
    return day


def next_slots(count: int) -> list[datetime]:
    """The queue's next slots from now, as the hub computes them (weekdays, Berlin wall clock,
    at least a minute ahead)."""
    now = datetime.now(BERLIN) + timedelta(minutes=2)
    found: list[datetime] = []
    day = now.date()
    while len(found) < count:
        if day.weekday() < 5:
            for at in SLOTS:
                when = datetime.combine(day, at, tzinfo=BERLIN)
                if when > now and len(found) < count:
                    found.append(when)
        day += timedelta(days=1)
    return found


def label(when: datetime) -> str:
    return f"{when:%A} {when.day} {when:%b, %H:%M}"


def test_queue_add_two_move_one_to_top_pause_resume(
    page: Any, hub_server: tuple[Hub, str], mastodon_peer: MastodonPeer
) -> None:
    from playwright.sync_api import expect

    hub, url = hub_server
    account = mastodon_peer.new_account()
    create_owner(page, url)
    connect_mastodon(page, url, mastodon_peer, account)
    page.on("dialog", lambda dialog: dialog.accept())

    # A queue from the nav, for the one account, in the zone the browser reported.
    page.get_by_role("link", name="Queue", exact=True).click()
    expect(page.get_by_role("heading", name="Queues")).to_be_visible()
    shot(page, "planning-01-queues-empty")
    page.fill("input[name=name]", "Weekday mornings")
    expect(page.locator("select[name=timezone]")).to_have_value("Europe/Berlin")
    page.get_by_role("button", name="Create queue").click()
    expect(page.get_by_role("heading", name=re.compile("Weekday mornings"))).to_be_visible()

    # Monday to Friday are ticked already: 09:00, then 17:30.
    for at in ("09:00", "17:30"):
        page.fill("input[name=time]", at)
        page.get_by_role("button", name="Add time").click()
        expect(page.locator(".flash")).to_contain_text(f"Added 5 slots at {at}")
    expect(page.locator(".pl-ws-slot")).to_have_count(10)

    # A slot the clocks skip is refused, naming the gap.
    page.locator(".pl-day-pick", has_text="Sun").click()
    for day in ("Mon", "Tue", "Wed", "Thu", "Fri"):
        page.locator(".pl-day-pick", has_text=day).click()
    page.fill("input[name=time]", "02:30")
    page.get_by_role("button", name="Add time").click()
    expect(page.locator(".pl-add-slot .error")).to_contain_text("02:30 does not exist on Sunday")
    expect(page.locator(".pl-add-slot .error")).to_contain_text("from 02:00 to 03:00")
    shot(page, "planning-02-slot-refused")

    first, second, third = next_slots(3)
    # One written on the queue's page, one in the composer with its "Add to queue" button.
    page.fill("textarea[name=text]", "First in line")
    page.get_by_role("button", name="Add to queue").click()
    expect(page.locator(".flash")).to_contain_text("Added to Weekday mornings")
    page.get_by_role("link", name="Compose", exact=True).click()
    page.fill("textarea[name=text]", "Second in line")
    expect(page.locator("select[name=queue]")).to_have_value(re.compile(r"\d+"))
    page.get_by_role("button", name="Add to queue").click()
    expect(page.get_by_role("heading", name=re.compile("Weekday mornings"))).to_be_visible()
    expect(page.locator(".flash")).to_contain_text(
        f"Added to Weekday mornings for {second:%a} {second.day} {second:%b, %H:%M}")
    entries = page.locator(".pl-entry")
    expect(entries).to_have_count(2)
    expect(entries.nth(0)).to_contain_text("First in line")
    expect(entries.nth(0).locator(".pl-entry-when")).to_have_text(label(first))
    expect(entries.nth(1)).to_contain_text("Second in line")
    expect(entries.nth(1).locator(".pl-entry-when")).to_have_text(label(second))
    expect(page.locator(".pl-next")).to_contain_text(f"{third:%a} {third.day} {third:%b, %H:%M}")
    expect(entries.nth(0).locator(".pl-late")).to_contain_text("If this is late: hold it for me")
    shot(page, "planning-03-queue-two-posts")

    # Move the second to the top: it takes the first slot, the first moves down one.
    entries.nth(1).get_by_role("button", name="Move to top").click()
    expect(page.locator(".flash")).to_contain_text("Moved to the top")
    entries = page.locator(".pl-entry")
    expect(entries.nth(0)).to_contain_text("Second in line")
    expect(entries.nth(0).locator(".pl-entry-when")).to_have_text(label(first))
    expect(entries.nth(1)).to_contain_text("First in line")
    expect(entries.nth(1).locator(".pl-entry-when")).to_have_text(label(second))
    shot(page, "planning-04-queue-moved-to-top")
    page.emulate_media(color_scheme="dark")
    shot(page, "planning-04-queue-moved-to-top-dark")
    page.emulate_media(color_scheme="light")

    stored = {p["text"]: p for p in hub.json("posts", "--user", "ada")}
    assert datetime.fromisoformat(stored["Second in line"]["scheduled_for"]) == first.astimezone(
        UTC)
    assert datetime.fromisoformat(stored["First in line"]["scheduled_for"]) == second.astimezone(
        UTC)

    # Pause: nothing goes out, the order stays; resume re-times from now.
    page.get_by_role("button", name="Pause").click()
    expect(page.locator(".pl-title .pill")).to_have_text("Paused")
    expect(page.locator(".pl-paused-note")).to_be_visible()
    shot(page, "planning-05-queue-paused")
    stored = hub.json("posts", "--user", "ada")
    assert {t["state"] for p in stored for t in p["targets"]} == {"draft"}
    page.get_by_role("button", name="Resume").click()
    expect(page.locator(".pl-title .pill")).to_have_text("Running")
    entries = page.locator(".pl-entry")
    expect(entries.nth(0)).to_contain_text("Second in line")
    expect(entries.nth(0).locator(".pl-entry-when")).to_have_text(label(first))
    stored = hub.json("posts", "--user", "ada")
    assert {t["state"] for p in stored for t in p["targets"]} == {"scheduled"}

    # The calendar shows both queued posts in their slots (on a weekend, both on Monday).
    page.goto(f"{url}/plan/calendar/?date={first:%Y-%m-%d}")
    shown = [("Second in line", first)]
    if second.isocalendar()[:2] == first.isocalendar()[:2]:  # the week view shows one week
        shown.append(("First in line", second))
    for text, when in shown:
        event = page.locator(f"[data-drop-day='{when:%Y-%m-%d}'] .pl-event", has_text=text)
        expect(event).to_have_count(1)
        expect(event).to_contain_text(f"{when:%H:%M}")
    shot(page, "planning-06-calendar-with-queue")
    assert mastodon_peer.statuses(account) == []
