"""Two `hubbub worker` processes on PostgreSQL read the same Mastodon connections (the mock, a
real server; its streams pass through a relay that counts them per token): each connection's
stream is open once, from one worker or the other; the connections are shared; a worker
SIGKILLed gives its streams back to the other; items posted on the network reach the followers'
home feeds (the deck's) before and after (timeline/leases.py, issue 13)."""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest
from bench.readingbench.relay import StreamingRelay

from tests.integration.crash_support import database, tail
from tests.integration.hubproc import Hub
from tests.peers.mastodon import MastodonPeer, SeededAccount
from tests.waiting import until

pytestmark = pytest.mark.slow

FOLLOWERS = 4
LEASE_SECONDS = 10  # renewed every 3.3 s; a stall under load must not pass for a death

SETUP = """\
import json, sys
from django.contrib.auth.models import User
from django.utils import timezone
from hubbub.connections.services import save_connection
from hubbub.networks.registry import get_connector
from hubbub.timeline.models import Feed
from hubbub.timeline.services import ensure_default_deck
connector = get_connector("mastodon")
base, tokens = json.loads(sys.stdin.read())
u, _ = User.objects.get_or_create(username="reader")
for token in tokens:
    save_connection(u, "mastodon", connector.connect_with_token(base, {"access_token": token}))
ensure_default_deck(u)
Feed.objects.filter(connection__user=u).update(watched_at=timezone.now())  # the deck is open
"""


@pytest.fixture
def relay(mastodon_peer: MastodonPeer) -> Iterator[StreamingRelay]:
    relay = StreamingRelay(mastodon_peer.port)
    yield relay
    relay.close()


def _query(url: str, sql: str, *args: Any) -> list[tuple[Any, ...]]:
    with psycopg.connect(url, autocommit=True) as conn:
        return list(conn.execute(sql, args).fetchall())


def _holders(url: str) -> dict[int, int]:
    """Worker pid -> connections whose live lease it holds."""
    rows = _query(url, "SELECT owner, count(*) FROM timeline_streamlease "
                       "WHERE owner <> '' AND expires_at > now() GROUP BY owner")
    return {int(owner.split(":")[1]): n for owner, n in rows}


def _homes_with(url: str, text: str) -> int:
    """Followers' home feeds holding the status with this text."""
    rows = _query(url, "SELECT count(DISTINCT f.id) FROM timeline_feedentry e "
                       "JOIN timeline_feed f ON f.id = e.feed_id "
                       "JOIN timeline_item i ON i.id = e.item_id "
                       "WHERE f.key = 'home' AND i.text LIKE %s", f"%{text}%")
    return int(rows[0][0])


def test_two_workers_stream_each_connection_once_and_a_killed_ones_streams_come_back(
        mastodon_peer: MastodonPeer, relay: StreamingRelay, tmp_path: Path) -> None:
    poster = mastodon_peer.new_account(f"poster{uuid.uuid4().hex[:6]}")
    followers: list[SeededAccount] = []
    for _ in range(FOLLOWERS):
        follower = mastodon_peer.new_account(f"reader{uuid.uuid4().hex[:6]}")
        mastodon_peer.follow(follower, poster)
        followers.append(follower)
    tokens = [f.access_token[-12:] for f in followers]
    with database("postgres") as url:
        hub = Hub(tmp_path / "data", database_url=url, extra_env={
            "HUBBUB_STREAM_LEASE_SECONDS": str(LEASE_SECONDS),
            "HUBBUB_STREAM_WATCH_SECONDS": "3600",
            "HUBBUB_POLL_WATCH_SECONDS": "3600",
            "HUBBUB_LOG_LEVEL": "INFO",
        })
        hub.run("manage", "migrate", "--no-input")
        hub.run("manage", "shell", "--no-imports", "-c", SETUP,
                stdin=json.dumps([relay.base_url, [f.access_token for f in followers]]))
        first = hub.popen("worker", "--no-migrate", log=tmp_path / "worker-1.log")
        second = None
        try:
            until(lambda: all(relay.open_of(t) == 1 for t in tokens),
                  f"the first worker to stream every connection\n{tail(tmp_path)}")
            assert _holders(url) == {first.pid: FOLLOWERS}

            second = hub.popen("worker", "--no-migrate", log=tmp_path / "worker-2.log")
            until(lambda: _holders(url) == {first.pid: FOLLOWERS // 2,
                                            second.pid: FOLLOWERS // 2}
                  and all(relay.open_of(t) == 1 for t in tokens),
                  f"the connections shared, each streamed once\n{tail(tmp_path)}")
            with relay.lock:
                relay.peak_by_token = relay.open_by_token.copy()
            text = f"two workers {uuid.uuid4().hex[:8]}"
            mastodon_peer.post_as(poster, text)
            until(lambda: _homes_with(url, text) == FOLLOWERS,
                  f"the status in every follower's home feed\n{tail(tmp_path)}")
            # Two renewal rounds of both: nobody took from the other, no stream opened twice.
            renewed = dict(_query(url, "SELECT connection_id, expires_at "
                                       "FROM timeline_streamlease"))
            until(lambda: all(at > renewed[cid] for cid, at in _query(
                url, "SELECT connection_id, expires_at FROM timeline_streamlease")),
                "every lease renewed")
            assert all(relay.peak_by_token[t] == 1 for t in tokens), relay.peak_by_token
            assert all(relay.open_of(t) == 1 for t in tokens)

            killed = time.monotonic()
            first.kill()  # SIGKILL: no lease given back
            first.wait()
            until(lambda: _holders(url) == {second.pid: FOLLOWERS}
                  and all(relay.open_of(t) == 1 for t in tokens),
                  f"the killed worker's streams back on the other\n{tail(tmp_path)}")
            print(f"\nstreams back on the other worker {time.monotonic() - killed:.1f} s "
                  f"after the SIGKILL (lease {LEASE_SECONDS} s)")
            text = f"one worker left {uuid.uuid4().hex[:8]}"
            mastodon_peer.post_as(poster, text)
            until(lambda: _homes_with(url, text) == FOLLOWERS,
                  f"the status in every follower's home feed\n{tail(tmp_path)}")
        finally:
            for proc in (first, second):
                if proc is not None and proc.poll() is None:
                    proc.terminate()
                    proc.wait(20)
