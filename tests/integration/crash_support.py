"""What the crash tests share: a hub whose workers are SIGKILLed at random moments while they
publish, then one worker left to settle everything, and the questions asked of the hub after
(tests/integration/test_crash.py; the networks it posts to are in crash_networks_support.py)."""

from __future__ import annotations

import json
import random
import sqlite3
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import closing, contextmanager
from pathlib import Path
from typing import Any

import psycopg

from tests.integration.hubproc import Hub
from tests.waiting import came

# Short leases and timeouts, so a killed worker's delivery is swept, and settled, quickly.
CRASH_ENV = {
    "HUBBUB_LEASE_SECONDS": "4",
    "HUBBUB_REQUEUE_SECONDS": "3",
    "HUBBUB_HTTP_TIMEOUT": "3",
    "HUBBUB_SCHEDULER_INTERVAL": "0.2",
    "HUBBUB_RETRY_BASE_SECONDS": "0.3",
    "HUBBUB_RETRY_MAX_SECONDS": "2",
    "HUBBUB_MAX_ATTEMPTS": "100",
}


@contextmanager
def database(engine: str) -> Iterator[str]:
    """The hub's DATABASE_URL: "" (SQLite in the data dir) or a fresh PostgreSQL database,
    dropped after."""
    if engine != "postgres":
        yield ""
        return
    name = f"hubbub_crash_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(_POSTGRES, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield f"postgresql://root@127.0.0.1:5432/{name}"
    finally:
        with psycopg.connect(_POSTGRES, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def kill_workers(hub: Hub, folder: Path, *, workers: int, kills: int, seed: int,
                 when: Callable[[], bool] | None = None) -> None:
    """Start `workers` workers and SIGKILL them at a random moment after each says it started,
    `kills` times over; with `when`, at once when it first holds (for up to 60 s) instead."""
    rng = random.Random(seed)
    for n in range(kills):
        logs = [folder / f"worker-{n}-{w}.log" for w in range(workers)]
        procs = [hub.popen("worker", "--no-migrate", log=path) for path in logs]
        # Kill at a random moment after the worker is up (its start-up time varies a lot on a
        # busy machine), so the kills land while it works, not while it imports.
        wait_started(logs, timeout=30)
        if when is None:
            # Not a wait before a check: the crash tests want kills at random moments of the
            # work, and the seed makes the moments the same each run.
            time.sleep(rng.uniform(0.1, 1.5))
        else:
            came(when, guard=60)  # a kill that finds no task running still kills
        for proc in procs:
            proc.kill()
            proc.wait()


def settle(hub: Hub, folder: Path, *, user: str, workers: int, posts: int, targets: int,
           timeout: float = 120) -> tuple[Counter[str], list[dict[str, Any]]]:
    """Run `workers` workers until every target of the user's `posts` posts is sent (or the
    deadline passes); the targets' states and the posts as `hubbub posts --json` lists them."""
    log = folder / "workers.log"
    procs = [hub.popen("worker", "--no-migrate", log=log) for _ in range(workers)]
    try:
        deadline = time.monotonic() + timeout
        while True:
            listed = hub.json("posts", "--user", user, "--limit", str(posts + 5))
            states = Counter(t["state"] for p in listed for t in p["targets"])
            if states == Counter({"sent": targets}) or time.monotonic() > deadline:
                return states, listed
            time.sleep(0.5)
    finally:
        for proc in procs:
            proc.terminate()
            proc.wait(10)


def orphans(hub: Hub) -> Counter[str]:
    """How many deliveries a kill left mid-send (swept to "unknown" and settled after), by
    network."""
    shell = hub.run("manage", "shell", "--no-imports", "-c", _COUNT_ORPHANS)
    return Counter(json.loads(shell.stdout.strip().splitlines()[-1]))


def tail(folder: Path) -> str:
    return "\n".join(p.read_text(errors="replace")[-1500:] for p in sorted(folder.glob("*.log")))


def running_tasks(hub: Hub) -> int:
    """How many task rows are RUNNING now, read from the hub's database directly (a `manage
    shell` takes a second or more to start, longer than a task runs)."""
    query = "SELECT count(*) FROM django_tasks_database_dbtaskresult WHERE status = 'RUNNING'"
    if hub.database_url:
        with psycopg.connect(hub.database_url, autocommit=True) as conn:
            row = conn.execute(query).fetchone()
    else:
        path = hub.data_dir / "hubbub.sqlite3"
        with closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=30)) as conn:
            row = conn.execute(query).fetchone()
    return int(row[0]) if row else 0


def wait_started(logs: list[Path], timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while not all(path.exists() and b"started" in path.read_bytes() for path in logs):
        if time.monotonic() > deadline:
            return  # a worker that never says so is killed anyway
        time.sleep(0.05)


def create_posts_script(texts: list[str], user: str = "crash") -> str:
    """A `manage shell` script queueing one post per text to every connection of `user`."""
    return (
        "from django.contrib.auth.models import User\n"
        "from hubbub.connections.models import Connection\n"
        "from hubbub.publishing.services import create_post\n"
        f"u = User.objects.get(username={user!r})\n"
        "cs = list(Connection.objects.filter(user=u))\n"
        f"for t in {texts!r}:\n"
        "    create_post(user=u, text=t, connections=cs)\n"
    )


_POSTGRES = "postgresql://root@127.0.0.1:5432/postgres"
_COUNT_ORPHANS = (
    "import collections, json\n"
    "from hubbub.publishing.models import DeliveryEvent\n"
    "swept = DeliveryEvent.objects.filter(to_state='unknown')\n"
    "print(json.dumps(collections.Counter(\n"
    "    swept.values_list('delivery__connection__network', flat=True))))\n"
)
