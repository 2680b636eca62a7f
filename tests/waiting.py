"""Waiting on a condition, never on a time: `until(fact, what)` checks `fact` every few
milliseconds and fails naming `what` only after a guard far above what any run needs (a stall,
not a slow machine)."""

from __future__ import annotations

import time
from collections.abc import Callable

GUARD_SECONDS = 60.0


def until(fact: Callable[[], bool], what: str, *, guard: float = GUARD_SECONDS) -> None:
    if not came(fact, guard=guard):
        raise AssertionError(f"still waiting for {what}")


def came(fact: Callable[[], bool], *, guard: float = GUARD_SECONDS) -> bool:
    """Whether `fact` came true before the guard (for a caller that goes on either way)."""
    deadline = time.monotonic() + guard
    while not fact():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.01)
    return True
