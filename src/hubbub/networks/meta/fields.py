"""Graph answer fields every Meta API writes alike: times and paging. Pure functions.

- Times are ISO 8601 with a +0000 offset (e.g. 2026-01-05T10:00:00+0000), on Facebook
  (`created_time`) and Threads (`timestamp`) alike.
- A list answer pages with `paging.cursors.after`, present while `paging.next` is
  ("Paginated Results", Graph API; the Threads API pages the same way).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from datetime import UTC, datetime
from typing import Any


def parse_time(value: Any) -> datetime | None:
    """A Graph time as an aware datetime in UTC, or None when it is not one."""
    if not isinstance(value, str) or not value:
        return None
    for attempt in (value, value.replace("Z", "+00:00")):
        try:
            parsed = datetime.fromisoformat(attempt)
        except ValueError:
            continue
        return parsed.astimezone(UTC) if parsed.tzinfo else parsed.replace(tzinfo=UTC)
    try:
        return datetime.strptime(value, "%Y-%m-%dT%H:%M:%S%z").astimezone(UTC)
    except ValueError:
        return None


def oldest_first(entries: Iterable[Mapping[str, Any]], field: str) -> list[Mapping[str, Any]]:
    """The entries by their time in `field` (`created_time`, `timestamp`), oldest first; those
    without a readable time last, in the order given."""
    far = datetime.max.replace(tzinfo=UTC)
    return sorted(entries, key=lambda e: parse_time(e.get(field)) or far)


def after(body: Mapping[str, Any]) -> str:
    """The cursor to the next (older) page, or "" at the end."""
    paging = body.get("paging")
    if not isinstance(paging, Mapping) or not paging.get("next"):
        return ""
    cursors = paging.get("cursors")
    value = cursors.get("after") if isinstance(cursors, Mapping) else None
    return value if isinstance(value, str) and value else ""


def every_page(get: Callable[[dict[str, Any]], Mapping[str, Any]], params: Mapping[str, Any],
               most: int,
               each: Callable[[list[Any]], list[Any]] = list) -> list[Any]:
    """The entries of a list answer, page after page (`get(params)` with `after` set from the
    second page on) until the end or until `most` were read; `each` turns a page's `data`
    into entries (e.g. a comment followed by its replies)."""
    found: list[Any] = []
    cursor = ""
    while len(found) < most:
        asked = dict(params)
        if cursor:
            asked["after"] = cursor
        body = get(asked)
        data = body.get("data")
        if not isinstance(data, list) or not data:
            break
        found += each(data)
        cursor = after(body)
        if not cursor:
            break
    return found
