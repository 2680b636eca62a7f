"""Workers SIGKILLed while their task runners send (HUBBUB_SEND_IN_WORKER off, so every delivery
goes through a task row): afterwards the task table returns to a bounded size - no RUNNING row
of a dead runner, no wake-up left waiting, finished rows gone after the retention - and every
post reached the Mastodon mock exactly once (issue 13). SQLite with one worker, PostgreSQL with
two at once, as the crash test runs them (tests/integration/test_crash.py)."""

from __future__ import annotations

import json
import uuid
from collections import Counter
from pathlib import Path

import pytest

from tests.integration import crash_networks_support as networks
from tests.integration.crash_support import (
    CRASH_ENV,
    create_posts_script,
    database,
    kill_workers,
    running_tasks,
    settle,
    tail,
)
from tests.integration.hubproc import Hub
from tests.peers.mastodon import MastodonPeer
from tests.waiting import until

pytestmark = pytest.mark.slow

POSTS = 20
KILLS = 8
TASK_ENV = {
    "HUBBUB_SEND_IN_WORKER": "0",  # each delivery through a task row
    "HUBBUB_READ_NETWORKS": "0",
    "HUBBUB_WORKER_DEAD_SECONDS": "3",
    "HUBBUB_TASK_RETENTION_SECONDS": "2",
    "HUBBUB_TASK_SWEEP_SECONDS": "0.5",
}
_COUNT_ROWS = (
    "import collections, json\n"
    "from django_tasks_db.models import DBTaskResult\n"
    "rows = DBTaskResult.objects.values_list('status', flat=True)\n"
    "print(json.dumps(collections.Counter(rows)))\n"
)


def _rows(hub: Hub) -> Counter[str]:
    shell = hub.run("manage", "shell", "--no-imports", "-c", _COUNT_ROWS)
    return Counter(json.loads(shell.stdout.strip().splitlines()[-1]))


@pytest.mark.parametrize(("engine", "workers"), [("sqlite", 1), ("postgres", 2)])
def test_killed_runners_leave_a_bounded_task_table(
        mastodon_peer: MastodonPeer, tmp_path: Path, engine: str, workers: int) -> None:
    target = networks.mastodon(mastodon_peer)
    with database(engine) as database_url:
        hub = Hub(tmp_path / "data", database_url=database_url,
                  extra_env={**CRASH_ENV, **target.env, **TASK_ENV})
        hub.run("createuser", "crash", "--password-stdin", stdin="a-long-enough-password\n")
        target.connect(hub, "crash")
        run_id = uuid.uuid4().hex[:6]
        texts = [f"task rows {run_id} #{n}" for n in range(POSTS)]
        hub.run("manage", "shell", "--no-imports", "-c", create_posts_script(texts))
        # Each post takes 1.5 s at the server, and each kill comes as soon as a task row is
        # RUNNING: the kills land while runners send, however slowly the workers start.
        mastodon_peer.add_fault({"type": "latency", "delay_ms": 1500}, methods=["POST"],
                                path="/api/v1/statuses", count=None)
        kill_workers(hub, tmp_path, workers=workers, kills=KILLS, seed=20261206,
                     when=lambda: running_tasks(hub) > 0)
        target.speed_up()
        left = _rows(hub)  # every worker is dead now: each RUNNING row is a dead runner's
        states, _ = settle(hub, tmp_path, user="crash", workers=workers, posts=POSTS,
                           targets=POSTS, timeout=600)
        assert states == Counter({"sent": POSTS}), f"{states}\n{tail(tmp_path)}"

        # One worker left running: its sweep brings the table back to nothing pending.
        sweeper = hub.popen("worker", "--no-migrate", log=tmp_path / "sweeper.log")
        try:
            seen: list[Counter[str]] = []

            def bounded() -> bool:
                seen.append(_rows(hub))
                return seen[-1].total() == 0

            until(bounded, "the task table to empty (every row finished and past the "
                  "retention)", guard=300)
        finally:
            sweeper.terminate()
            sweeper.wait(10)
        held = target.posts()
        assert Counter(text for text, _ in held) == Counter(dict.fromkeys(texts, 1))
        print(f"\ntask rows [{engine}, {workers} worker(s)]: after {KILLS} kills {dict(left)}; "
              f"after settling {dict(seen[0])}, then empty; {POSTS} posts sent exactly once")
        assert left["RUNNING"] >= 1, "no kill landed while a task ran; the test proved nothing"
