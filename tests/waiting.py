"""Waiting on a condition, never on a time: `until(fact, what)` checks `fact` every few
milliseconds and fails naming `what` only after a guard far above what any run needs (a stall,
not a slow machine)."""

from __future__ import annotations

import time
from collections.abc import Callable

GUARD_SECONDS = 60.0


def until(fact: Callable[[], bool], what: str, *, guard: float = GUARD_SECONDS) -> None:
    deadline = time.monotonic() + guard
    while not fact():
        if time.monotonic() > deadline:
            raise AssertionError(f"still waiting for {what}")
        time.sleep(0.01)
