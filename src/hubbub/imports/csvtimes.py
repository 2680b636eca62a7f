"""The time column of a CSV import.

It is required: a row without a time is refused, never posted at once and never guessed. It is
a local date and time in the person's zone (2026-12-01 09:30) or ISO-8601 with an offset
(2026-12-01T09:30+01:00), and must be in the future. A local time the clocks skip (a DST gap)
is refused; one they pass twice (a fold) means the first, as in the composer, and the preview
says so; an offset picks either.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time, timedelta
from datetime import timezone as dt_timezone
from zoneinfo import ZoneInfo

from django.core.exceptions import ValidationError

from hubbub.core.localtime import fold_at, occurrences, to_utc

_TIME = re.compile(
    r"^(\d{4})-(\d{1,2})-(\d{1,2})[T ](\d{1,2}):(\d{2})(?::(\d{2})(?:[.,]\d+)?)?"
    r"\s*(Z|[+-]\d{2}(?::?\d{2})?)?$",
    re.IGNORECASE,
)

def parse_time(value: str, zone: str, now: datetime) -> datetime:
    """An aware UTC datetime from a time cell; ValueError with a message fit to show."""
    return read_time(value, zone, now)[0]


def read_time(value: str, zone: str, now: datetime) -> tuple[datetime, str]:
    """The instant a time cell names, and a note when a local time happens twice."""
    text = value.strip()
    example = f"2026-12-01 09:30 (in {zone}), or with an offset: 2026-12-01T09:30+01:00"
    if not text:
        raise ValueError(f"Give a date and time, e.g. {example}. A row without a time is "
                         "not imported.")
    match = _TIME.match(text)
    if match is None:
        raise ValueError(f"{text[:40]!r} is not a date and time we read; write e.g. {example}.")
    year, month, day, hour, minute = (int(g) for g in match.groups()[:5])
    second = int(match.group(6) or 0)
    try:
        day_part = date(year, month, day)
        clock = time(hour, minute, second)
    except ValueError as exc:
        raise ValueError(f"{text!r} is not a real date or time ({exc}).") from None
    offset = match.group(7)
    note = ""
    if offset is None:
        try:
            when = to_utc(day_part, clock, zone)
        except ValidationError as exc:
            raise ValueError(" ".join(exc.messages)) from None
        change = fold_at(day_part, clock, zone)
        if change is not None:
            earlier, later = occurrences(day_part, clock, zone)[:2]
            note = (f"{clock:%H:%M} happens twice that night ({change.describe()}): the first, "
                    f"{earlier.label}, is used. Write {later.offset} after the time for the "
                    "second.")
    else:
        when = datetime.combine(day_part, clock, tzinfo=_offset(offset)).astimezone(UTC)
    if when <= now:
        local_now = now.astimezone(ZoneInfo(zone))
        raise ValueError(f"{text} has passed (it is {local_now:%Y-%m-%d %H:%M} in {zone} now). "
                         "Only times in the future are imported.")
    return when, note


def _offset(text: str) -> dt_timezone:
    if text.upper() == "Z":
        return UTC
    sign = -1 if text[0] == "-" else 1
    digits = text[1:].replace(":", "")
    hours, minutes = int(digits[:2]), int(digits[2:] or 0)
    if hours > 14 or minutes > 59:
        raise ValueError(f"{text} is not a time zone offset.")
    return dt_timezone(sign * timedelta(hours=hours, minutes=minutes))
