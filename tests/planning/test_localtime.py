"""DST gaps and folds, table-driven, for Europe/Berlin and America/New_York (and a zone
without DST as a control)."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from itertools import takewhile

import pytest
from django.core.exceptions import ValidationError

from hubbub.core import localtime
from hubbub.core.localtime import SkippedTime

BERLIN = "Europe/Berlin"
NEW_YORK = "America/New_York"

# (zone, day, wall time, expected UTC instants: [] gap, [one], [first, second] fold)
CASES = [
    # Berlin spring forward, Sunday 29 March 2026: 02:00 CET -> 03:00 CEST.
    (BERLIN, date(2026, 3, 29), time(1, 59), [datetime(2026, 3, 29, 0, 59, tzinfo=UTC)]),
    (BERLIN, date(2026, 3, 29), time(2, 0), []),
    (BERLIN, date(2026, 3, 29), time(2, 30), []),
    (BERLIN, date(2026, 3, 29), time(2, 59), []),
    (BERLIN, date(2026, 3, 29), time(3, 0), [datetime(2026, 3, 29, 1, 0, tzinfo=UTC)]),
    # Berlin fall back, Sunday 25 October 2026: 03:00 CEST -> 02:00 CET.
    (BERLIN, date(2026, 10, 25), time(1, 59), [datetime(2026, 10, 24, 23, 59, tzinfo=UTC)]),
    (BERLIN, date(2026, 10, 25), time(2, 0), [datetime(2026, 10, 25, 0, 0, tzinfo=UTC),
                                              datetime(2026, 10, 25, 1, 0, tzinfo=UTC)]),
    (BERLIN, date(2026, 10, 25), time(2, 30), [datetime(2026, 10, 25, 0, 30, tzinfo=UTC),
                                               datetime(2026, 10, 25, 1, 30, tzinfo=UTC)]),
    (BERLIN, date(2026, 10, 25), time(3, 0), [datetime(2026, 10, 25, 2, 0, tzinfo=UTC)]),
    # Ordinary days, winter and summer.
    (BERLIN, date(2026, 1, 12), time(9, 0), [datetime(2026, 1, 12, 8, 0, tzinfo=UTC)]),
    (BERLIN, date(2026, 7, 13), time(9, 0), [datetime(2026, 7, 13, 7, 0, tzinfo=UTC)]),
    # New York spring forward, Sunday 8 March 2026: 02:00 EST -> 03:00 EDT.
    (NEW_YORK, date(2026, 3, 8), time(1, 59), [datetime(2026, 3, 8, 6, 59, tzinfo=UTC)]),
    (NEW_YORK, date(2026, 3, 8), time(2, 0), []),
    (NEW_YORK, date(2026, 3, 8), time(2, 30), []),
    (NEW_YORK, date(2026, 3, 8), time(3, 0), [datetime(2026, 3, 8, 7, 0, tzinfo=UTC)]),
    # New York fall back, Sunday 1 November 2026: 02:00 EDT -> 01:00 EST.
    (NEW_YORK, date(2026, 11, 1), time(0, 59), [datetime(2026, 11, 1, 4, 59, tzinfo=UTC)]),
    (NEW_YORK, date(2026, 11, 1), time(1, 0), [datetime(2026, 11, 1, 5, 0, tzinfo=UTC),
                                               datetime(2026, 11, 1, 6, 0, tzinfo=UTC)]),
    (NEW_YORK, date(2026, 11, 1), time(1, 30), [datetime(2026, 11, 1, 5, 30, tzinfo=UTC),
                                                datetime(2026, 11, 1, 6, 30, tzinfo=UTC)]),
    (NEW_YORK, date(2026, 11, 1), time(2, 0), [datetime(2026, 11, 1, 7, 0, tzinfo=UTC)]),
    (NEW_YORK, date(2026, 1, 12), time(9, 0), [datetime(2026, 1, 12, 14, 0, tzinfo=UTC)]),
    (NEW_YORK, date(2026, 7, 13), time(9, 0), [datetime(2026, 7, 13, 13, 0, tzinfo=UTC)]),
    # No DST at all: every wall time exists exactly once.
    ("Asia/Tokyo", date(2026, 3, 29), time(2, 30), [datetime(2026, 3, 28, 17, 30, tzinfo=UTC)]),
]


@pytest.mark.parametrize(("zone", "day", "at", "instants"), CASES)
def test_occurrences(zone: str, day: date, at: time, instants: list[datetime]) -> None:
    assert [o.utc for o in localtime.occurrences(day, at, zone)] == instants


@pytest.mark.parametrize(("zone", "day", "at", "instants"), CASES)
def test_to_utc_refuses_gaps_and_takes_the_first_of_a_fold(
    zone: str, day: date, at: time, instants: list[datetime]
) -> None:
    if not instants:
        with pytest.raises(SkippedTime) as caught:
            localtime.to_utc(day, at, zone)
        assert isinstance(caught.value, ValidationError)  # forms show it as a field error
        return
    assert localtime.to_utc(day, at, zone) == instants[0]
    assert localtime.to_utc(day, at, zone, fold=localtime.SECOND) == instants[-1]


# (zone, day, time in the gap, gap starts, gap ends, before, after)
GAPS = [
    (BERLIN, date(2026, 3, 29), time(2, 30), time(2, 0), time(3, 0), "CET", "CEST"),
    (NEW_YORK, date(2026, 3, 8), time(2, 30), time(2, 0), time(3, 0), "EST", "EDT"),
    (BERLIN, date(2027, 3, 28), time(2, 15), time(2, 0), time(3, 0), "CET", "CEST"),
    # Lord Howe moves by half an hour.
    ("Australia/Lord_Howe", date(2026, 10, 4), time(2, 10), time(2, 0), time(2, 30),
     "+1030", "+11"),
]


@pytest.mark.parametrize(("zone", "day", "at", "starts", "ends", "before", "after"), GAPS)
def test_the_refusal_names_the_gap(zone: str, day: date, at: time, starts: time, ends: time,
                                   before: str, after: str) -> None:
    change = localtime.gap_at(day, at, zone)
    assert change is not None
    assert (change.starts, change.ends, change.before, change.after) == (
        starts, ends, before, after)
    assert change.is_gap
    with pytest.raises(SkippedTime) as caught:
        localtime.to_utc(day, at, zone)
    message = caught.value.messages[0]
    assert f"{at:%H:%M} does not exist on" in message
    assert zone in message
    assert f"from {starts:%H:%M} to {ends:%H:%M}" in message
    assert "clocks go forward" in message


# (zone, day, time in the fold, clocks go back from, to, first label, second label)
FOLDS = [
    (BERLIN, date(2026, 10, 25), time(2, 30), time(3, 0), time(2, 0),
     "CEST (UTC+02:00)", "CET (UTC+01:00)"),
    (NEW_YORK, date(2026, 11, 1), time(1, 30), time(2, 0), time(1, 0),
     "EDT (UTC-04:00)", "EST (UTC-05:00)"),
]


@pytest.mark.parametrize(("zone", "day", "at", "starts", "ends", "first", "second"), FOLDS)
def test_a_fold_is_described_with_both_readings(zone: str, day: date, at: time, starts: time,
                                                ends: time, first: str, second: str) -> None:
    change = localtime.fold_at(day, at, zone)
    assert change is not None
    assert not change.is_gap
    assert (change.starts, change.ends) == (starts, ends)
    assert "clocks go back" in change.describe()
    labels = [o.label for o in localtime.occurrences(day, at, zone)]
    assert labels == [first, second]
    assert localtime.gap_at(day, at, zone) is None
    assert localtime.fold_at(day, time(12, 0), zone) is None


@pytest.mark.parametrize(("zone", "day", "at", "expected"), [
    # A weekly time in a gap (only if the zone changed after it was saved): RFC 5545's reading,
    # the offset from before the gap, i.e. one hour later on the wall clock.
    (BERLIN, date(2026, 3, 29), time(2, 30), datetime(2026, 3, 29, 1, 30, tzinfo=UTC)),
    (NEW_YORK, date(2026, 3, 8), time(2, 30), datetime(2026, 3, 8, 7, 30, tzinfo=UTC)),
    # In a fold: the first.
    (BERLIN, date(2026, 10, 25), time(2, 30), datetime(2026, 10, 25, 0, 30, tzinfo=UTC)),
    (NEW_YORK, date(2026, 11, 1), time(1, 30), datetime(2026, 11, 1, 5, 30, tzinfo=UTC)),
])
def test_wall_clock_utc_for_weekly_times(zone: str, day: date, at: time,
                                         expected: datetime) -> None:
    assert localtime.wall_clock_utc(day, at, zone) == expected
    shown = localtime.local(expected, zone)
    if localtime.gap_at(day, at, zone):
        assert (shown.hour, shown.minute) == (at.hour + 1, at.minute)
    else:
        assert shown.time() == at


@pytest.mark.parametrize("zone", [BERLIN, NEW_YORK])
def test_a_weekly_time_keeps_its_wall_clock_across_the_year(zone: str) -> None:
    """Monday 09:00 every week of 2026: 09:00 local each time, at two different UTC hours."""
    mondays = list(takewhile(lambda d: d.year == 2026, localtime.days_from(date(2026, 1, 5))))[::7]
    instants = [localtime.wall_clock_utc(d, time(9, 0), zone) for d in mondays]
    assert all(localtime.local(i, zone).time() == time(9, 0) for i in instants)
    assert len({i.hour for i in instants}) == 2  # winter and summer offsets


@pytest.mark.parametrize(("zone", "weekdays", "at", "skipped"), [
    (BERLIN, [6], time(2, 30), [date(2026, 3, 29)]),  # Sundays
    (BERLIN, [0, 1, 2, 3, 4, 5], time(2, 30), []),  # never on other days
    (BERLIN, [6], time(3, 0), []),
    (NEW_YORK, range(7), time(2, 0), [date(2026, 3, 8)]),
    (NEW_YORK, [6], time(1, 30), []),  # the fold is not a gap
])
def test_skipped_days_for_weekly_times(zone: str, weekdays: list[int], at: time,
                                       skipped: list[date]) -> None:
    found = localtime.skipped_days(weekdays, at, zone, start=date(2026, 1, 1),
                                   end=date(2026, 12, 31))
    assert [c.day for c in found] == skipped
    if skipped:
        with pytest.raises(ValidationError, match="does not exist on"):
            localtime.refuse_skipped_weekly(weekdays, at, zone, start=date(2026, 1, 1))
    else:
        localtime.refuse_skipped_weekly(weekdays, at, zone, start=date(2026, 1, 1))


def test_a_weekly_time_ending_before_the_change_is_fine() -> None:
    localtime.refuse_skipped_weekly([6], time(2, 30), BERLIN, start=date(2026, 1, 1),
                                    end=date(2026, 3, 28))
