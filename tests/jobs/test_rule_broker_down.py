"""A rule saved while the Celery broker is down (issue 13), through a real `hubbub serve` and
`hubbub worker` against a redis-server of the test's own: the page answers as usual with the
rule saved, and its recompute runs once the broker is back. Before, the recompute's message was
sent in `transaction.on_commit` and the broker's refusal answered the request with a 500 after
the rule was saved, and the recompute was never asked for again."""

from __future__ import annotations

import sqlite3
import subprocess
from contextlib import closing
from pathlib import Path

from tests.integration.crash_support import wait_started
from tests.jobs.brokers import OwnRedis
from tests.security.edge import NEVER, Served, serve
from tests.waiting import until

QUEUE = "hubbub-rule-broker-down"


def _query(served: Served, sql: str) -> list[tuple[object, ...]]:
    path = served.hub.data_dir / "hubbub.sqlite3"
    with closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=30)) as conn:
        return conn.execute(sql).fetchall()


def _versions(served: Served) -> tuple[object, ...]:
    return _query(served, "SELECT version, applied_version FROM listening_listeningstate")[0]


def test_a_rule_saved_while_the_broker_is_down_is_applied_once_it_is_back(
        tmp_path: Path) -> None:
    broker = OwnRedis(tmp_path / "redis")  # not started yet: the broker is down
    with serve(tmp_path, HUBBUB_TASKS_BACKEND="celery", HUBBUB_CELERY_BROKER=broker.url,
               HUBBUB_CELERY_QUEUE=QUEUE, HUBBUB_READ_NETWORKS="0",
               HUBBUB_LOG_LEVEL="INFO") as served:
        web = served.signed_in()
        web.get(f"{served.url}/rules/new/", timeout=NEVER)
        answer = web.post(f"{served.url}/rules/new/", timeout=NEVER, allow_redirects=False,
                          data={"name": "quiet", "words": "spoilers", "visibility": "hide",
                                "days": "30", "do": "save",
                                "csrfmiddlewaretoken": web.cookies["csrftoken"]})
        assert answer.status_code == 302, answer.text[:2000]
        assert answer.headers["Location"].endswith("/rules/")
        assert _query(served, "SELECT name FROM listening_rule") == [("quiet",)]
        assert _versions(served) == (1, 0)  # saved, not applied yet: the broker is down
        listed = web.get(f"{served.url}/rules/", timeout=NEVER)
        assert listed.status_code == 200
        assert "quiet" in listed.text

        # A worker started while the broker is still down: its consumer keeps trying to
        # connect, and its try to enqueue the kept recompute again fails (said once).
        log = tmp_path / "worker.log"
        worker = served.hub.popen("worker", "--no-migrate", log=log)
        try:
            wait_started([log], timeout=NEVER)
            until(lambda: "Cannot connect to redis://" in log.read_text()
                  and "periodic job jobs.kept_tasks failed" in log.read_text(),
                  f"the worker to find the broker down\n{log.read_text()}")
            broker.start()
            until(lambda: _versions(served) == (1, 1),
                  f"the kept recompute to run once the broker is back\n{log.read_text()}")
            until(lambda: _query(served, "SELECT count(*) FROM jobs_kepttask") == [(0,)],
                  "the kept task to be gone once enqueued")
            said = log.read_text()
            assert said.count("periodic job jobs.kept_tasks failed") == 1, said
            assert "periodic job jobs.kept_tasks works again" in said, said
        finally:
            worker.terminate()
            try:
                worker.wait(30)
            except subprocess.TimeoutExpired:
                worker.kill()
            broker.stop()
