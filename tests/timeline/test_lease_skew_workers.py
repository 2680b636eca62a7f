"""Two `hubbub worker` processes on PostgreSQL whose clocks are ten minutes apart (one moved five
minutes back, the other five ahead, as tests/hubmain.py moves a hub's clock) read the same
Mastodon connections (the mock, through a relay that counts the streams per token): each
connection's stream is open once, the connections are shared, and neither takes the other's
live leases round after round (timeline/leases.py: the leases go by the database's clock).
Before, the worker ahead saw every lease of the other as expired and the one behind saw the
other's beat as dead: both streamed everything. The same without the skew, and a SIGKILLed
worker, is tests/integration/test_stream_leases_workers.py."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from bench.readingbench.relay import StreamingRelay

from tests.integration.crash_support import database, tail
from tests.integration.hubproc import Hub
from tests.integration.test_stream_leases_workers import SETUP, _holders, _homes_with, _query
from tests.peers.mastodon import MastodonPeer, SeededAccount
from tests.waiting import until

pytestmark = pytest.mark.slow

FOLLOWERS = 4
LEASE_SECONDS = 10  # renewed every 3.3 s; the skew is thirty periods
SKEW = 300.0


@pytest.fixture
def relay(mastodon_peer: MastodonPeer) -> Iterator[StreamingRelay]:
    relay = StreamingRelay(mastodon_peer.port)
    yield relay
    relay.close()


def test_two_workers_with_clocks_ten_minutes_apart_stream_each_connection_once(
        mastodon_peer: MastodonPeer, relay: StreamingRelay, tmp_path: Path) -> None:
    poster = mastodon_peer.new_account(f"poster{uuid.uuid4().hex[:6]}")
    followers: list[SeededAccount] = []
    for _ in range(FOLLOWERS):
        follower = mastodon_peer.new_account(f"reader{uuid.uuid4().hex[:6]}")
        mastodon_peer.follow(follower, poster)
        followers.append(follower)
    tokens = [f.access_token[-12:] for f in followers]
    env = {"HUBBUB_STREAM_LEASE_SECONDS": str(LEASE_SECONDS),
           "HUBBUB_STREAM_WATCH_SECONDS": "3600", "HUBBUB_POLL_WATCH_SECONDS": "3600"}
    with database("postgres") as url:
        hub = Hub(tmp_path / "data", database_url=url, extra_env=env)
        hub.run("manage", "migrate", "--no-input")
        hub.run("manage", "shell", "--no-imports", "-c", SETUP,
                stdin=json.dumps([relay.base_url, [f.access_token for f in followers]]))
        behind = Hub(hub.data_dir, database_url=url, extra_env=env, clock_offset=-SKEW)
        ahead = Hub(hub.data_dir, database_url=url, extra_env=env, clock_offset=SKEW)
        first = behind.popen("worker", "--no-migrate", log=tmp_path / "worker-behind.log")
        second = None
        try:
            until(lambda: all(relay.open_of(t) == 1 for t in tokens),
                  f"the first worker to stream every connection\n{tail(tmp_path)}")
            assert _holders(url) == {first.pid: FOLLOWERS}

            second = ahead.popen("worker", "--no-migrate", log=tmp_path / "worker-ahead.log")
            until(lambda: _holders(url) == {first.pid: FOLLOWERS // 2,
                                            second.pid: FOLLOWERS // 2}
                  and all(relay.open_of(t) == 1 for t in tokens),
                  f"the connections shared, each streamed once\n{tail(tmp_path)}")
            with relay.lock:
                relay.peak_by_token = relay.open_by_token.copy()
            # Three renewal rounds of both: nobody took from the other, no stream opened twice.
            for _ in range(3):
                renewed = dict(_query(url, "SELECT connection_id, expires_at "
                                           "FROM timeline_streamlease"))
                until(lambda since=renewed: all(  # type: ignore[misc]
                    at > since[cid] for cid, at in _query(
                        url, "SELECT connection_id, expires_at FROM timeline_streamlease")),
                    "every lease renewed")
            assert _holders(url) == {first.pid: FOLLOWERS // 2, second.pid: FOLLOWERS // 2}
            assert all(relay.peak_by_token[t] == 1 for t in tokens), relay.peak_by_token
            assert all(relay.open_of(t) == 1 for t in tokens)
            # The times in the rows are the database's, whichever worker wrote them.
            ((early, late),) = _query(
                url, "SELECT min(expires_at - now()), max(expires_at - now()) "
                     "FROM timeline_streamlease WHERE owner <> ''")
            assert 0 < early.total_seconds() <= late.total_seconds() <= LEASE_SECONDS

            text = f"skewed workers {uuid.uuid4().hex[:8]}"
            mastodon_peer.post_as(poster, text)
            until(lambda: _homes_with(url, text) == FOLLOWERS,
                  f"the status in every follower's home feed\n{tail(tmp_path)}")
        finally:
            for proc in (first, second):
                if proc is not None and proc.poll() is None:
                    proc.terminate()
                    proc.wait(20)
        logs = {path.name: path.read_text(errors="replace") for path in tmp_path.glob("*.log")}
        assert all("off the database's" in text for text in logs.values()), tail(tmp_path)
