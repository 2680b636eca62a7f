"""What the engine tests do in place of a worker: send every delivery due now, in this thread."""

from __future__ import annotations

from hubbub.jobs import scheduler
from hubbub.publishing import engine


def run_due() -> None:
    """Each delivery due now, processed once (what the worker's loop would start)."""
    for pk, _ in scheduler.due_deliveries():
        engine.process(pk)
