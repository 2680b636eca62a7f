"""Django's SQLite backend, except that a connection closed cleanly is kept open for the next
thread that needs one, instead of a new one being made.

Under ASGI each request runs on a thread of its own, and Django closes that thread's
connection when the request ends (CONN_MAX_AGE cannot keep a connection for a thread that is
gone), so every request opened a new one: the file opened, Django's functions registered and
the PRAGMAs run, about 1.4 ms of CPU before its first query, on the path of "Post now" among
others. Here `close()` still happens when Django says (every request's end, CONN_MAX_AGE=0),
but the underlying sqlite3 connection goes to a small pool of idle ones and the next
connection opened in this process takes it, as it is: same file, same PRAGMAs, same functions.

Only a connection in a known state is kept: a file database (never one in memory), no
transaction open on it, no error other than integrity or data errors since it was opened (as
Django's own health rule), and the database file the same one (device and inode) when it is
taken again, so a file deleted and made anew (a test database) gets a new connection. The
sqlite3 connections are opened with check_same_thread=False by Django already; the pool hands
each to one thread at a time. Anything else closes the connection for real, as before.
"""

from __future__ import annotations

import os
import sqlite3
import threading
from typing import Any

from django.db.backends.sqlite3 import base as sqlite

# Idle connections kept per database: more than the requests and senders that overlap here.
MOST_IDLE = 8


def _identity(path: str) -> tuple[int, int] | None:
    try:
        found = os.stat(path)
    except OSError:
        return None
    return found.st_dev, found.st_ino


class _Idle:
    """The idle connections of this process, by how they were opened."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._kept: dict[str, list[tuple[sqlite3.Connection, tuple[int, int]]]] = {}

    def take(self, key: str, path: str) -> sqlite3.Connection | None:
        with self._lock:
            kept = self._kept.get(key)
            found = kept.pop() if kept else None
        if found is None:
            return None
        conn, identity = found
        if identity != _identity(path) or conn.in_transaction:
            conn.close()
            return None
        return conn

    def give(self, key: str, path: str, conn: sqlite3.Connection) -> bool:
        identity = _identity(path)
        if identity is None:
            return False
        with self._lock:
            kept = self._kept.setdefault(key, [])
            if len(kept) >= MOST_IDLE:
                return False
            kept.append((conn, identity))
        return True

    def clear(self) -> None:
        with self._lock:
            kept, self._kept = self._kept, {}
        for conns in kept.values():
            for conn, _ in conns:
                conn.close()


IDLE = _Idle()


class DatabaseWrapper(sqlite.DatabaseWrapper):
    _pool_key = ""  # how the open connection was opened ("" when it is not to be kept)

    def get_new_connection(self, conn_params: dict[str, Any]) -> Any:
        self._pool_key = ""
        if self.is_in_memory_db():
            return super().get_new_connection(conn_params)
        # The parameters and the PRAGMAs run at opening (get_connection_params, just before).
        key = repr((sorted(conn_params.items()), getattr(self, "init_commands", ())))
        conn = IDLE.take(key, str(conn_params["database"]))
        if conn is None:
            conn = super().get_new_connection(conn_params)
        self._pool_key = key
        return conn

    def _close(self) -> None:
        conn = self.connection
        if (conn is not None and self._pool_key and not conn.in_transaction
                and not self.in_atomic_block and not self.errors_occurred
                and IDLE.give(self._pool_key, str(self.settings_dict["NAME"]), conn)):
            return
        super()._close()  # type: ignore[misc]  # Django's, missing from django-stubs
