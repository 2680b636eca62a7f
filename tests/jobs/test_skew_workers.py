"""Two `hubbub worker` processes on PostgreSQL whose clocks are ten minutes apart (one moved five
minutes back, the other five ahead, as tests/hubmain.py moves a hub's clock): the worker ahead
sweeps the task table every second and never takes the worker behind for dead, so the tasks
its runners hold stay RUNNING, while a task of a worker that never beat is settled at each
sweep (the proof the sweep ran). Both beats are the database's time. Before (beats and sweeps
on each machine's clock), the beat of the worker behind looked five minutes old to the one
ahead: its running tasks were failed (or run again) at the first sweep.

This catches any local clock left in the beat or the sweep, which the in-process tests'
moved timezone.now (tests/jobs/test_worker_clocks.py) cannot (a datetime.now() would slip
through there)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import psycopg
import pytest

from tests.integration.crash_support import database, tail
from tests.integration.hubproc import Hub
from tests.waiting import until

pytestmark = pytest.mark.slow

SKEW = 300.0
DEAD_SECONDS = 30  # the skew is ten of these
TASKS = "django_tasks_database_dbtaskresult"

ADD_RUNNING = """\
import json, sys
from datetime import timedelta
from django_tasks_db.models import DBTaskResult, get_date_max
from hubbub.core.dbclock import db_now
runner, paths = json.loads(sys.stdin.read())
started = db_now() - timedelta(minutes=30)
for path in paths:
    row = DBTaskResult.objects.create(
        task_path=path, args_kwargs={"args": [10**9], "kwargs": {}}, backend_name="default",
        queue_name="default", run_after=get_date_max(), status="RUNNING", worker_ids=[runner],
        started_at=started)
    print(row.pk)
"""
DELIVER = "hubbub.publishing.tasks.deliver"
RECOMPUTE = "hubbub.listening.tasks.recompute_rules"


def _query(url: str, sql: str, *args: Any) -> list[tuple[Any, ...]]:
    with psycopg.connect(url, autocommit=True) as conn:
        return list(conn.execute(sql, args).fetchall())


def _status(url: str, pk: str) -> str:
    return str(_query(url, f"SELECT status FROM {TASKS} WHERE id = %s", pk)[0][0])


def _beat_of(url: str, pid: int) -> str | None:
    rows = _query(url, "SELECT worker_id FROM jobs_workerbeat WHERE pid = %s", pid)
    return str(rows[0][0]) if rows else None


def test_a_worker_ahead_never_takes_a_live_worker_behind_for_dead(tmp_path: Path) -> None:
    env = {"HUBBUB_READ_NETWORKS": "0", "HUBBUB_WORKER_DEAD_SECONDS": str(DEAD_SECONDS)}
    with database("postgres") as url:
        hub = Hub(tmp_path / "data", database_url=url, extra_env=env)
        hub.run("manage", "migrate", "--no-input")
        # The worker behind sweeps at most at its start; the one ahead every second.
        behind = Hub(hub.data_dir, database_url=url, clock_offset=-SKEW,
                     extra_env={**env, "HUBBUB_TASK_SWEEP_SECONDS": "1000000"})
        ahead = Hub(hub.data_dir, database_url=url, clock_offset=SKEW,
                    extra_env={**env, "HUBBUB_TASK_SWEEP_SECONDS": "1"})
        first = behind.popen("worker", "--no-migrate", log=tmp_path / "worker-behind.log")
        second = None
        try:
            until(lambda: _beat_of(url, first.pid) is not None,
                  f"the worker behind to beat\n{tail(tmp_path)}")
            worker_id = _beat_of(url, first.pid)
            second = ahead.popen("worker", "--no-migrate", log=tmp_path / "worker-ahead.log")
            until(lambda: _beat_of(url, second.pid) is not None,  # type: ignore[union-attr]
                  f"the worker ahead to beat\n{tail(tmp_path)}")
            # Both beats are the database's time, whichever clock each worker has.
            ((off,),) = _query(url, "SELECT max(abs(extract(epoch FROM beat_at - now()))) "
                                    "FROM jobs_workerbeat")
            assert float(off) < DEAD_SECONDS, off

            live = hub.run("manage", "shell", "--no-imports", "-c", ADD_RUNNING,
                           stdin=json.dumps([f"{worker_id}-0", [DELIVER, RECOMPUTE]]),
                           ).stdout.split()
            assert len(live) == 2
            for round_ in range(3):  # three sweeps of the worker ahead, at least
                (canary,) = hub.run("manage", "shell", "--no-imports", "-c", ADD_RUNNING,
                                    stdin=json.dumps([f"gone:{round_}-0", [DELIVER]]),
                                    ).stdout.split()
                until(lambda pk=canary: _status(url, pk) == "FAILED",  # type: ignore[misc]
                      f"the worker ahead to sweep\n{tail(tmp_path)}")
                assert [_status(url, pk) for pk in live] == ["RUNNING", "RUNNING"], \
                    tail(tmp_path)
            assert first.poll() is None
            assert second.poll() is None
        finally:
            for proc in (first, second):
                if proc is not None and proc.poll() is None:
                    proc.terminate()
                    proc.wait(20)
