"""Workers killed with SIGKILL at random moments: no post is lost and none is sent twice.

The worker runs in its own process (`hubbub worker`) and every post goes to four servers: the
Mastodon mock, the reference Bluesky PDS, a Nostr relay and the X stand-in (which has no
idempotency key: an X post in doubt is settled by reading the account's own posts back). The
database is SQLite in WAL mode (one worker, the default profile) or PostgreSQL with two workers
at once (the many-machines profile). Every post is then counted on each server itself.
"""

from __future__ import annotations

import random
import time
import uuid
from collections import Counter
from pathlib import Path
from typing import Any

import psycopg
import pytest
import requests

from tests.integration.hubproc import Hub
from tests.integration.x_support import CALLBACK, x_env

pytestmark = pytest.mark.slow

POSTS = 30
KILLS = 24
CRASH_ENV = {
    "HUBBUB_LEASE_SECONDS": "4",
    "HUBBUB_REQUEUE_SECONDS": "3",
    "HUBBUB_HTTP_TIMEOUT": "3",
    "HUBBUB_SCHEDULER_INTERVAL": "0.2",
    "HUBBUB_RETRY_BASE_SECONDS": "0.3",
    "HUBBUB_RETRY_MAX_SECONDS": "2",
    "HUBBUB_MAX_ATTEMPTS": "100",
}


def _server_statuses(base_url: str, token: str, account_id: str) -> list[dict[str, Any]]:
    statuses: list[dict[str, Any]] = []
    max_id = None
    while True:
        params: dict[str, Any] = {"limit": 40}
        if max_id:
            params["max_id"] = max_id
        page = requests.get(f"{base_url}/api/v1/accounts/{account_id}/statuses", params=params,
                            headers={"Authorization": f"Bearer {token}"}, timeout=10).json()
        if not page:
            return statuses
        statuses += page
        max_id = page[-1]["id"]


def _postgres_url() -> Any:
    name = f"hubbub_crash_{uuid.uuid4().hex[:8]}"
    with psycopg.connect("postgresql://root@127.0.0.1:5432/postgres", autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    return name


def _drop_postgres(name: str) -> None:
    with psycopg.connect("postgresql://root@127.0.0.1:5432/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _bluesky_texts(peer: Any, did: str) -> list[str]:
    texts: list[str] = []
    cursor = None
    while True:
        params = {"repo": did, "collection": "app.bsky.feed.post", "limit": 100}
        if cursor:
            params["cursor"] = cursor
        page = peer.xrpc("GET", "com.atproto.repo.listRecords", params=params)
        texts += [r["value"]["text"] for r in page["records"]]
        cursor = page.get("cursor")
        if not page["records"] or not cursor:
            return texts


@pytest.mark.parametrize(("engine", "workers"), [("sqlite", 1), ("postgres", 2)])
def test_killed_workers_lose_nothing_and_double_nothing(
    mastodon_peer: Any, bluesky_peer: Any, nostr_peer: Any, x_peer: Any, tmp_path: Path,
    engine: str, workers: int
) -> None:
    base_url = mastodon_peer.base_url
    account = mastodon_peer.new_account(f"crash{uuid.uuid4().hex[:6]}")
    sky = bluesky_peer.create_account("crash")
    x_app = x_peer.create_app(CALLBACK)
    x_user = x_peer.create_user()
    x_tokens = x_peer.token_for(x_user, x_app, ["tweet.read", "tweet.write", "users.read",
                                                "offline.access"])
    db_name = _postgres_url() if engine == "postgres" else ""
    database_url = f"postgresql://root@127.0.0.1:5432/{db_name}" if db_name else ""
    hub = Hub(tmp_path / "data", database_url=database_url,
              extra_env={**CRASH_ENV, **x_env(x_peer, *x_app)})
    log = tmp_path / "workers.log"
    try:
        hub.run("createuser", "crash", "--password-stdin", stdin="a-long-enough-password\n")
        hub.run("connect", "mastodon", "--user", "crash", "--instance", base_url,
                f"--token={account.access_token}")
        hub.run("connect", "bluesky", "--user", "crash", "--service", bluesky_peer.pds_url,
                "--handle", sky.handle, "--app-password-stdin", stdin=sky.app_password + "\n")
        nostr = hub.json("connect", "nostr", "--user", "crash", "--relay", nostr_peer.url,
                         "--generate")
        hub.run("connect", "x", "--user", "crash", f"--token={x_tokens.access_token}",
                f"--refresh-token={x_tokens.refresh_token}")
        run_id = uuid.uuid4().hex[:6]
        texts = [f"crash test {run_id} post {n}" for n in range(POSTS)]
        hub.run("manage", "shell", "--no-imports", "-c", _create_posts_script(texts))
        # Each publish takes a while on the server, so many kills land mid-call.
        mastodon_peer.add_fault({"type": "latency", "delay_ms": 250}, methods=["POST"],
                                path="/api/v1/statuses", count=None)
        x_peer.fail_next("POST", "/2/tweets", "delay", count=10 * POSTS, seconds=0.25)
        rng = random.Random(20261127)
        for n in range(KILLS):
            logs = [tmp_path / f"worker-{n}-{w}.log" for w in range(workers)]
            procs = [hub.popen("worker", "--no-migrate", log=path) for path in logs]
            # Kill at a random moment after the worker is up (its start-up time varies a lot
            # on a busy machine), so the kills land while it works, not while it imports.
            _wait_started(logs, timeout=30)
            time.sleep(rng.uniform(0.1, 1.5))
            for proc in procs:
                proc.kill()
                proc.wait()
        mastodon_peer.clear_faults()
        x_peer.clear_faults()
        procs = [hub.popen("worker", "--no-migrate", log=log) for _ in range(workers)]
        try:
            deadline = time.monotonic() + 120
            while True:
                posts = hub.json("posts", "--user", "crash", "--limit", str(POSTS + 5))
                states = Counter(t["state"] for p in posts for t in p["targets"])
                if states == Counter({"sent": 4 * POSTS}) or time.monotonic() > deadline:
                    break
                time.sleep(0.5)
        finally:
            for proc in procs:
                proc.terminate()
                proc.wait(10)
        assert states == Counter({"sent": 4 * POSTS}), f"{states}\n{_tail(tmp_path)}"

        statuses = _server_statuses(base_url, account.access_token, account.id)
        on_server = Counter(_plain(s["content"]) for s in statuses)
        assert on_server == Counter(dict.fromkeys(texts, 1))
        assert Counter(_bluesky_texts(bluesky_peer, sky.did)) == Counter(dict.fromkeys(texts, 1))
        events = nostr_peer.query({"kinds": [1], "authors": [nostr["remote_id"]]})
        assert Counter(e["content"] for e in events) == Counter(dict.fromkeys(texts, 1))
        x_posts = [p["text"] for p in x_peer.posts(x_user) if not p["deleted"]]
        assert Counter(x_posts) == Counter(dict.fromkeys(texts, 1))
        # Every delivery has its own link to what the server really has.
        urls = {t["url"] for p in posts for t in p["targets"]}
        assert len(urls) == 4 * POSTS
        # The test must have hit the hard case: a worker killed while a post was in flight.
        shell = hub.run("manage", "shell", "--no-imports", "-c", _COUNT_ORPHANS)
        orphans = shell.stdout.strip().splitlines()[-1]
        print(f"\ncrash test [{engine}, {workers} worker(s)]: {KILLS} kills, {int(orphans)} "
              f"deliveries caught mid-send and settled, {4 * POSTS} sent exactly once")
        assert int(orphans) >= 1, "no kill landed mid-send; the test proved nothing"
    finally:
        if db_name:
            _drop_postgres(db_name)


def _tail(folder: Path) -> str:
    return "\n".join(p.read_text(errors="replace")[-1500:] for p in sorted(folder.glob("*.log")))


def _wait_started(logs: list[Path], timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while not all(path.exists() and b"started" in path.read_bytes() for path in logs):
        if time.monotonic() > deadline:
            return  # a worker that never says so is killed anyway
        time.sleep(0.05)


def _plain(html: str) -> str:
    import re

    return re.sub(r"<[^>]+>", "", html).strip()


def _create_posts_script(texts: list[str]) -> str:
    return (
        "from django.contrib.auth.models import User\n"
        "from hubbub.connections.models import Connection\n"
        "from hubbub.publishing.services import create_post\n"
        "u = User.objects.get(username='crash')\n"
        "cs = list(Connection.objects.filter(user=u))\n"
        f"for t in {texts!r}:\n"
        "    create_post(user=u, text=t, connections=cs)\n"
    )


_COUNT_ORPHANS = (
    "from hubbub.publishing.models import DeliveryEvent\n"
    "print(DeliveryEvent.objects.filter(to_state='unknown').count())\n"
)
