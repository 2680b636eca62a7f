"""The SQLite backend's kept connections (core/sqlite_pool): a connection closed cleanly is
taken by the next thread that opens one; one closed mid-transaction, after an error, or on a
database file made anew is not."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from django.db import connections

from hubbub.core.sqlite_pool.base import IDLE, MOST_IDLE, DatabaseWrapper


@pytest.fixture
def make(tmp_path: Path, django_db_blocker: Any) -> Iterator[Callable[[], DatabaseWrapper]]:
    """Wrappers on a database file of this test's own (not the test database), each for the
    thread that makes it."""
    settings = dict(connections.settings["default"], NAME=str(tmp_path / "pool.sqlite3"))
    IDLE.clear()
    with django_db_blocker.unblock():
        yield lambda: DatabaseWrapper(dict(settings), alias="pooltest")
    IDLE.clear()


def _in_thread(work: Callable[[], Any]) -> Any:
    out: list[Any] = []
    thread = threading.Thread(target=lambda: out.append(work()))
    thread.start()
    thread.join()
    return out[0]


def _open_and_close(make: Callable[[], DatabaseWrapper], sql: str = "SELECT 1") -> Any:
    wrapper = make()
    with wrapper.cursor() as cursor:
        cursor.execute(sql)
    raw = wrapper.connection
    wrapper.close()
    assert wrapper.connection is None  # closed as far as Django is concerned
    return raw


def test_a_connection_closed_cleanly_is_taken_by_the_next_thread(make: Any) -> None:
    first = _in_thread(lambda: _open_and_close(make, "CREATE TABLE t (x integer)"))
    second = _in_thread(lambda: _open_and_close(make, "INSERT INTO t VALUES (1)"))
    assert second is first

    def settings_of_the_kept_one() -> tuple[Any, ...]:
        wrapper = make()
        with wrapper.cursor() as cursor:
            cursor.execute("PRAGMA journal_mode")
            journal = cursor.fetchone()[0]
            cursor.execute("PRAGMA foreign_keys")
            keys = cursor.fetchone()[0]
            cursor.execute("PRAGMA busy_timeout")
            timeout = cursor.fetchone()[0]
            cursor.execute("SELECT count(*) FROM t")
            rows = cursor.fetchone()[0]
        raw = wrapper.connection
        wrapper.close()
        return raw, journal, keys, timeout, rows

    raw, journal, keys, timeout, rows = _in_thread(settings_of_the_kept_one)
    assert raw is first
    assert (journal, keys, timeout, rows) == ("wal", 1, 20000, 1)


def test_a_connection_closed_inside_a_transaction_is_not_kept(make: Any) -> None:
    _open_and_close(make, "CREATE TABLE t (x integer)")
    wrapper = make()
    wrapper.set_autocommit(False)  # a transaction left open, then closed (as a crash would)
    with wrapper.cursor() as cursor:
        cursor.execute("INSERT INTO t VALUES (1)")
    raw = wrapper.connection
    assert raw.in_transaction
    wrapper.close()
    again = make()
    with again.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM t")
        assert cursor.fetchone()[0] == 0  # rolled back by the real close
    assert again.connection is not raw
    again.close()


def test_a_connection_that_saw_an_error_is_not_kept(make: Any) -> None:
    wrapper = make()
    with wrapper.cursor() as cursor, pytest.raises(Exception, match="no such table"):
        cursor.execute("SELECT * FROM missing")
    raw = wrapper.connection
    assert wrapper.errors_occurred
    wrapper.close()
    again = make()
    again.ensure_connection()
    assert again.connection is not raw
    again.close()


def test_a_database_file_made_anew_gets_a_new_connection(make: Any, tmp_path: Path) -> None:
    first = _open_and_close(make, "CREATE TABLE t (x integer)")
    for leftover in tmp_path.glob("pool.sqlite3*"):
        leftover.unlink()  # the file deleted and made again (a test database)
    fresh = make()
    with fresh.cursor() as cursor:
        cursor.execute("CREATE TABLE u (y integer)")
        cursor.execute("SELECT name FROM sqlite_master")
        assert [row[0] for row in cursor.fetchall()] == ["u"]
    assert fresh.connection is not first
    fresh.close()


def test_no_more_than_a_few_are_kept(make: Any) -> None:
    wrappers = [make() for _ in range(MOST_IDLE + 3)]
    for wrapper in wrappers:
        wrapper.ensure_connection()
    raws = {id(w.connection) for w in wrappers}
    assert len(raws) == MOST_IDLE + 3  # all open at once: each its own
    for wrapper in wrappers:
        wrapper.close()
    taken = [make() for _ in range(MOST_IDLE + 3)]
    for wrapper in taken:
        wrapper.ensure_connection()
    reused = [w for w in taken if id(w.connection) in raws]
    assert len(reused) == MOST_IDLE
    for wrapper in taken:
        wrapper.close()
