"""Workers killed with SIGKILL at random moments: no post is lost and none is sent twice.

The worker runs in its own process (`hubbub worker`) and every post goes to seven servers at
once: the Mastodon mock, the reference Bluesky PDS, a Nostr relay, and the X, LinkedIn (as the
member), Facebook (a Page) and Threads stand-ins. The last four take no idempotency key: a post
in doubt there is settled only by reading the account's own posts back, and a resend LinkedIn
refuses as a duplicate counts as sent with the post it names. Each stand-in holds every publish
call a while, so many kills land mid-send. The database is SQLite in WAL mode (one worker, the
default profile) or PostgreSQL with two workers at once (the many-machines profile). Every post
is then counted on each server itself, and each delivery must link to its own remote post.

One run for all seven networks: a run per network cost CI minutes each for the same kill loop.
"""

from __future__ import annotations

import uuid
from collections import Counter
from pathlib import Path

import pytest

from tests.integration import crash_networks_support as networks
from tests.integration.crash_support import (
    CRASH_ENV,
    create_posts_script,
    database,
    kill_workers,
    orphans,
    settle,
    tail,
)
from tests.integration.hubproc import Hub
from tests.peers.bluesky import BlueskyPeer
from tests.peers.facebook.peer import FacebookPeer
from tests.peers.linkedin.peer import LinkedInPeer
from tests.peers.mastodon import MastodonPeer
from tests.peers.nostr import NostrPeer
from tests.peers.threads.peer import ThreadsPeer
from tests.peers.x.peer import XPeer

pytestmark = pytest.mark.slow

POSTS = 30
KILLS = 24
# How long the last workers may take to settle every delivery: a guard against a stall, far
# above what a run needs even on a busy machine.
SETTLE_GUARD_SECONDS = 600


@pytest.mark.parametrize(("engine", "workers"), [("sqlite", 1), ("postgres", 2)])
def test_killed_workers_lose_nothing_and_double_nothing(
    mastodon_peer: MastodonPeer, bluesky_peer: BlueskyPeer, nostr_peer: NostrPeer,
    x_peer: XPeer, li_peer: LinkedInPeer, fb_peer: FacebookPeer, threads_peer: ThreadsPeer,
    tmp_path: Path, engine: str, workers: int
) -> None:
    targets = [networks.mastodon(mastodon_peer), networks.bluesky(bluesky_peer),
               networks.nostr(nostr_peer), networks.x(x_peer), networks.linkedin(li_peer),
               networks.facebook(fb_peer), networks.threads(threads_peer)]
    env = {name: value for target in targets for name, value in target.env.items()}
    deliveries = len(targets) * POSTS
    with database(engine) as database_url:
        hub = Hub(tmp_path / "data", database_url=database_url,
                  extra_env={**CRASH_ENV, **env})
        hub.run("createuser", "crash", "--password-stdin", stdin="a-long-enough-password\n")
        for target in targets:
            target.connect(hub, "crash")
        run_id = uuid.uuid4().hex[:6]
        # Reserved characters (for LinkedIn's little format) and a hashtag: what each server
        # keeps must be the whole text.
        texts = [f"crash (test) {run_id} #post{n} [{n}]" for n in range(POSTS)]
        hub.run("manage", "shell", "--no-imports", "-c", create_posts_script(texts))
        for target in targets:
            target.slow_down()
        kill_workers(hub, tmp_path, workers=workers, kills=KILLS, seed=20261127)
        for target in targets:
            target.speed_up()

        states, listed = settle(hub, tmp_path, user="crash", workers=workers, posts=POSTS,
                                targets=deliveries, timeout=SETTLE_GUARD_SECONDS)
        assert states == Counter({"sent": deliveries}), f"{states}\n{tail(tmp_path)}"
        once = Counter(dict.fromkeys(texts, 1))
        for target in targets:
            held = target.posts()
            assert Counter(text for text, _ in held) == once, target.name
            # Every delivery links to its own post on that server.
            linked = [target.link_id(t["url"]) for p in listed for t in p["targets"]
                      if t["network"] == target.name]
            assert sorted(linked) == sorted(remote_id for _, remote_id in held), target.name

        # The test must have hit the hard case: a worker killed while a post was in flight.
        caught = orphans(hub)
        by_network = ", ".join(f"{t.name} {caught[t.name]}" for t in targets)
        print(f"\ncrash test [{engine}, {workers} worker(s)]: {KILLS} kills, "
              f"{caught.total()} deliveries caught mid-send and settled ({by_network}), "
              f"{deliveries} sent exactly once")
        assert caught.total() >= 1, "no kill landed mid-send; the test proved nothing"
