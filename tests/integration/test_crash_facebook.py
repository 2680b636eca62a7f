"""Workers killed with SIGKILL at random moments while they publish to a Facebook Page: no post
is lost and none is sent twice.

Facebook takes no idempotency key, so this is the hard case for exactly once: a worker killed
after the stand-in stored the post but before the hub recorded it leaves a delivery the sweeper
marks "unknown", and only reading the Page's own posts back (find_published) may settle it; a
resend must never happen while the post is there. The hub runs as separate processes pointed
at the Facebook stand-in (HUBBUB_FACEBOOK_GRAPH_URL/DIALOG_URL, the operator's app in
HUBBUB_FACEBOOK_APP_ID/SECRET), on SQLite with one worker and on PostgreSQL with two at once.
Every post is then counted on the Page as the stand-in keeps it.
"""

from __future__ import annotations

import uuid
from collections import Counter
from pathlib import Path

import pytest

from tests.integration.crash_support import (
    CRASH_ENV,
    create_posts_script,
    database,
    kill_workers,
    orphans,
    settle,
    tail,
)
from tests.integration.facebook_support import CALLBACK, fb_env, live_posts
from tests.integration.hubproc import Hub
from tests.peers.facebook.peer import FacebookPeer

pytestmark = pytest.mark.slow

POSTS = 30
KILLS = 24


@pytest.mark.parametrize(("engine", "workers"), [("sqlite", 1), ("postgres", 2)])
def test_killed_workers_post_each_to_the_page_exactly_once(
    fb_peer: FacebookPeer, tmp_path: Path, engine: str, workers: int
) -> None:
    app = fb_peer.create_app(CALLBACK)
    person = fb_peer.create_user("Crash Tester")
    page = fb_peer.create_page(f"Crash Page {uuid.uuid4().hex[:6]}", [person])
    page_token = fb_peer.page_token_for(fb_peer.user_token_for(person, app), page)
    with database(engine) as database_url:
        hub = Hub(tmp_path / "data", database_url=database_url,
                  extra_env={**CRASH_ENV, **fb_env(fb_peer, *app)})
        hub.run("createuser", "crash", "--password-stdin", stdin="a-long-enough-password\n")
        connected = hub.json("connect", "facebook", "--user", "crash",
                             f"--token={page_token}", "--page-id", page.id)
        assert connected["remote_id"] == page.id
        texts = [f"crash test {uuid.uuid4().hex[:6]} post {n}" for n in range(POSTS)]
        hub.run("manage", "shell", "--no-imports", "-c", create_posts_script(texts))
        # Each post takes a while on the stand-in, so many kills land mid-call.
        fb_peer.fail_next("POST", "/{page-id}/feed", "delay", count=10 * POSTS, seconds=0.25)
        kill_workers(hub, tmp_path, workers=workers, kills=KILLS, seed=20261207)
        fb_peer.clear_faults()

        states, listed = settle(hub, tmp_path, user="crash", workers=workers, posts=POSTS,
                                targets=POSTS)
        assert states == Counter({"sent": POSTS}), f"{states}\n{tail(tmp_path)}"
        on_page = Counter(str(p.get("message")) for p in live_posts(fb_peer, page))
        assert on_page == Counter(dict.fromkeys(texts, 1))
        # Every delivery links to its own post on the Page ({page-id}_{n} is at .../posts/{n}).
        own_ids = {str(p["id"]).split("_", 1)[-1] for p in live_posts(fb_peer, page)}
        linked = [t["url"].rstrip("/").rsplit("/", 1)[-1] for p in listed for t in p["targets"]]
        assert sorted(linked) == sorted(own_ids)
        # The test must have hit the hard case: a worker killed while a post was in flight.
        caught = orphans(hub)
        print(f"\nFacebook crash test [{engine}, {workers} worker(s)]: {KILLS} kills, {caught} "
              f"deliveries caught mid-send and settled, {POSTS} posted exactly once")
        assert caught >= 1, "no kill landed mid-send; the test proved nothing"
