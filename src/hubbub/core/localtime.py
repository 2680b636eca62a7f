"""Wall-clock times in a person's zone, turned into UTC instants with DST made explicit.

The hub's one rule for clock changes (docs/planning.md says the same):

- A time the clocks skip (02:30 on a spring-forward night) is refused when a person types it,
  with a message naming the gap. A weekly time (a queue slot, a recurring post) is refused when
  it is saved if one of its days in the coming year falls in such a gap.
- A time the clocks show twice (02:30 on a fall-back night) means the first of the two, unless
  the person picks the second (`fold=1`); forms that take a date and a time offer the choice.
- Weekly times keep their wall-clock time: "Monday 09:00" is 09:00 local in winter and summer.
  Should one still land in a gap (the zone's rules changed after it was saved, or it is more
  than a year out), it goes out at the instant RFC 5545 gives it: the same wall-clock time read
  with the offset from before the gap, i.e. shifted forward by the gap (02:30 -> 03:30).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.core.exceptions import ValidationError
from django.utils import timezone

FIRST = 0
SECOND = 1
WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
SCAN_DAYS = 400  # how far ahead a weekly time is checked for gaps: a full year of clock changes


@dataclass(frozen=True)
class Change:
    """A clock change around a local date and time: a gap (forward) or a fold (back)."""

    day: date
    starts: time  # the wall-clock time at which the clocks change
    ends: time  # the wall-clock time they show right after
    before: str  # zone abbreviation before, e.g. CET
    after: str  # and after, e.g. CEST

    def describe(self) -> str:
        direction = "forward" if self.is_gap else "back"
        return (f"the clocks go {direction} from {self.starts:%H:%M} to {self.ends:%H:%M} "
                f"({self.before} → {self.after})")

    @property
    def is_gap(self) -> bool:
        return self.ends > self.starts


@dataclass(frozen=True)
class Occurrence:
    """One real instant a wall-clock time stands for (two of them in a fold)."""

    utc: datetime
    fold: int
    abbreviation: str  # CEST, EDT, ...
    offset: str  # +02:00

    @property
    def label(self) -> str:
        return f"{self.abbreviation} (UTC{self.offset})"


class SkippedTime(ValidationError):
    """A wall-clock time that does not exist on that day: the clocks jump over it."""

    def __init__(self, day: date, at: time, zone_name: str, change: Change) -> None:
        self.day = day
        self.at = at
        self.zone_name = zone_name
        self.change = change
        super().__init__(
            f"{at:%H:%M} does not exist on {day:%A %-d %B %Y} in {zone_name}: "
            f"{change.describe()}. Pick a time before {change.starts:%H:%M} or from "
            f"{change.ends:%H:%M}.",
            code="dst_gap",
        )


def zone(name: str) -> ZoneInfo:
    return ZoneInfo(name)


def _offset(delta: timedelta | None) -> str:
    minutes = int((delta or timedelta()).total_seconds() // 60)
    sign = "+" if minutes >= 0 else "-"
    return f"{sign}{abs(minutes) // 60:02d}:{abs(minutes) % 60:02d}"


def _wall(day: date, at: time, fold: int, tz: ZoneInfo) -> datetime:
    return datetime.combine(day, at.replace(tzinfo=None, fold=fold)).replace(tzinfo=tz)


def _round_trips(aware: datetime, tz: ZoneInfo) -> bool:
    back = aware.astimezone(UTC).astimezone(tz)
    return back.replace(tzinfo=None, fold=0) == aware.replace(tzinfo=None, fold=0)


def _change_around(day: date, at: time, tz: ZoneInfo) -> Change:
    """The clock change that makes (day, at) skipped or doubled: where it starts and ends."""
    # Both readings of the wall time bracket the transition instant; find it to the second
    # (zones change on whole seconds).
    lo, hi = sorted(int(_wall(day, at, f, tz).timestamp()) for f in (FIRST, SECOND))

    def offset_at(ts: int) -> timedelta | None:
        return datetime.fromtimestamp(ts, UTC).astimezone(tz).utcoffset()

    before_offset = offset_at(lo)
    while hi - lo > 1:
        mid = (lo + hi) // 2
        if offset_at(mid) == before_offset:
            lo = mid
        else:
            hi = mid
    before = datetime.fromtimestamp(lo, UTC).astimezone(tz)
    after = datetime.fromtimestamp(hi, UTC).astimezone(tz)
    start = (datetime.fromtimestamp(hi, UTC).replace(tzinfo=None)
             + (before.utcoffset() or timedelta())).time()
    return Change(day=day, starts=start, ends=after.time().replace(fold=0),
                  before=before.tzname() or "", after=after.tzname() or "")


def occurrences(day: date, at: time, zone_name: str) -> list[Occurrence]:
    """The instants a wall-clock time stands for: none (a gap), one, or two (a fold)."""
    tz = zone(zone_name)
    found: list[Occurrence] = []
    for fold in (FIRST, SECOND):
        aware = _wall(day, at, fold, tz)
        if not _round_trips(aware, tz):
            return []
        utc = aware.astimezone(UTC)
        if found and found[0].utc == utc:
            break
        found.append(Occurrence(utc=utc, fold=fold, abbreviation=aware.tzname() or "",
                                offset=_offset(aware.utcoffset())))
    return found


def gap_at(day: date, at: time, zone_name: str) -> Change | None:
    """The clock change that skips this wall-clock time, or None when it exists."""
    tz = zone(zone_name)
    if _round_trips(_wall(day, at, FIRST, tz), tz):
        return None
    return _change_around(day, at, tz)


def fold_at(day: date, at: time, zone_name: str) -> Change | None:
    """The clock change that makes this wall-clock time happen twice, or None."""
    if len(occurrences(day, at, zone_name)) < 2:
        return None
    return _change_around(day, at, zone(zone_name))


@dataclass(frozen=True)
class Ambiguity:
    """A wall-clock time the clocks show twice, as a form asks about it."""

    text: str  # "02:30 happens twice on 25 October in Europe/Berlin: the clocks go back ..."
    stamp: str  # the date and time asked about: a choice counts only for it
    choices: tuple[tuple[str, str], ...]  # (fold, "02:30 CEST (UTC+02:00), the first"), ...


def stamp(day: date, at: time) -> str:
    return f"{day:%Y-%m-%d}T{at:%H:%M}"


def ambiguity(day: date, at: time, zone_name: str) -> Ambiguity | None:
    """The question a form asks when (day, at) happens twice in the zone; None otherwise."""
    both = occurrences(day, at, zone_name)
    change = fold_at(day, at, zone_name)
    if len(both) != 2 or change is None:
        return None
    minutes = int((both[1].utc - both[0].utc).total_seconds() // 60)
    later = "an hour later" if minutes == 60 else f"{minutes} minutes later"
    return Ambiguity(
        text=f"{at:%H:%M} happens twice on {day:%-d %B} in {zone_name}: {change.describe()}.",
        stamp=stamp(day, at),
        choices=tuple((str(o.fold), f"{at:%H:%M} {o.label}, "
                       + ("the first" if o.fold == FIRST else later)) for o in both),
    )


def to_utc(day: date, at: time, zone_name: str, *, fold: int = FIRST) -> datetime:
    """A wall-clock time the person typed, as an aware UTC datetime.

    Raises SkippedTime for a time the clocks skip. In a fold, fold=FIRST (the default) is the
    first of the two instants and fold=SECOND the second."""
    found = occurrences(day, at, zone_name)
    if not found:
        change = gap_at(day, at, zone_name)
        assert change is not None
        raise SkippedTime(day, at, zone_name, change)
    return found[min(fold, len(found) - 1)].utc


def wall_clock_utc(day: date, at: time, zone_name: str) -> datetime:
    """A weekly time on one day (a queue slot, a recurring post): the first instant in a fold;
    in a gap, RFC 5545's reading (the offset from before the gap: 02:30 -> 03:30)."""
    return _wall(day, at, FIRST, zone(zone_name)).astimezone(UTC)


def local(instant: datetime, zone_name: str) -> datetime:
    return instant.astimezone(zone(zone_name))


def today(zone_name: str, now: datetime | None = None) -> date:
    return local(now or timezone.now(), zone_name).date()


def days_from(start: date) -> Iterator[date]:
    day = start
    while True:
        yield day
        day += timedelta(days=1)


def skipped_days(weekdays: Iterable[int], at: time, zone_name: str, *, start: date,
                 end: date | None = None) -> list[Change]:
    """Days (of the given weekdays, Monday = 0) in [start, end] on which `at` does not exist;
    end defaults to a year and a bit ahead, which covers every clock change of a zone."""
    wanted = set(weekdays)
    last = min(end, start + timedelta(days=SCAN_DAYS)) if end else start + timedelta(
        days=SCAN_DAYS)
    found = []
    for day in days_from(start):
        if day > last:
            break
        if day.weekday() in wanted:
            change = gap_at(day, at, zone_name)
            if change is not None:
                found.append(change)
    return found


def refuse_skipped_weekly(weekdays: Iterable[int], at: time, zone_name: str, *, start: date,
                          end: date | None = None, what: str = "A post") -> None:
    """Refuse a weekly time that the clocks skip on one of its days (same rule as one-off
    times: a skipped time is never silently moved when a person picks it)."""
    skipped = skipped_days(weekdays, at, zone_name, start=start, end=end)
    if skipped:
        change = skipped[0]
        raise ValidationError(
            f"{what} at {at:%H:%M} would fall in a clock change: {at:%H:%M} does not exist on "
            f"{change.day:%A %-d %B %Y} in {zone_name} ({change.describe()}). Pick a time "
            f"before {change.starts:%H:%M} or from {change.ends:%H:%M}.",
            code="dst_gap",
        )
