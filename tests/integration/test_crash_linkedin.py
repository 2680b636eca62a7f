"""Workers killed with SIGKILL at random moments while posting to LinkedIn (the stand-in,
tests/peers/linkedin): no post is lost and none is sent twice, although LinkedIn has no
idempotency key. A post in doubt is settled by reading the author's own posts back, and a
resend LinkedIn refuses as a duplicate counts as sent with the post it names.

The same run as tests/integration/test_crash.py (which posts to the other networks at once);
kept in its own file while that one is being changed for X.
"""

from __future__ import annotations

import random
import time
import uuid
from collections import Counter
from pathlib import Path

import pytest

from tests.integration.hubproc import Hub
from tests.integration.linkedin_support import CALLBACK, READ_MEMBER, SCOPES, li_env
from tests.integration.test_crash import (
    _COUNT_ORPHANS,
    CRASH_ENV,
    KILLS,
    POSTS,
    _create_posts_script,
    _drop_postgres,
    _postgres_url,
    _tail,
    _wait_started,
)
from tests.peers.linkedin.peer import LinkedInPeer

pytestmark = pytest.mark.slow


@pytest.mark.parametrize(("engine", "workers"), [("sqlite", 1), ("postgres", 2)])
def test_killed_workers_post_to_linkedin_exactly_once(
    li_peer: LinkedInPeer, tmp_path: Path, engine: str, workers: int
) -> None:
    client_id, secret = li_peer.create_app([CALLBACK], scopes=[*SCOPES, READ_MEMBER])
    member = li_peer.create_member("Crash Test")
    tokens = li_peer.token_for(member, (client_id, secret), [*SCOPES, READ_MEMBER])
    db_name = _postgres_url() if engine == "postgres" else ""
    database_url = f"postgresql://root@127.0.0.1:5432/{db_name}" if db_name else ""
    hub = Hub(tmp_path / "data", database_url=database_url,
              extra_env={**CRASH_ENV, **li_env(li_peer, client_id, secret)})
    log = tmp_path / "workers.log"
    try:
        hub.run("createuser", "crash", "--password-stdin", stdin="a-long-enough-password\n")
        hub.run("connect", "linkedin", "--user", "crash", f"--token={tokens.access_token}")
        run_id = uuid.uuid4().hex[:6]
        # Reserved characters and a hashtag: what LinkedIn keeps must be the whole text.
        texts = [f"crash (test) {run_id} #post{n} [{n}]" for n in range(POSTS)]
        hub.run("manage", "shell", "--no-imports", "-c", _create_posts_script(texts))
        # Each publish takes a while on the server, so many kills land mid-call.
        li_peer.fail_next("POST", "/rest/posts", "delay", count=10 * POSTS, seconds=0.25)
        rng = random.Random(20261206)
        for n in range(KILLS):
            logs = [tmp_path / f"worker-{n}-{w}.log" for w in range(workers)]
            procs = [hub.popen("worker", "--no-migrate", log=path) for path in logs]
            _wait_started(logs, timeout=30)
            time.sleep(rng.uniform(0.1, 1.5))
            for proc in procs:
                proc.kill()
                proc.wait()
        li_peer.clear_faults()
        procs = [hub.popen("worker", "--no-migrate", log=log) for _ in range(workers)]
        try:
            deadline = time.monotonic() + 120
            while True:
                posts = hub.json("posts", "--user", "crash", "--limit", str(POSTS + 5))
                states = Counter(t["state"] for p in posts for t in p["targets"])
                if states == Counter({"sent": POSTS}) or time.monotonic() > deadline:
                    break
                time.sleep(0.5)
        finally:
            for proc in procs:
                proc.terminate()
                proc.wait(10)
        assert states == Counter({"sent": POSTS}), f"{states}\n{_tail(tmp_path)}"
        live = [p for p in li_peer.posts(member.urn) if not p["deleted"]]
        assert not [p for p in live if p["cut"]]
        assert Counter(p["text"] for p in live) == Counter(dict.fromkeys(texts, 1))
        urls = {t["url"] for p in posts for t in p["targets"]}
        assert urls == {f"https://www.linkedin.com/feed/update/{p['urn']}/" for p in live}
        shell = hub.run("manage", "shell", "--no-imports", "-c", _COUNT_ORPHANS)
        orphans = int(shell.stdout.strip().splitlines()[-1])
        print(f"\nLinkedIn crash test [{engine}, {workers} worker(s)]: {KILLS} kills, "
              f"{orphans} deliveries caught mid-send and settled, {POSTS} sent exactly once")
        assert orphans >= 1, "no kill landed mid-send; the test proved nothing"
    finally:
        if db_name:
            _drop_postgres(db_name)
