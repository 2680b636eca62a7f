"""The `hubbub` command line, run as a separate process the way scripts run it."""

from __future__ import annotations

import json
import stat
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from tests.integration.hubproc import Hub
from tests.peers.mastodon import MastodonPeer

PASSWORD = "a-long-enough-password\n"


@pytest.fixture
def hub(tmp_path: Path) -> Hub:
    return Hub(tmp_path / "data", extra_env={"HUBBUB_SCHEDULER_INTERVAL": "0.2"})


def _error(hub: Hub, *args: str, stdin: str | None = None) -> str:
    result = hub.run(*args, stdin=stdin, check=False)
    assert result.returncode == 2, result
    assert "Traceback" not in result.stderr
    return result.stderr + result.stdout


def test_createuser_and_secrets_kept_owner_only(hub: Hub) -> None:
    out = hub.json("createuser", "ada", "--password-stdin", stdin=PASSWORD)
    assert out["username"] == "ada"
    secrets_file = hub.data_dir / "secrets.json"
    assert stat.S_IMODE(secrets_file.stat().st_mode) == 0o600
    assert stat.S_IMODE(hub.data_dir.stat().st_mode) == 0o700
    first = secrets_file.read_text()
    hub.run("connections", "--user", "ada")
    assert secrets_file.read_text() == first  # a second start reuses them
    assert "already exists" in _error(hub, "createuser", "ada", "--password-stdin",
                                      stdin=PASSWORD)
    assert "too short" in _error(hub, "createuser", "bob", "--password-stdin", stdin="short\n")
    assert "No user named" in _error(hub, "connections", "--user", "nobody")


def test_connect_post_and_worker(hub: Hub, mastodon_peer: MastodonPeer) -> None:
    account = mastodon_peer.new_account()
    hub.run("createuser", "ada", "--password-stdin", stdin=PASSWORD)
    assert "Could not connect" in _error(hub, "connect", "mastodon", "--user", "ada",
                                         "--instance", mastodon_peer.base_url,
                                         "--token", "not-a-token")
    assert "Could not connect" in _error(hub, "connect", "mastodon", "--user", "ada",
                                         "--instance", "http://127.0.0.1:9", "--token", "x")
    connected = hub.json("connect", "mastodon", "--user", "ada", "--instance",
                         mastodon_peer.base_url, f"--token={account.access_token}")
    assert connected["handle"].startswith(f"@{account.username}@")
    listed = hub.json("connections", "--user", "ada")
    assert [c["id"] for c in listed] == [connected["id"]]
    assert listed[0]["health"] == "ok"

    assert "over the limit" in _error(hub, "post", "--user", "ada", "--to",
                                      connected["handle"], "x" * 600)
    assert "No connection" in _error(hub, "post", "--user", "ada", "--to", "@nobody", "hi")
    assert "ISO-8601" in _error(hub, "post", "--user", "ada", "--to", str(connected["id"]),
                                "--at", "next tuesday", "hi")

    now_post = hub.json("post", "--user", "ada", "--to", connected["handle"], "from the CLI")
    assert now_post["targets"][0]["state"] == "scheduled"
    later = (datetime.now(UTC) + timedelta(days=2)).replace(microsecond=0).isoformat()
    scheduled = hub.json("post", "--user", "ada", "--to", str(connected["id"]), "--at", later,
                         "for later")
    assert datetime.fromisoformat(scheduled["scheduled_for"]) == datetime.fromisoformat(later)

    worker = hub.popen("worker")
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            posts = {p["id"]: p for p in hub.json("posts", "--user", "ada")}
            if posts[now_post["id"]]["targets"][0]["state"] == "sent":
                break
            time.sleep(0.3)
    finally:
        worker.terminate()
        assert worker.wait(15) == 0  # SIGTERM stops it cleanly
    sent = posts[now_post["id"]]["targets"][0]
    assert sent["state"] == "sent"
    assert sent["url"] == mastodon_peer.statuses(account)[0]["url"]
    assert posts[scheduled["id"]]["targets"][0]["state"] == "scheduled"
    assert len(mastodon_peer.statuses(account)) == 1

    text = hub.run("posts", "--user", "ada").stdout
    assert "from the CLI" in text
    assert "sent" in text


def test_rotate_keys_keeps_tokens_readable(hub: Hub, mastodon_peer: MastodonPeer) -> None:
    account = mastodon_peer.new_account()
    hub.run("createuser", "ada", "--password-stdin", stdin=PASSWORD)
    hub.run("connect", "mastodon", "--user", "ada", "--instance", mastodon_peer.base_url,
            f"--token={account.access_token}")
    result = hub.json("rotate-keys")
    assert result["reencrypted"] == 1
    keys = json.loads((hub.data_dir / "secrets.json").read_text())["fernet_keys"]
    assert len(keys) == 2
    # Tokens still decrypt (the post validates against the instance's limits with them).
    posted = hub.json("post", "--user", "ada", "--to", f"@{account.username}", "after rotation")
    assert posted["targets"][0]["state"] == "scheduled"


def test_a_generated_nostr_key_is_shown_once_and_can_be_imported(hub: Hub,
                                                                 nostr_peer: Any) -> None:
    import re

    hub.run("createuser", "ada", "--password-stdin", stdin=PASSWORD)
    made = hub.json("connect", "nostr", "--user", "ada", "--relay", nostr_peer.url,
                    "--generate")
    nsec = re.search(r"nsec1[0-9a-z]+", made["notice"])
    assert nsec is not None
    assert "one of the arguments --nsec --nsec-stdin --generate is required" in _error(
        hub, "connect", "nostr", "--user", "ada", "--relay", nostr_peer.url)
    again = hub.json("connect", "nostr", "--user", "ada", "--relay", nostr_peer.url,
                     "--nsec-stdin", stdin=nsec.group(0) + "\n")
    assert again["id"] == made["id"]  # the same account, updated in place
    assert "notice" not in again
    assert "cannot be used" in _error(hub, "connect", "nostr", "--user", "ada", "--relay",
                                      nostr_peer.url, "--nsec-stdin", stdin="nsec1garbage\n")
