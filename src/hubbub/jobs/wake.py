"""Waking the scheduler the moment deliveries become due, instead of at its next tick.

Every change that can make a delivery due (a post sent now, a draft sent, a retry, "send it
anyway", a delete asked, the engine putting a row back) writes a DeliveryEvent whose to_state
is scheduled, unknown or deleting. Saving one calls `announce()`, which:

- in this process: wakes every scheduler loop waiting here, once the transaction commits
  (`transaction.on_commit`; a rolled-back change wakes nobody, and a loop woken before the
  commit would not see the rows yet);
- between processes and machines (HUBBUB_WAKE_BACKEND=postgres, or "auto" on PostgreSQL): a
  `NOTIFY hubbub_due` in the same transaction, which PostgreSQL delivers at commit (and drops on
  rollback) to every worker LISTENing (`listen_forever`).

A wake-up only makes a loop look at the table sooner; the truth stays on the rows, and a lost
wake-up costs at most one tick (HUBBUB_SCHEDULER_INTERVAL). SQLite has no way to reach another
process: there the web process and its worker are one (`hubbub serve`), so in-process is enough.
"""

from __future__ import annotations

import contextlib
import logging
import threading
from typing import Any

from django.conf import settings
from django.db import connections, transaction

log = logging.getLogger(__name__)
CHANNEL = "hubbub_due"
WAKING_STATES = frozenset({"scheduled", "unknown", "deleting"})

_lock = threading.Lock()
_waiters: set[threading.Event] = set()


def subscribe() -> threading.Event:
    """An event set by every `notify()` from now on (until `unsubscribe`)."""
    event = threading.Event()
    with _lock:
        _waiters.add(event)
    return event


def unsubscribe(event: threading.Event) -> None:
    with _lock:
        _waiters.discard(event)


def notify() -> None:
    """Wake every loop in this process now."""
    with _lock:
        waiters = list(_waiters)
    for event in waiters:
        event.set()


def uses_postgres(using: str = "default") -> bool:
    """Whether wake-ups also go between processes through PostgreSQL's NOTIFY."""
    backend = str(settings.HUBBUB_WAKE_BACKEND)
    if backend == "inprocess":
        return False
    is_postgres = connections[using].vendor == "postgresql"
    if backend == "postgres" and not is_postgres:
        raise ValueError("HUBBUB_WAKE_BACKEND=postgres needs DATABASE_URL on PostgreSQL")
    return is_postgres


def announce(using: str = "default") -> None:
    """Deliveries became due in the current transaction: wake the workers when it commits."""
    if uses_postgres(using):
        with connections[using].cursor() as cursor:
            # Inside a transaction PostgreSQL holds it until COMMIT and folds repeats into one.
            cursor.execute("SELECT pg_notify(%s, '')", [CHANNEL])
    transaction.on_commit(notify, using=using)


def on_delivery_event(sender: Any, instance: Any, created: bool = False, **kwargs: Any) -> None:
    """post_save receiver for DeliveryEvent (connected in jobs/apps.py)."""
    if created and instance.to_state in WAKING_STATES:
        announce(kwargs.get("using") or "default")


def _connect() -> Any:
    wrapper = connections["default"]
    connection = wrapper.get_new_connection(wrapper.get_connection_params())
    connection.autocommit = True
    return connection


def listen_forever(stop: threading.Event, *, retry_seconds: float = 2.0) -> None:
    """LISTEN for other processes' wake-ups and pass them on to this process's loops, until
    `stop`. A lost link is opened again; the loops are woken after each (re)connect, since a
    NOTIFY sent while nobody listened is gone."""
    while not stop.is_set():
        connection = None
        try:
            connection = _connect()
            connection.execute(f"LISTEN {CHANNEL}")
            notify()
            while not stop.is_set():
                for _ in connection.notifies(timeout=1.0):
                    notify()
        except Exception as exc:
            log.warning("wake-up listener lost its link (%s); listening again in %ss",
                        exc, retry_seconds)
            stop.wait(retry_seconds)
        finally:
            if connection is not None:
                with contextlib.suppress(Exception):  # closing a broken link may fail too
                    connection.close()
