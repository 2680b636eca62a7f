"""Who holds a delivery and when it is tried again: the owner id a worker (or a scheduler
round) leases deliveries under, and the backoff a retry waits. Used by the delivery state
machine (publishing/engine.py) and the workers that drive it (jobs/)."""

from __future__ import annotations

import random
import socket
import uuid
from datetime import datetime, timedelta

from django.conf import settings

from hubbub.core.dbclock import db_now


def new_owner_id() -> str:
    """A lease owner's id: the host and a random part (two workers on one host differ)."""
    return f"{socket.gethostname()[:40]}:{uuid.uuid4().hex[:12]}"


def next_try_at(attempts: int, retry_at: datetime | None = None) -> datetime:
    """Exponential backoff with jitter in [0.5, 1.5) of the step, from the database's now;
    never before Retry-After."""
    base = float(settings.HUBBUB_RETRY_BASE_SECONDS)
    cap = float(settings.HUBBUB_RETRY_MAX_SECONDS)
    seconds = min(cap, base * (2 ** max(0, attempts - 1))) * (0.5 + random.random())  # noqa: S311
    due = db_now() + timedelta(seconds=seconds)
    if retry_at is not None:
        due = max(due, retry_at)
    return due
