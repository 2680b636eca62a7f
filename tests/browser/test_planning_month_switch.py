"""The calendar's Month button opens the month of the day being looked at, also from a week
that spans two months: in a real browser against `hubbub serve`, on each day of such a week,
after moving a week on and back, and with the clock on a weekday, a weekend day and each day the
clocks change (tests/clock.py)."""

from __future__ import annotations

import calendar
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from tests.browser.conftest import shot
from tests.browser.flows import create_owner
from tests.clock import DAY_IDS, DAYS
from tests.integration.hubproc import Hub

pytestmark = pytest.mark.browser
BERLIN = ZoneInfo("Europe/Berlin")


@pytest.fixture
def browser_zone() -> str:
    return "Europe/Berlin"


def _spanning_week(today: date) -> list[date]:
    """The seven days (Monday first) of the first week from today on that spans two months."""
    last = today.replace(day=calendar.monthrange(today.year, today.month)[1])
    while last.weekday() == 6:  # the month ends on a Sunday: its last week spans nothing
        after = last + timedelta(days=1)
        last = after.replace(day=calendar.monthrange(after.year, after.month)[1])
    monday = last - timedelta(days=last.weekday())
    return [monday + timedelta(days=n) for n in range(7)]


def _month_title(page: Any) -> str:
    from playwright.sync_api import expect

    page.get_by_role("link", name="Month", exact=True).click()
    heading = page.locator(".pl-range")
    expect(page.locator("#pl-calendar[data-view=month]")).to_be_visible()
    return str(heading.inner_text())


@pytest.mark.parametrize("clock_day", DAYS, ids=DAY_IDS)
def test_month_opens_the_month_of_the_day_looked_at(
        page: Any, hub_server: tuple[Hub, str]) -> None:
    _hub, url = hub_server
    create_owner(page, url)
    today = datetime.now(BERLIN).date()  # the test's clock, moved with the hub's and browser's

    page.goto(url + "/plan/calendar/")
    assert _month_title(page) == f"{today:%B %Y}"

    week = _spanning_week(today)
    assert week[0].month != week[-1].month
    for day in week:
        page.goto(f"{url}/plan/calendar/?date={day:%Y-%m-%d}")
        assert _month_title(page) == f"{day:%B %Y}", f"from the week, on {day}"
    shot(page, f"calendar-month-from-spanning-week-{today:%Y-%m-%d}")

    # A week on and back again is the same day looked at.
    last = week[-1]
    page.goto(f"{url}/plan/calendar/?date={last:%Y-%m-%d}")
    page.get_by_role("link", name="Next week").click()
    page.get_by_role("link", name="Previous week").click()
    assert _month_title(page) == f"{last:%B %Y}"
