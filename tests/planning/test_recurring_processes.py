"""Several worker processes making a recurring post's occurrences at the same moment, on SQLite
and on PostgreSQL, and again after a "restart": every occurrence becomes exactly one post."""

from __future__ import annotations

import subprocess
import time
import uuid
from pathlib import Path

import psycopg
import pytest

from tests.integration.hubproc import Hub

pytestmark = pytest.mark.slow  # real processes: about a minute with PostgreSQL
PROCESSES = 4
SETUP = """
from datetime import time, timedelta
from django.contrib.auth.models import User
from django.utils import timezone
from hubbub.connections.models import Connection
from hubbub.networks.registry import get_connector
from hubbub.planning.models import RecurringPost
user = User.objects.get(username="ada")
c = Connection(user=user, network="mastodon", base_url="https://social.invalid", remote_id="1",
               handle="@ada@social.invalid",
               capabilities_json=get_connector("mastodon").default_capabilities().to_json(),
               capabilities_fetched_at=timezone.now())
c.credentials = {"access_token": "unused"}
c.save()
for minute in (0, 20, 40):
    rule = RecurringPost.objects.create(
        user=user, text=f"Daily at 12:{minute:02d}", frequency="daily",
        time_of_day=time(12, minute), timezone="Europe/Berlin",
        starts_at=timezone.now() - timedelta(hours=1))
    rule.connections.set([c])
"""
# Every process waits for the same instant, then runs the job three times.
RACE = """
import time
from hubbub.planning.recurring import materialize
while time.time() < {start}:
    time.sleep(0.005)
for _ in range(3):
    materialize()
"""
COUNT = """
from django.utils import timezone
from hubbub.planning.models import Occurrence
from hubbub.planning.recurring import HORIZON, LOOKBACK, upcoming
from hubbub.planning.models import RecurringPost
from hubbub.publishing.models import Delivery, Post
now = timezone.now()
expected = sum(len([a for a in upcoming(r, after=now - LOOKBACK, limit=50) if a <= now + HORIZON])
               for r in RecurringPost.objects.all())
print(expected, Post.objects.count(), Delivery.objects.count(),
      Occurrence.objects.filter(post__isnull=False).count(),
      Occurrence.objects.exclude(error="").count())
"""


def _postgres() -> str:
    name = f"hubbub_planning_{uuid.uuid4().hex[:8]}"
    try:
        with psycopg.connect("postgresql://root@127.0.0.1:5432/postgres", autocommit=True,
                             connect_timeout=3) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
    except psycopg.OperationalError as exc:
        pytest.skip(f"no PostgreSQL on 127.0.0.1:5432 ({exc})")
    return name


@pytest.mark.parametrize("engine", ["sqlite", "postgres"])
def test_processes_racing_make_each_occurrence_once(tmp_path: Path, engine: str) -> None:
    db_name = _postgres() if engine == "postgres" else ""
    url = f"postgresql://root@127.0.0.1:5432/{db_name}" if db_name else ""
    hub = Hub(tmp_path / "data", database_url=url)
    try:
        hub.run("createuser", "ada", "--password-stdin", stdin="a-long-enough-password\n")
        hub.run("manage", "shell", "--no-imports", "-c", SETUP)
        start = time.time() + 6  # every process is up and waiting by then
        procs = [subprocess.Popen(hub.argv("manage", "shell", "--no-imports", "-c",
                                           RACE.format(start=start)),
                                  env=hub.env(), stdout=subprocess.PIPE,
                                  stderr=subprocess.STDOUT, text=True)
                 for _ in range(PROCESSES)]
        outputs = [p.communicate(timeout=120)[0] for p in procs]
        assert all(p.returncode == 0 for p in procs), outputs
        # Losing a race is quiet (the constraint or the lock says someone else made it).
        assert not any("could not be materialized" in out for out in outputs), outputs
        hub.run("manage", "shell", "--no-imports", "-c", RACE.format(start=0))  # a restart
        counts = hub.run("manage", "shell", "--no-imports", "-c", COUNT).stdout.split()
        expected, posts, deliveries, occurrences, errors = (int(n) for n in counts[-5:])
        assert expected >= 3 * 7
        assert posts == deliveries == occurrences == expected
        assert errors == 0
    finally:
        if db_name:
            with psycopg.connect("postgresql://root@127.0.0.1:5432/postgres",
                                 autocommit=True) as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{db_name}" WITH (FORCE)')
