"""The database's clock: the one time every process of a hub agrees on.

A time written by one process and compared by another (a lease's end, a worker's beat, when a
deck last watched a feed, whether a post's due time has come) is only meaningful if both read
the same clock. The web process and the workers may run on machines whose clocks differ by
minutes; the database they share has one. So such times are the database's, read in Python
with `db_now()` or written and compared in SQL with `ago()` / Django's `Now()`
(STATEMENT_TIMESTAMP() on PostgreSQL, strftime('now') on SQLite, whose clock is its file's
machine's).

A process's own clock stays right for what only it compares (a backoff, a refusal it keeps in
memory) and for pacing loops (on a monotonic clock).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from django.db import connection
from django.db.models import DateTimeField, ExpressionWrapper, Value
from django.db.models.expressions import CombinedExpression
from django.db.models.functions import Now
from django.utils import timezone

__all__ = ["Now", "ago", "db_now"]


def db_now() -> datetime:
    """The database's clock now (aware, UTC)."""
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            # 'now' in UTC as text, to the millisecond (CURRENT_TIMESTAMP drops the fraction).
            cursor.execute("SELECT strftime('%Y-%m-%d %H:%M:%f', 'now')")
        elif connection.vendor == "postgresql":
            # Not CURRENT_TIMESTAMP: that is the transaction's start, which may be long past.
            cursor.execute("SELECT statement_timestamp()")
        else:
            cursor.execute("SELECT CURRENT_TIMESTAMP")
        row = cursor.fetchone()
    value = row[0] if row else None
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    if not isinstance(value, datetime):
        raise RuntimeError(f"the database's clock read as {value!r}")
    if timezone.is_naive(value):
        value = value.replace(tzinfo=UTC)  # SQLite's 'now' is UTC
    if connection.vendor == "sqlite":
        # SQLite's clock counts whole milliseconds: its 'now' is the start of the current one.
        # The end of it is read instead, so that a time written (to the microsecond) before this
        # call is never after what it returns: a delivery made due "now" is due at once.
        value += timedelta(microseconds=999)
    return value.astimezone(UTC)


def ago(delta: timedelta) -> ExpressionWrapper[CombinedExpression]:
    """The database's now minus `delta`, as an SQL expression to filter with (no query of its
    own): `Feed.objects.filter(watched_at__gte=ago(window))`."""
    return ExpressionWrapper(Now() - Value(delta), output_field=DateTimeField())
