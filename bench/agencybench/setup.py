"""What bench/agency.py sets up: the scripts a hub's `manage shell` runs (connect the
accounts; write a phase's due posts in bulk), the run's own PostgreSQL database and Redis
database, and its lateness summary."""

from __future__ import annotations

import argparse
import statistics
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

import psycopg
from bench.agencybench.processes import _pct
from tests.integration.crash_support import _POSTGRES

CONNECT = """\
import json, sys
from django.contrib.auth.models import User
from hubbub.connections.services import save_connection
from hubbub.networks.registry import get_connector
u = User.objects.get(username="agency")
specs = json.loads(sys.stdin.read())
for network, base, credentials in specs:
    save_connection(u, network, get_connector(network).connect_with_token(base, credentials))
print(len(specs))
"""

# The rows create_post writes for a post with one target (publishing/services._save_post: the
# post, its delivery with a freshly minted idempotency key, the event), written in bulk: the
# measure is the sending, not the writing (create_post, checks included, wrote 7 posts a second
# here at load 10, so 5,000 posts "due in the same minute" took longer than their minute).
SCHEDULE = """\
import time, uuid
from datetime import datetime, timedelta, UTC
from django.contrib.auth.models import User
from django.db import transaction
from hubbub.connections.models import Connection
from hubbub.publishing.models import Delivery, DeliveryEvent, DeliveryState, Post
u = User.objects.get(username="agency")
cs = list(Connection.objects.filter(user=u).order_by("pk"))
began = time.time()
start = datetime.fromtimestamp({t0!r}, UTC)
dues = [start + timedelta(seconds={spread!r} * i / {count}) for i in range({count})]
with transaction.atomic():
    posts = Post.objects.bulk_create(
        [Post(user=u, text=f"agency-{phase}-{{i}}-{{due.timestamp():.6f}}- a post of the agency "
                          f"bench", scheduled_for=due, timezone="UTC")
         for i, due in enumerate(dues)], batch_size=500)
    rows = Delivery.objects.bulk_create(
        [Delivery(post=post, connection=cs[({offset} + i) % len(cs)],
                  state=DeliveryState.SCHEDULED, due_at=due, idempotency_key=uuid.uuid4().hex)
         for i, (post, due) in enumerate(zip(posts, dues))], batch_size=500)
    DeliveryEvent.objects.bulk_create(
        [DeliveryEvent(delivery=row, from_state="", to_state=DeliveryState.SCHEDULED,
                       detail=f"due {{row.due_at.isoformat()}}") for row in rows], batch_size=500)
print(time.time() - began)
"""


def _late(values: list[float]) -> dict[str, float]:
    if not values:
        return {}
    return {"p50": round(statistics.median(values) * 1000, 1),
            "p99": round(_pct(values, 0.99) * 1000, 1), "max": round(max(values) * 1000, 1)}


@contextmanager
def database() -> Iterator[str]:
    """A fresh PostgreSQL database under a name of its own, dropped after: one named as the
    crash tests name theirs was dropped mid-run by other work on the shared server."""
    name = f"hubbub_agency_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(_POSTGRES, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield f"postgresql://root@127.0.0.1:5432/{name}"
    finally:
        with psycopg.connect(_POSTGRES, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@contextmanager
def broker(args: argparse.Namespace) -> Iterator[None]:
    """The run's own Redis database, empty before and after (RabbitMQ: the run's queue goes
    with the run's hubs; nothing to flush)."""
    if "celery" not in args.tasks or not args.celery_broker.startswith("redis"):
        yield
        return
    import redis

    client = redis.Redis.from_url(args.celery_broker)
    client.flushdb()
    try:
        yield
    finally:
        client.flushdb()
        client.close()
