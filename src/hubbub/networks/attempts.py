"""When a publish was first tried, for a network that takes no idempotency key: `prepare`
stores it, so settling a lost answer, or a refusal as a duplicate, looks only at what was made
since then. Names no network; the fallback, when nothing is stored, is the network's. Facebook,
Threads, X and LinkedIn use it.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any


def attempt() -> dict[str, Any]:
    """What `prepare` stores: when this part was first tried."""
    return {"attempted_at": datetime.now(UTC).isoformat()}


def attempted(prepared: Mapping[str, Any] | None, fallback: timedelta) -> datetime:
    """When the part was first tried (`attempt`), or `fallback` before now when that is not
    stored or not a time."""
    stamp = (prepared or {}).get("attempted_at")
    if isinstance(stamp, str):
        try:
            return datetime.fromisoformat(stamp)
        except ValueError:
            pass
    return datetime.now(UTC) - fallback
