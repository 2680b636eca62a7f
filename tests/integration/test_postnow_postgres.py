"""Between processes on PostgreSQL: a post queued by one process (the command line here, a web
node in production) wakes a `hubbub worker` in another through NOTIFY hubbub_due, with the
worker's tick an hour long, so only the wake-up can have sent it."""

from __future__ import annotations

import re
from pathlib import Path

import psycopg

from tests.integration.crash_support import database
from tests.integration.hubproc import Hub
from tests.peers.mastodon import MastodonPeer
from tests.waiting import until

PASSWORD = "a-long-enough-password\n"



def _rows(url: str, sql: str) -> int:
    with psycopg.connect(url, autocommit=True) as conn:
        row = conn.execute(sql).fetchone()
    return int(row[0]) if row else 0


def test_a_post_queued_elsewhere_wakes_the_worker(mastodon_faults: MastodonPeer,
                                                  tmp_path: Path) -> None:
    with database("postgres") as url:
        hub = Hub(tmp_path / "data", database_url=url, extra_env={
            "HUBBUB_SCHEDULER_INTERVAL": "3600", "HUBBUB_READ_NETWORKS": "0"})
        hub.run("createuser", "ada", "--password-stdin", stdin=PASSWORD)
        account = mastodon_faults.new_account()
        made = hub.json("connect", "mastodon", "--user", "ada", "--instance",
                        mastodon_faults.base_url, f"--token={account.access_token}")
        log = tmp_path / "worker.log"
        worker = hub.popen("worker", "--no-migrate", log=log)
        try:
            # The worker's first (and, in this test, only) tick is done once it beats.
            until(lambda: _rows(url, "SELECT count(*) FROM jobs_workerbeat") == 1,
                   "the worker's first tick")
            hub.json("post", "--user", "ada", "--to", str(made["id"]), "woken from afar")
            until(lambda: _rows(url, "SELECT count(*) FROM publishing_delivery "
                                      "WHERE state = 'sent'") == 1, "the post to be sent")
        finally:
            worker.terminate()
            worker.wait(30)
        texts = [re.sub(r"<[^>]+>", "", s["content"])
                 for s in mastodon_faults.statuses(account)]
        assert texts == ["woken from afar"]
