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


# A person edits every rule (12:MM -> 13:MM -> 14:MM -> 13:MM, new words each time) while the
# workers run the job.
EDIT = """
import time
from datetime import time as clock_time
from django.contrib.auth.models import User
from hubbub.core import localtime
from hubbub.planning import recurring
from hubbub.planning.models import RecurringPost
user = User.objects.get(username="ada")
while time.time() < {start}:
    time.sleep(0.005)
for hour in (13, 14, 13):
    for rule in RecurringPost.objects.order_by("pk"):
        minute = rule.time_of_day.minute
        recurring.update_recurring(user, rule, recurring.Rule(
            text=f"Daily at {{hour}}:{{minute:02d}}", connections=list(rule.connections.all()),
            frequency="daily", time_of_day=clock_time(hour, minute), tz=rule.timezone,
            starts_on=localtime.local(rule.starts_at, rule.timezone).date()))
"""
# Ahead of now: the live posts of each rule are exactly the new rule's times, once each.
CHECK = """
from collections import Counter
from django.utils import timezone
from hubbub.planning.models import RecurringPost
from hubbub.planning.recurring import HORIZON, upcoming
from hubbub.publishing.models import DeliveryState, Post
now = timezone.now()
wrong = []
for rule in RecurringPost.objects.all():
    expected = [a for a in upcoming(rule, after=now, limit=50) if a <= now + HORIZON]
    live = [p for p in Post.objects.filter(occurrence__rule=rule, scheduled_for__gt=now)
            if p.deliveries.exclude(state=DeliveryState.CANCELLED).exists()]
    times = Counter(p.scheduled_for for p in live)
    if sorted(times) != expected or max(times.values(), default=1) > 1 \\
            or any(p.text != rule.text for p in live):
        wrong.append((rule.pk, sorted(times.items()), expected))
print("CHECKED", len(expected), wrong)
"""


@pytest.mark.parametrize("engine", ["sqlite", "postgres"])
def test_editing_while_processes_race_keeps_one_post_per_occurrence(tmp_path: Path,
                                                                     engine: str) -> None:
    db_name = _postgres() if engine == "postgres" else ""
    url = f"postgresql://root@127.0.0.1:5432/{db_name}" if db_name else ""
    hub = Hub(tmp_path / "data", database_url=url)
    try:
        hub.run("createuser", "ada", "--password-stdin", stdin="a-long-enough-password\n")
        hub.run("manage", "shell", "--no-imports", "-c", SETUP)
        hub.run("manage", "shell", "--no-imports", "-c", RACE.format(start=0))  # made once
        start = time.time() + 6
        scripts = [RACE.format(start=start)] * (PROCESSES - 1) + [EDIT.format(start=start)]
        procs = [subprocess.Popen(hub.argv("manage", "shell", "--no-imports", "-c", script),
                                  env=hub.env(), stdout=subprocess.PIPE,
                                  stderr=subprocess.STDOUT, text=True)
                 for script in scripts]
        outputs = [p.communicate(timeout=180)[0] for p in procs]
        assert all(p.returncode == 0 for p in procs), outputs
        assert not any("could not be materialized" in out for out in outputs), outputs
        hub.run("manage", "shell", "--no-imports", "-c", RACE.format(start=0))  # a restart
        out = hub.run("manage", "shell", "--no-imports", "-c", CHECK).stdout
        line = next(x for x in out.splitlines() if x.startswith("CHECKED"))
        assert line.endswith(" []"), out
        assert int(line.split()[1]) >= 6  # a week of daily times ahead, for each rule
    finally:
        if db_name:
            with psycopg.connect("postgresql://root@127.0.0.1:5432/postgres",
                                 autocommit=True) as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{db_name}" WITH (FORCE)')
