"""Meta's usage headers, read so the hub backs off before Meta throttles it (Facebook and
Threads answers carry them alike: "Rate Limits" of each API).

"Rate Limits" (developers.facebook.com/docs/graph-api/overview/rate-limiting): calls made with
an app or user token count against Platform Rate Limits, calls with a Page token against the
Page's Business Use Case (BUC) limit. Answers carry how much is used, as percentages:

- `X-App-Usage: {"call_count": 28, "total_time": 25, "total_cputime": 25}` (the app, over a
  rolling hour); `X-Page-Usage` has the same shape for a Page;
- `X-Business-Use-Case-Usage: {"<business object id>": [{"type": "pages", "call_count": 100,
  "total_cputime": 25, "total_time": 25, "estimated_time_to_regain_access": 19}]}`, the last in
  minutes.

At 100% Meta refuses calls. The hub stops itself at THRESHOLD percent: until the time Meta
estimates, or, without one, until the rolling hour has let enough old calls go to bring the
usage back to about RESUME percent (assuming they were spread evenly over it).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from hubbub.core.http import parse_retry_after

THRESHOLD = 90.0
RESUME = 75.0
WINDOW = timedelta(hours=1)
HEADERS = ("x-app-usage", "x-page-usage", "x-business-use-case-usage")
_METRICS = ("call_count", "total_time", "total_cputime")


@dataclass(frozen=True)
class Usage:
    """The highest share used across every header and metric (0-100+), and the longest wait
    Meta estimated (None when it gave none)."""

    percent: float
    regain: timedelta | None

    @property
    def near_limit(self) -> bool:
        return self.percent >= THRESHOLD or (self.regain is not None and self.regain > timedelta())


def _json(value: str | None) -> Any:
    if not value:
        return None
    try:
        return json.loads(value)
    except ValueError:
        return None


def _number(value: Any) -> float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float) and value >= 0:
        return float(value)
    return None


def _entries(name: str, body: Any) -> Iterable[Mapping[str, Any]]:
    if name == "x-business-use-case-usage":
        if isinstance(body, Mapping):
            for uses in body.values():
                if isinstance(uses, list):
                    yield from (u for u in uses if isinstance(u, Mapping))
    elif isinstance(body, Mapping):
        yield body


def read(headers: Mapping[str, str]) -> Usage:
    lowered = {str(k).lower(): v for k, v in headers.items()}
    percent = 0.0
    regain: timedelta | None = None
    for name in HEADERS:
        for entry in _entries(name, _json(lowered.get(name))):
            for metric in _METRICS:
                value = _number(entry.get(metric))
                if value is not None:
                    percent = max(percent, value)
            minutes = _number(entry.get("estimated_time_to_regain_access"))
            if minutes:
                wait = timedelta(minutes=minutes)
                regain = wait if regain is None else max(regain, wait)
    return Usage(percent, regain)


def retry_at(headers: Mapping[str, str], *, now: datetime | None = None) -> datetime | None:
    """After a rate-limit error: Retry-After if Meta sent one, else the longest time Meta
    estimated to regain access; None when the headers say neither."""
    current = now or datetime.now(UTC)
    lowered = {str(k).lower(): v for k, v in headers.items()}
    after = parse_retry_after(lowered.get("retry-after"), now=current)
    if after is not None and after > current:
        return after
    regain = read(lowered).regain
    return current + regain if regain is not None else None


def pause_until(headers: Mapping[str, str], *, now: datetime | None = None) -> datetime | None:
    """After a good answer: when the usage is at THRESHOLD or beyond (or Meta already estimates
    a wait), the time before which the hub should not call again; else None."""
    current = now or datetime.now(UTC)
    used = read(headers)
    if not used.near_limit:
        return None
    if used.regain is not None:
        return current + used.regain
    share = (used.percent - RESUME) / used.percent
    return current + WINDOW * share
