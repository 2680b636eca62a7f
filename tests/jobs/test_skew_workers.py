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
import sqlite3
import subprocess
import uuid
from contextlib import closing
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import psycopg
import pytest

from tests.integration.crash_support import database, tail
from tests.integration.hubproc import Hub
from tests.peers.mastodon import MastodonPeer
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


# --- due times: which clock says a post's time has come --------------------------------------

LEAD = 30.0  # how far ahead of the database's now the scheduled post is due (far below SKEW)
DUE_ENV = {"HUBBUB_READ_NETWORKS": "0", "HUBBUB_SCHEDULER_INTERVAL": "0.5"}
# Written by `hubbub manage shell` with the machine's true clock, as a web process writes them:
# a post sent now, and one the person scheduled LEAD seconds ahead (an absolute instant).
POST_NOW_AND_LATER = """\
import json, sys
from datetime import UTC, datetime, timedelta
from django.contrib.auth.models import User
from hubbub.connections.models import Connection
from hubbub.publishing.services import create_post
tag, lead = json.loads(sys.stdin.read())
u = User.objects.get(username="skew")
cs = list(Connection.objects.filter(user=u))
now = create_post(user=u, text=f"now {tag}", connections=cs).deliveries.get()
later = create_post(user=u, text=f"later {tag}", connections=cs,
                    scheduled_for=datetime.now(UTC) + timedelta(seconds=lead)).deliveries.get()
print(json.dumps([now.pk, later.pk, later.due_at.isoformat()]))
"""


def _delivery_state(hub: Hub, pk: int) -> str:
    """The delivery's state read from the hub's database directly (a `manage shell` takes a
    second or more to start)."""
    query = "SELECT state FROM publishing_delivery WHERE id = "
    if hub.database_url:
        return str(_query(hub.database_url, query + "%s", pk)[0][0])
    path = hub.data_dir / "hubbub.sqlite3"
    with closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=30)) as conn:
        return str(conn.execute(query + "?", (pk,)).fetchone()[0])


def _post_now_and_later(hub: Hub, tag: str) -> tuple[int, int, datetime]:
    out = hub.run("manage", "shell", "--no-imports", "-c", POST_NOW_AND_LATER,
                  stdin=json.dumps([tag, LEAD])).stdout.strip().splitlines()[-1]
    now_pk, later_pk, due = json.loads(out)
    return int(now_pk), int(later_pk), datetime.fromisoformat(due)


def _start_worker(hub: Hub, log: Path) -> subprocess.Popen[bytes]:
    proc = hub.popen("worker", "--no-migrate", log=log)
    until(lambda: log.exists() and b"started" in log.read_bytes(),
          f"the worker to start\n{tail(log.parent)}")
    return proc


def _stop(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is None:
        proc.terminate()
        proc.wait(20)


@pytest.mark.parametrize("engine", ["sqlite", "postgres"])
def test_a_worker_ahead_or_behind_sends_a_scheduled_post_at_its_time(
        engine: str, mastodon_peer: MastodonPeer, tmp_path: Path) -> None:
    """Due times are decided by the database's clock, not the worker's. The database (SQLite's
    file, or the PostgreSQL server on 127.0.0.1) runs on this machine's true clock, which is
    this test's, so the test compares with its own clock what the workers did with theirs.

    A worker five minutes ahead sends a post sent "now" (the proof it looks), and never a post
    due LEAD seconds later before that time: no look of the test that ended before the due
    time saw it gone. Before, the worker ahead found both due at once and sent them together.

    A worker five minutes behind sends a post sent "now" and a scheduled one when they fall due,
    not five minutes later: each is sent while the worker's own clock has not reached its due
    time. Before, it waited until its own clock did (the test's guard is far below that)."""
    account = mastodon_peer.new_account(f"skew{uuid.uuid4().hex[:6]}")
    folder = tmp_path / "logs"
    folder.mkdir()
    with database(engine) as url:
        hub = Hub(tmp_path / "data", database_url=url, extra_env=DUE_ENV)
        hub.run("manage", "migrate", "--no-input")
        hub.run("createuser", "skew", "--password-stdin", stdin="a-long-enough-password\n")
        hub.run("connect", "mastodon", "--user", "skew", "--instance", mastodon_peer.base_url,
                f"--token={account.access_token}")

        ahead = Hub(hub.data_dir, database_url=url, extra_env=DUE_ENV, clock_offset=SKEW)
        worker = _start_worker(ahead, folder / "worker-ahead.log")
        try:
            now_pk, later_pk, due = _post_now_and_later(hub, "ahead")
            until(lambda: _delivery_state(hub, now_pk) == "sent",
                  f"the worker ahead to send the post sent now\n{tail(folder)}")
            early: list[tuple[datetime, str]] = []

            def looked_sent() -> bool:
                state = _delivery_state(hub, later_pk)
                looked = datetime.now(UTC)
                if state != "scheduled" and looked < due:
                    early.append((looked, state))
                return state == "sent"

            until(looked_sent, f"the worker ahead to send the scheduled post\n{tail(folder)}",
                  guard=LEAD + 60)
            assert early == [], (f"due at {due}, seen {early[0][1]} at {early[0][0]} "
                                 f"(the worker's clock is {SKEW:.0f} s ahead)")
        finally:
            _stop(worker)

        behind = Hub(hub.data_dir, database_url=url, extra_env=DUE_ENV, clock_offset=-SKEW)
        worker = _start_worker(behind, folder / "worker-behind.log")
        try:
            now_pk, later_pk, due = _post_now_and_later(hub, "behind")
            until(lambda: _delivery_state(hub, now_pk) == "sent",
                  f"the worker behind to send the post sent now\n{tail(folder)}")
            until(lambda: _delivery_state(hub, later_pk) == "sent",
                  f"the worker behind to send the scheduled post\n{tail(folder)}",
                  guard=LEAD + 60)
            # Seen sent before the worker's own clock (SKEW behind the true one) reached it.
            assert datetime.now(UTC) - timedelta(seconds=SKEW) < due
        finally:
            _stop(worker)
        sent = [s["content"] for s in mastodon_peer.statuses(account)]
        assert len(sent) == 4, sent  # each once
