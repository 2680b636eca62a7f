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

In `hubbub serve` the committing thread does more than wake the loop: a delivery made due now
(a post sent now) is offered to the worker's own senders right there (`start_locally`), which
claim it and start at once, instead of waiting for the loop to wake, read the table and claim
it on another thread. Whatever they cannot take (no free slot, a row not as it was saved) wakes
the loop as before.

A wake-up only makes a loop look at the table sooner; the truth stays on the rows, and a lost
wake-up costs at most one tick (HUBBUB_SCHEDULER_INTERVAL). SQLite has no way to reach another
process: there the web process and its worker are one (`hubbub serve`), so in-process is enough.
"""

from __future__ import annotations

import contextlib
import logging
import threading
from collections.abc import Callable
from functools import partial
from typing import Any

from django.conf import settings
from django.db import connections, transaction

log = logging.getLogger(__name__)
CHANNEL = "hubbub_due"
WAKING_STATES = frozenset({"scheduled", "unknown", "deleting"})

_lock = threading.Lock()
_waiters: set[threading.Event] = set()
# In-process starters: each is offered a delivery made due now, once its transaction committed,
# and answers whether it started it (jobs/scheduler.start_committed, registered by the worker).
_starters: list[Callable[[Any], bool]] = []


def start_locally(starter: Callable[[Any], bool]) -> None:
    with _lock:
        _starters.append(starter)


def stop_locally(starter: Callable[[Any], bool]) -> None:
    with _lock:
        if starter in _starters:
            _starters.remove(starter)


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


def announce(using: str = "default", delivery: Any = None) -> None:
    """Deliveries became due in the current transaction: wake the workers when it commits.
    `delivery`: the row made scheduled, as saved in this transaction, to offer to this
    process's senders at the commit."""
    if uses_postgres(using):
        with connections[using].cursor() as cursor:
            # Inside a transaction PostgreSQL holds it until COMMIT and folds repeats into one.
            cursor.execute("SELECT pg_notify(%s, '')", [CHANNEL])
    transaction.on_commit(notify if delivery is None else partial(_committed, delivery),
                          using=using)


def _committed(delivery: Any) -> None:
    """In the committing thread: a sender here starts the delivery, or the loops wake."""
    with _lock:
        starters = list(_starters)
    for starter in starters:
        try:
            if starter(delivery):
                return
        except Exception:
            # The post is committed whatever happens here: the loop takes it instead.
            log.exception("starting delivery %s at its commit failed", delivery.pk)
            break
    notify()


def on_delivery_event(sender: Any, instance: Any, created: bool = False, **kwargs: Any) -> None:
    """post_save receiver for DeliveryEvent (connected in jobs/apps.py)."""
    if created and instance.to_state in WAKING_STATES:
        # The row as this transaction saved it, when the event was made from it (no query).
        delivery = (instance.delivery if instance.to_state == "scheduled"
                    and type(instance).delivery.is_cached(instance) else None)
        announce(kwargs.get("using") or "default", delivery)


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
