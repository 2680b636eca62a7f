"""The task engine on Celery (HUBBUB_TASKS_BACKEND=celery, jobs/celery_app.py, issue 13), against
the real brokers that run here (Redis 127.0.0.1:6379, database REDIS_DB, which only these tests
use and flush; RabbitMQ 127.0.0.1:5672), with real `hubbub worker` processes running their
Celery consumer: what the hub enqueues runs there (a rule change's recompute, a feed read,
deliveries with HUBBUB_SEND_IN_WORKER=0), each post reaches the Mastodon mock once, and a
worker SIGKILLed while it sends loses nothing and sends nothing twice. Each test has a queue
of its own on the broker."""

from __future__ import annotations

import json
import re
import sqlite3
import subprocess
import uuid
from collections import Counter
from collections.abc import Iterator
from contextlib import closing, suppress
from pathlib import Path

import pytest
import redis
from kombu import Connection as BrokerConnection

from tests.imports.feedserver import FeedServer, Item, rss
from tests.integration import crash_networks_support as networks
from tests.integration.crash_support import CRASH_ENV, create_posts_script, tail, wait_started
from tests.integration.hubproc import Hub
from tests.peers.mastodon import MastodonPeer
from tests.waiting import until

ROOT = Path(__file__).resolve().parents[2]
REDIS_DB = 12  # these tests' own Redis database
BROKERS = {
    "redis": f"redis://127.0.0.1:6379/{REDIS_DB}",
    "rabbitmq": "amqp://guest:guest@127.0.0.1:5672//",
}


@pytest.fixture
def queue() -> str:
    return f"hubbub-test-{uuid.uuid4().hex[:8]}"


@pytest.fixture
def own_redis() -> Iterator[redis.Redis]:
    client = redis.Redis.from_url(BROKERS["redis"])
    client.flushdb()
    try:
        yield client
    finally:
        client.flushdb()
        client.close()


def _delete_queue(broker: str, queue: str) -> None:
    with BrokerConnection(broker) as conn, suppress(Exception):  # never declared: nothing
        conn.default_channel.queue_delete(queue)


def _waiting(broker: str, queue: str) -> int:
    """Messages ready in the queue (not those a consumer holds)."""
    with BrokerConnection(broker) as conn:
        try:
            return int(conn.default_channel.queue_declare(queue=queue, passive=True)[1])
        except Exception:
            return 0


def _hub(tmp_path: Path, broker: str, queue: str, **env: str) -> Hub:
    hub = Hub(tmp_path / "data", extra_env={
        **CRASH_ENV, "HUBBUB_TASKS_BACKEND": "celery", "HUBBUB_CELERY_BROKER": broker,
        "HUBBUB_CELERY_QUEUE": queue, "HUBBUB_READ_NETWORKS": "0", **env})
    hub.run("manage", "migrate", "--no-input")
    hub.run("createuser", "celery", "--password-stdin", stdin="a-long-enough-password\n")
    return hub


def _query(hub: Hub, sql: str) -> list[tuple[object, ...]]:
    """The hub's SQLite database, read directly (a `manage shell` takes a second to start)."""
    path = hub.data_dir / "hubbub.sqlite3"
    with closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=30)) as conn:
        return conn.execute(sql).fetchall()


def _states(hub: Hub) -> Counter[str]:
    return Counter({str(state): int(str(n)) for state, n in _query(
        hub, "SELECT state, count(*) FROM publishing_delivery GROUP BY state")})


def _task_rows(hub: Hub) -> int:
    return int(str(_query(hub, "SELECT count(*) FROM django_tasks_database_dbtaskresult")[0][0]))


def _worker(hub: Hub, tmp_path: Path, name: str) -> tuple[subprocess.Popen[bytes], Path]:
    log = tmp_path / f"{name}.log"
    proc = hub.popen("worker", "--no-migrate", log=log)
    wait_started([log], timeout=60)
    return proc, log


def test_every_task_of_the_hub_is_registered_with_celery(tmp_path: Path) -> None:
    """A consumer knows every @task in src/ before it takes a message (else: "unregistered
    task", and the message is dropped)."""
    defined = set()
    for path in (ROOT / "src" / "hubbub").rglob("*.py"):
        module = ".".join(path.relative_to(ROOT / "src").with_suffix("").parts)
        for name in re.findall(r"^@task\(\)\ndef (\w+)", path.read_text(), re.M):
            defined.add(f"{module}.{name}")
    assert len(defined) >= 6
    hub = Hub(tmp_path / "data", extra_env={"HUBBUB_TASKS_BACKEND": "celery"})
    shell = hub.run("manage", "shell", "--no-imports", "-c",
                    "import json\nfrom hubbub.jobs.celery_app import register_tasks\n"
                    "print(json.dumps(register_tasks()))")
    assert set(json.loads(shell.stdout.strip().splitlines()[-1])) == defined


def test_what_the_hub_enqueues_runs_on_the_celery_worker(
        mastodon_peer: MastodonPeer, tmp_path: Path, queue: str, own_redis: redis.Redis) -> None:
    """A rule change (recompute_rules) and a due feed read (read_feed), each enqueued by the hub
    itself, run on a worker's Celery consumer; no row is written to the database task table."""
    target = networks.mastodon(mastodon_peer)
    feeds = FeedServer()
    try:
        feeds.put("/feed.xml", rss([Item("a", "First", "https://blog.example/a")]))
        hub = _hub(tmp_path, BROKERS["redis"], queue)
        target.connect(hub, "celery")
        hub.run("manage", "shell", "--no-imports", "-c", (
            "from django.contrib.auth.models import User\n"
            "from hubbub.connections.models import Connection\n"
            "from hubbub.imports import subscriptions\n"
            "from hubbub.listening.services import bump\n"
            "from django.db import transaction\n"
            "u = User.objects.get(username='celery')\n"
            f"s = subscriptions.subscribe(user=u, url={feeds.url('/feed.xml')!r}, "
            "connections=list(Connection.objects.filter(user=u)), template='{title} {link}')\n"
            "subscriptions.read_now(s)\n"
            "with transaction.atomic():\n"
            "    bump(u.pk)\n"))
        reads_before = len(feeds.requests_for("/feed.xml"))
        assert _waiting(BROKERS["redis"], queue) >= 1  # the recompute, waiting for a worker
        proc, _ = _worker(hub, tmp_path, "worker")
        try:
            until(lambda: _query(hub, "SELECT version, applied_version FROM "
                                      "listening_listeningstate")[0] == (1, 1),
                  f"the rules' recompute to run on Celery\n{tail(tmp_path)}")
            until(lambda: len(feeds.requests_for("/feed.xml")) > reads_before,
                  f"the due feed read to run on Celery\n{tail(tmp_path)}")
            until(lambda: _query(hub, "SELECT last_polled_at IS NOT NULL FROM "
                                      "imports_feedsubscription")[0] == (1,),
                  "the feed read to finish")
        finally:
            proc.terminate()
            proc.wait(30)
        assert _task_rows(hub) == 0
    finally:
        feeds.close()


@pytest.mark.parametrize("broker", ["redis", "rabbitmq"])
def test_deliveries_through_celery_are_sent_exactly_once(
        mastodon_peer: MastodonPeer, tmp_path: Path, queue: str, own_redis: redis.Redis,
        broker: str) -> None:
    target = networks.mastodon(mastodon_peer)
    hub = _hub(tmp_path, BROKERS[broker], queue, HUBBUB_SEND_IN_WORKER="0")
    try:
        target.connect(hub, "celery")
        texts = [f"celery {broker} {uuid.uuid4().hex[:6]} #{n}" for n in range(8)]
        hub.run("manage", "shell", "--no-imports", "-c", create_posts_script(texts, "celery"))
        procs = [_worker(hub, tmp_path, f"worker-{n}")[0] for n in range(2)]
        try:
            until(lambda: _states(hub) == Counter({"sent": len(texts)}),
                  f"every delivery sent through Celery\n{tail(tmp_path)}", guard=120)
        finally:
            for proc in procs:
                proc.terminate()
                proc.wait(30)
        held = Counter(text for text, _ in target.posts())
        assert held == Counter(dict.fromkeys(texts, 1))
        assert _task_rows(hub) == 0  # not one through the database queue
    finally:
        if broker == "rabbitmq":
            _delete_queue(BROKERS[broker], queue)


@pytest.mark.parametrize("broker", ["redis", "rabbitmq"])
def test_a_killed_celery_worker_loses_nothing_and_sends_nothing_twice(
        mastodon_peer: MastodonPeer, tmp_path: Path, queue: str, own_redis: redis.Redis,
        broker: str) -> None:
    """SIGKILL the worker while its consumer runs a delivery (the mock answers in 3 s): the
    message stays the broker's (acknowledged only after the task: Redis keeps it among its
    unacknowledged messages until the visibility timeout, RabbitMQ puts it back in the queue
    when the connection drops), a new worker settles the rest, and every post is on the mock
    exactly once."""
    target = networks.mastodon(mastodon_peer)
    hub = _hub(tmp_path, BROKERS[broker], queue, HUBBUB_SEND_IN_WORKER="0",
               HUBBUB_CELERY_VISIBILITY_SECONDS="3")
    try:
        target.connect(hub, "celery")
        texts = [f"celery kill {broker} {uuid.uuid4().hex[:6]} #{n}" for n in range(6)]
        hub.run("manage", "shell", "--no-imports", "-c", create_posts_script(texts, "celery"))
        mastodon_peer.add_fault({"type": "latency", "delay_ms": 3000}, methods=["POST"],
                                path="/api/v1/statuses", count=None)
        proc, _ = _worker(hub, tmp_path, "killed")
        until(lambda: _states(hub)["sending"] >= 1,
              f"a delivery to be mid-send on the Celery consumer\n{tail(tmp_path)}")
        ready = _waiting(BROKERS[broker], queue)
        sending = {int(str(row[0])) for row in _query(
            hub, "SELECT id FROM publishing_delivery WHERE state = 'sending'")}
        proc.kill()
        proc.wait()
        assert _states(hub)["sent"] < len(texts), "the kill came after the work: it proved nothing"
        if broker == "redis":
            # The running task's own message was not acknowledged: Redis holds it for
            # redelivery (a message only prefetched would be there with early acks too).
            held = [json.loads(raw)[0]["headers"] for raw in own_redis.hvals("unacked")]
            wanted = {form.format(pk) for pk in sending for form in ("[{}]", "({},)")}
            assert any(h["task"] == "hubbub.publishing.tasks.deliver"
                       and h["argsrepr"] in wanted for h in held), (sending, held)
        else:
            until(lambda: _waiting(BROKERS[broker], queue) > ready,
                  "RabbitMQ to put the killed worker's message back in the queue")
        target.speed_up()
        proc, _ = _worker(hub, tmp_path, "settler")
        try:
            until(lambda: _states(hub) == Counter({"sent": len(texts)}),
                  f"every delivery sent after the kill\n{tail(tmp_path)}", guard=180)
            # Nothing left on the broker: the redelivered message ran too.
            until(lambda: _waiting(BROKERS[broker], queue) == 0
                  and (broker != "redis" or own_redis.hlen("unacked") == 0),
                  "the broker's queue and unacknowledged messages to empty", guard=120)
        finally:
            proc.terminate()
            proc.wait(30)
        held = Counter(text for text, _ in target.posts())
        assert held == Counter(dict.fromkeys(texts, 1))
    finally:
        if broker == "rabbitmq":
            _delete_queue(BROKERS[broker], queue)
