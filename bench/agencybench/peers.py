"""The Mastodon mock as bench/agency.py runs it: the test peer's server with its per-token rate
limit switched on (a fixed window: `limit` requests a token, then 429 until the window ends,
with X-RateLimit-Remaining / -Reset on every answer), and what it stored, read from its own
database after the run (the servers' side of "no duplicate, no loss")."""

from __future__ import annotations

import secrets
import sqlite3
from collections import Counter
from contextlib import closing

from tests.peers.install import ensure_mastodon_mock
from tests.peers.mastodon import CONFIG_TOML, MastodonPeer, SeededAccount
from tests.peers.process import PeerProcess


def start_limited_mastodon(limit: int, window_seconds: int) -> MastodonPeer:
    """A mastodon-mock whose rate limit is on: `limit` calls a token per `window_seconds`."""
    executable = ensure_mastodon_mock()

    def write_config(process: PeerProcess) -> None:
        (process.workdir / "media").mkdir(exist_ok=True)
        (process.workdir / "config.toml").write_text(
            CONFIG_TOML.format(port=process.port, workdir=process.workdir)
            + f"\n[ratelimit]\nenabled = true\nlimit = {limit}\n"
              f"window_seconds = {window_seconds}\n")

    process = PeerProcess(
        "mastodon-mock",
        [str(executable), "serve", "--config", "{workdir}/config.toml",
         "--host", "127.0.0.1", "--port", "{port}", "--log-level", "warning"],
        ready_path="/health", before_start=write_config,
    )
    process.start()
    return MastodonPeer(process)


def new_account(peer: MastodonPeer) -> SeededAccount:
    """A fresh account (as MastodonPeer.new_account), the call under a token of its own: the
    mock limits calls without one by address, and the bench makes thousands."""
    name = f"u{secrets.token_hex(5)}"
    response = peer.http.post(peer.base_url + "/api/v1/_mock/dev_user", json={"username": name},
                              headers={"Authorization": f"Bearer setup-{name}"}, timeout=30)
    response.raise_for_status()
    body = response.json()
    return SeededAccount(body["username"], str(body["id"]), body["access_token"])


def stored_texts(peer: MastodonPeer, like: str) -> Counter[tuple[int, str]]:
    """(account id, text) of every status the mock holds whose text contains `like`, counted:
    a count above 1 is a duplicate on the server."""
    path = peer.process.workdir / "mastodon-mock.sqlite3"
    with closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=60)) as conn:
        rows = conn.execute("SELECT account_id, text FROM statuses WHERE text LIKE ?",
                            (f"%{like}%",)).fetchall()
    return Counter((int(a), str(t)) for a, t in rows)
