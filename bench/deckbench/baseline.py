"""The baseline ingest is held against (issue 13): the same rows, stored the plainest way.

A figure like "10,000 items/s" belongs to one machine: the same code gave 12,473 items/s on
the machine the first figures came from and 6,158 on a quiet machine of this kind. So ingest is
also measured against a baseline run in the same process, right after it, on the same disk:
the very rows ingest stored (read back from the hub's Item table), inserted one row per
transaction into a fresh SQLite file with the same table and indexes, with plain `sqlite3`
(no Django, no normalizing, no sanitizing, no duplicate check). Twice: with the hub's own
settings (WAL, synchronous=NORMAL: a commit survives a crash of the process) and durable against
power loss (WAL, synchronous=FULL: every commit synced to disk). Ingest does far more work per
item; the goal is that it is still at least as fast as this.
"""

from __future__ import annotations

import sqlite3
import tempfile
import time
from pathlib import Path
from typing import Any

SAMPLE = 20_000


def _schema(source: sqlite3.Connection, table: str) -> list[str]:
    rows = source.execute(
        "SELECT sql FROM sqlite_master WHERE tbl_name = ? AND sql IS NOT NULL "
        "ORDER BY type = 'index'", (table,)).fetchall()
    return [sql for (sql,) in rows]


def _one(rows: list[tuple[Any, ...]], columns: list[str], schema: list[str], table: str,
         synchronous: str) -> dict[str, float]:
    with tempfile.TemporaryDirectory(prefix="hubbub-baseline-", dir=None) as folder:
        target = sqlite3.connect(Path(folder) / "baseline.sqlite3", isolation_level=None)
        try:
            target.execute("PRAGMA journal_mode=WAL")
            target.execute(f"PRAGMA synchronous={synchronous}")
            for sql in schema:
                target.execute(sql)
            insert = (f'INSERT INTO "{table}" ({", ".join(columns)}) '
                      f'VALUES ({", ".join("?" * len(columns))})')
            c0 = time.thread_time()
            t0 = time.perf_counter()
            for row in rows:
                target.execute("BEGIN")
                target.execute(insert, row)
                target.execute("COMMIT")
            seconds = time.perf_counter() - t0
            cpu = time.thread_time() - c0
        finally:
            target.close()
    return {"rows": len(rows), "seconds": seconds, "cpu_seconds": cpu,
            "rows_per_s": len(rows) / seconds}


def measure_baseline(db_path: Path, sample: int = SAMPLE) -> dict[str, Any]:
    """Single-row inserts of `sample` stored items, with the hub's settings and durable."""
    table = "timeline_item"
    source = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True)
    try:
        schema = _schema(source, table)
        columns = [f'"{name}"' for (_cid, name, *_rest) in
                   source.execute(f'PRAGMA table_info("{table}")') if name != "id"]
        rows = source.execute(
            f'SELECT {", ".join(columns)} FROM "{table}" ORDER BY id LIMIT ?',
            (sample,)).fetchall()
    finally:
        source.close()
    return {
        "normal": _one(rows, columns, schema, table, "NORMAL"),
        # A synced commit a row takes milliseconds: a tenth of the rows says as much.
        "full": _one(rows[:max(len(rows) // 10, 1)], columns, schema, table, "FULL"),
    }
