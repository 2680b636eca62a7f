"""The days a test that depends on "today" must hold on: a weekday, a weekend day, and both days
the clocks change in the zone the planning tests use.

Each instant is found from the real clock (the next such day ahead), so a session cookie the hub
sets with its moved clock is still valid in the browser's real one. A DST instant is half an
hour before the change, so what the test does next crosses it.

In-process tests move the clock with time-machine (`travel`); a hub started as a separate
process moves its own by the same offset (`tests/hubmain.py`), and so does the browser
(Playwright's clock), so all three agree on what "now" is."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

ZONE = ZoneInfo("Europe/Berlin")
CLOCK_ENV = "HUBBUB_TEST_CLOCK_OFFSET"


@dataclass(frozen=True)
class Day:
    name: str
    at: datetime  # aware

    def offset_seconds(self) -> float:
        """How far this instant is from the real clock now."""
        return (self.at - datetime.now(UTC)).total_seconds()


def _next_local(weekday: int, at: time, after: datetime) -> datetime:
    day = after.astimezone(ZONE).date() + timedelta(days=1)
    while day.weekday() != weekday:
        day += timedelta(days=1)
    return datetime.combine(day, at, tzinfo=ZONE)


def offset_changes(after: datetime, zone: ZoneInfo = ZONE) -> list[datetime]:
    """The UTC instants in the coming year where `zone`'s offset changes, found hour by hour and
    then to the minute."""
    found: list[datetime] = []
    step = timedelta(hours=1)
    at = after.astimezone(UTC).replace(minute=0, second=0, microsecond=0)
    before = at.astimezone(zone).utcoffset()
    for _ in range(24 * 370):
        nxt = at + step
        offset = nxt.astimezone(zone).utcoffset()
        if offset != before:
            minute = at
            while minute.astimezone(zone).utcoffset() == before:
                minute += timedelta(minutes=1)
            found.append(minute)
            before = offset
        at = nxt
    return found


def days(now: datetime | None = None) -> list[Day]:
    """A Wednesday morning, a Saturday morning, and half an hour before each DST change."""
    now = now or datetime.now(UTC)
    changes = offset_changes(now)
    spring = next(c for c in changes if (c + timedelta(hours=1)).astimezone(ZONE).dst())
    autumn = next(c for c in changes if not (c + timedelta(hours=1)).astimezone(ZONE).dst())
    return [
        Day("weekday", _next_local(2, time(10, 0), now)),
        Day("weekend", _next_local(5, time(10, 0), now)),
        Day("dst-spring", spring - timedelta(minutes=30)),
        Day("dst-autumn", autumn - timedelta(minutes=30)),
    ]


DAYS = days()
DAY_IDS = [d.name for d in DAYS]


@contextmanager
def travel(day: Day) -> Iterator[None]:
    """Move this process's clock to `day` and let it tick from there."""
    import time_machine

    with time_machine.travel(day.at, tick=True):
        yield
