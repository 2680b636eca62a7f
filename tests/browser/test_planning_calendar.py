"""The calendar in a real browser against `hubbub serve` and the Mastodon mock: a scheduled
post dragged to another day and hour (week) and to another day (month) is moved, in the
person's zone, and the database says so; a sent post is shown but cannot be dragged; a week
with a clock change shows the skipped hour."""

from __future__ import annotations

import re
import time as py_time
from collections.abc import Iterator
from datetime import UTC, date, datetime, time, timedelta
from time import monotonic, sleep
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


@pytest.fixture
def page(browser: Any, browser_zone: str, clock_offset: float | None) -> Iterator[Any]:
    """The shared page fixture, except that a refused move (409/400 from the move URL, the
    answer the calendar's script shows) is not a fault."""
    context = browser.new_context(viewport={"width": 1280, "height": 860},
                                  timezone_id=browser_zone)
    if clock_offset is not None:
        context.clock.install(time=py_time.time())  # time-machine has moved this process's clock
    pg = context.new_page()
    errors: list[str] = []
    pg.on("pageerror", lambda exc: errors.append(str(exc)))
    pg.on("console", lambda msg: errors.append(msg.text)
          if msg.type == "error" and not msg.text.startswith("Failed to load resource") else None)
    pg.on("response", lambda r: errors.append(f"{r.status} {r.url}")
          if r.status >= 400 and r.request.resource_type != "document"
          and not r.url.endswith("/plan/calendar/move/") else None)
    yield pg
    context.close()
    assert not errors, f"the page logged errors: {errors}"


def stored_time(hub: Hub, text: str) -> datetime:
    [found] = [p for p in hub.json("posts", "--user", "ada") if p["text"] == text]
    return datetime.fromisoformat(found["scheduled_for"])


def sent_already(hub: Hub, text: str) -> bool:
    [found] = [p for p in hub.json("posts", "--user", "ada") if p["text"] == text]
    return all(t["state"] == "sent" for t in found["targets"])


def schedule(hub: Hub, handle: str, when: datetime, text: str) -> None:
    hub.run("post", "--user", "ada", "--to", handle, "--at", when.isoformat(), text)


@pytest.mark.parametrize("clock_day", DAYS, ids=DAY_IDS)
def test_drag_a_post_to_another_day_and_hour(
    page: Any, hub_server: tuple[Hub, str], mastodon_peer: MastodonPeer
) -> None:
    from playwright.sync_api import expect

    hub, url = hub_server
    account = mastodon_peer.new_account()
    create_owner(page, url)
    connect_mastodon(page, url, mastodon_peer, account)
    handle = hub.json("connections", "--user", "ada")[0]["handle"]

    # Next week, so every day shown is ahead: Tuesday 10:15 and Wednesday 16:00 (Berlin).
    today = datetime.now(BERLIN).date()
    tuesday = today - timedelta(days=today.weekday()) + timedelta(days=8)
    thursday, friday = tuesday + timedelta(days=2), tuesday + timedelta(days=3)
    schedule(hub, handle, datetime.combine(tuesday, time(10, 15), tzinfo=BERLIN),
             "Launch notes for the new calendar")
    schedule(hub, handle, datetime.combine(tuesday + timedelta(days=1), time(16, 0),
                                           tzinfo=BERLIN), "Office hours at four")
    hub.run("post", "--user", "ada", "--to", handle, "Posted straight away")
    # The calendar shows states as they are when it loads: wait for the worker to send it.
    deadline = monotonic() + 30
    while not sent_already(hub, "Posted straight away"):
        assert monotonic() < deadline, "the worker did not send the post"
        sleep(0.2)

    page.get_by_role("link", name="Calendar", exact=True).click()
    expect(page.get_by_role("heading", name="Calendar")).to_be_visible()
    sent = page.locator(".pl-event", has_text="Posted straight away")
    expect(sent.locator(".pl-state-ok")).to_be_visible()
    assert sent.get_attribute("draggable") is None
    shot(page, "planning-10-calendar-this-week")

    page.get_by_role("link", name="Next week").click()
    # Seven days on from the day looked at (today), in the week of that Tuesday.
    expect(page).to_have_url(re.compile(r"date=\d{4}-\d{2}-\d{2}"))
    shown = date.fromisoformat(page.url.rsplit("date=", 1)[1][:10])
    assert shown - timedelta(days=shown.weekday()) == tuesday - timedelta(days=1)
    post = page.locator(".pl-event", has_text="Launch notes")
    expect(post).to_have_attribute("draggable", "true")
    expect(post.locator("time")).to_have_text("10:15")
    shot(page, "planning-11-calendar-next-week")

    # Week view: drop on Thursday's 14:00 row; the minutes stay (14:15).
    target = page.locator(f"[data-drop-day='{thursday:%Y-%m-%d}'][data-drop-hour='14']")
    post.drag_to(target)
    expect(page.locator(".pl-toast")).to_contain_text(f"Moved to {thursday:%a} {thursday.day}")
    moved = page.locator(f"[data-drop-day='{thursday:%Y-%m-%d}'][data-drop-hour='14'] .pl-event")
    expect(moved).to_contain_text("Launch notes")
    expect(moved.locator("time")).to_have_text("14:15")
    expect(page.locator(f"[data-drop-day='{tuesday:%Y-%m-%d}'] .pl-event")).to_have_count(0)
    shot(page, "planning-12-calendar-dragged")
    page.emulate_media(color_scheme="dark")
    shot(page, "planning-12-calendar-dragged-dark")
    page.emulate_media(color_scheme="light")
    assert stored_time(hub, "Launch notes for the new calendar") == datetime.combine(
        thursday, time(14, 15), tzinfo=BERLIN).astimezone(UTC)

    # Month view: drop on Friday; the time of day stays (14:15).
    page.get_by_role("link", name="Month").click()
    expect(page.locator(".pl-month")).to_be_visible()
    if page.locator(".pl-event", has_text="Launch notes").count() == 0:
        page.get_by_role("link", name="Next month").click()  # next week is in next month
    post = page.locator(".pl-event", has_text="Launch notes")
    drop = page.locator(f".pl-day[data-drop-day='{friday:%Y-%m-%d}']")
    # Bring the drop cell wholly into view first: when next week is the grid's last row it
    # sits at the fold, and a page that scrolls between mouse-down and drop loses the drag.
    drop.scroll_into_view_if_needed()
    post.drag_to(drop)
    expect(page.locator(".pl-toast")).to_contain_text(f"Moved to {friday:%a} {friday.day}")
    expect(page.locator(f".pl-day[data-drop-day='{friday:%Y-%m-%d}'] .pl-event",
                        has_text="Launch notes")).to_be_visible()
    shot(page, "planning-13-calendar-month")
    page.emulate_media(color_scheme="dark")
    shot(page, "planning-13-calendar-month-dark")
    page.emulate_media(color_scheme="light")
    assert stored_time(hub, "Launch notes for the new calendar") == datetime.combine(
        friday, time(14, 15), tzinfo=BERLIN).astimezone(UTC)

    # Filters: another network hides everything; the account shows them again.
    page.select_option("select[name=network]", "")
    page.select_option("select[name=account]", label=handle)
    expect(page.locator(".pl-event", has_text="Launch notes")).to_be_visible()
    # Nothing scheduled went out early; only the straight-away post reached the server.
    assert len(mastodon_peer.statuses(account)) == 1


def test_a_week_with_a_clock_change_and_a_post_that_cannot_move(
    page: Any, hub_server: tuple[Hub, str], mastodon_peer: MastodonPeer
) -> None:
    from playwright.sync_api import expect

    hub, url = hub_server
    account = mastodon_peer.new_account()
    create_owner(page, url)
    connect_mastodon(page, url, mastodon_peer, account)
    handle = hub.json("connections", "--user", "ada")[0]["handle"]
    # The next spring-forward Sunday in Berlin (last Sunday of March).
    year = datetime.now(BERLIN).year + 1
    sunday = max(date(year, 3, d) for d in range(25, 32) if date(year, 3, d).weekday() == 6)
    saturday = sunday - timedelta(days=1)
    schedule(hub, handle, datetime.combine(saturday, time(1, 30), tzinfo=BERLIN),
             "The night before summer time")

    page.goto(f"{url}/plan/calendar/?date={sunday:%Y-%m-%d}")
    skipped = page.locator(".pl-cell.is-skipped")
    expect(skipped).to_have_count(1)
    expect(skipped).to_contain_text("Skipped")
    assert skipped.get_attribute("data-drop-day") is None  # nothing can be dropped there
    expect(page.locator(".pl-change")).to_contain_text("02:00 → 03:00")
    assert "clocks go forward from 02:00 to 03:00" in (
        page.locator(".pl-change").get_attribute("title") or "")
    expect(page.locator(".pl-corner")).to_contain_text("CET / CEST")
    page.locator(".pl-week-body").evaluate("b => { b.scrollTop = 0; }")
    shot(page, "planning-14-calendar-dst-week")

    # Sunday 01:00 exists; the post moves there, an hour before the gap.
    post = page.locator(".pl-event", has_text="The night before")
    post.drag_to(page.locator(f"[data-drop-day='{sunday:%Y-%m-%d}'][data-drop-hour='1']"))
    expect(page.locator(".pl-toast")).to_contain_text("Moved to Sun")
    assert stored_time(hub, "The night before summer time") == datetime.combine(
        sunday, time(1, 30), tzinfo=BERLIN).astimezone(UTC)

    # A post already sending cannot be moved: the server says so if the page was stale.
    hub.run("manage", "shell", "-c",
            "from hubbub.publishing.models import Delivery; "
            "Delivery.objects.update(state='sending')")
    post = page.locator(".pl-event", has_text="The night before")
    post.drag_to(page.locator(f"[data-drop-day='{sunday:%Y-%m-%d}'][data-drop-hour='5']"))
    expect(page.locator(".pl-toast")).to_contain_text("started sending")
    expect(page.locator(".pl-toast")).to_have_class(re.compile("is-error"))
    expect(page.locator(f"[data-drop-day='{sunday:%Y-%m-%d}'][data-drop-hour='1'] .pl-event")
           ).to_contain_text("The night before")
    shot(page, "planning-15-calendar-refused")
    page.reload()
    assert page.locator(".pl-event", has_text="The night before").get_attribute(
        "draggable") is None
