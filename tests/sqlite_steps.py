"""SQLite's virtual machine steps counted while a block runs: the work its queries do, whatever
else runs on the machine (tests that show a query reads no more than it should)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from django.db import connection


@contextmanager
def sqlite_steps() -> Iterator[list[int]]:
    """Yields [thousands of steps so far], counted until the block ends."""
    connection.ensure_connection()
    raw = connection.connection
    counted = [0]

    def step() -> int:
        counted[0] += 1
        return 0

    raw.set_progress_handler(step, 1000)
    try:
        yield counted
    finally:
        raw.set_progress_handler(None, 0)
