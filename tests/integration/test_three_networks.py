"""One post to Mastodon, Bluesky and Nostr at once, from the command line, sent by the worker
process, read back through each network's own reading API: the Mastodon API, the Bluesky
AppView as a follower's timeline sees it, and a Nostr REQ to the relay."""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.integration.hubproc import Hub
from tests.peers.bluesky import BlueskyPeer, wait_for
from tests.peers.mastodon import MastodonPeer
from tests.peers.nostr import NostrPeer

PASSWORD = "a-long-enough-password\n"


def _wait(check: Callable[[], bool], timeout: float = 40.0) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError("timed out")
        time.sleep(0.3)


def _targets(hub: Hub, post_id: int) -> dict[str, dict[str, Any]]:
    posts = {p["id"]: p for p in hub.json("posts", "--user", "ada")}
    return {t["network"]: t for t in posts[post_id]["targets"]}


@pytest.fixture
def three(tmp_path: Path, mastodon_faults: MastodonPeer, bluesky_peer: BlueskyPeer,
          nostr_peer: NostrPeer) -> dict[str, Any]:
    hub = Hub(tmp_path / "data", extra_env={
        "HUBBUB_SCHEDULER_INTERVAL": "0.2", "HUBBUB_RETRY_BASE_SECONDS": "0.5"})
    hub.run("createuser", "ada", "--password-stdin", stdin=PASSWORD)
    masto = mastodon_faults.new_account()
    m = hub.json("connect", "mastodon", "--user", "ada", "--instance",
                 mastodon_faults.base_url, f"--token={masto.access_token}")
    sky = bluesky_peer.create_account("poster")
    follower = bluesky_peer.create_account("reader")
    bluesky_peer.follow(follower, sky)
    b = hub.json("connect", "bluesky", "--user", "ada", "--service", bluesky_peer.pds_url,
                 "--handle", sky.handle, "--app-password", "-", stdin=sky.app_password + "\n")
    n = hub.json("connect", "nostr", "--user", "ada", "--relay", nostr_peer.url, "--generate")
    return {"hub": hub, "masto": masto, "sky": sky, "follower": follower,
            "ids": [str(m["id"]), str(b["id"]), str(n["id"])], "nostr": n,
            "mastodon_peer": mastodon_faults, "bluesky_peer": bluesky_peer,
            "nostr_peer": nostr_peer}


def _on_mastodon(t: dict[str, Any], text: str) -> int:
    return sum(text in s["content"] for s in t["mastodon_peer"].statuses(t["masto"]))


def _on_bluesky(t: dict[str, Any], text: str) -> int:
    feed = t["bluesky_peer"].timeline(t["follower"])
    return sum(entry["post"]["record"].get("text") == text for entry in feed)


def _on_nostr(t: dict[str, Any], text: str) -> int:
    events = t["nostr_peer"].query({"kinds": [1], "authors": [t["nostr"]["remote_id"]]})
    return sum(e["content"] == text for e in events)


def test_one_post_reaches_all_three_once(three: dict[str, Any]) -> None:
    hub: Hub = three["hub"]
    text = f"Hello, three networks at once #{uuid.uuid4().hex[:6]}"
    args = ["post", "--user", "ada"]
    for ref in three["ids"]:
        args += ["--to", ref]
    post = hub.json(*args, text)
    worker = hub.popen("worker")
    try:
        _wait(lambda: all(t["state"] == "sent" for t in _targets(hub, post["id"]).values()))
    finally:
        worker.terminate()
        worker.wait(15)
    targets = _targets(hub, post["id"])
    assert set(targets) == {"mastodon", "bluesky", "nostr"}
    assert all(t["url"] for t in targets.values())
    assert _on_mastodon(three, text) == 1
    assert wait_for(lambda: _on_bluesky(three, text), timeout=10) == 1
    assert _on_nostr(three, text) == 1


def test_a_fault_on_one_network_leaves_the_others_sent(three: dict[str, Any]) -> None:
    hub: Hub = three["hub"]
    peer: MastodonPeer = three["mastodon_peer"]
    peer.add_fault({"type": "status", "status": 422,
                    "body": {"error": "Validation failed: the server refused it"}},
                   methods=["POST"], path="/api/v1/statuses", count=1)
    text = "Two of three, then the third"
    args = ["post", "--user", "ada"]
    for ref in three["ids"]:
        args += ["--to", ref]
    post = hub.json(*args, text)
    worker = hub.popen("worker")
    try:
        _wait(lambda: {t["state"] for t in _targets(hub, post["id"]).values()}
              == {"sent", "failed"})
        targets = _targets(hub, post["id"])
        assert targets["mastodon"]["state"] == "failed"
        assert "refused it" in targets["mastodon"]["error"]
        assert targets["bluesky"]["state"] == targets["nostr"]["state"] == "sent"
        # Retry the failed one alone.
        hub.run("manage", "shell", "--no-imports", "-c",
                "from hubbub.publishing.models import Delivery\n"
                "from hubbub.publishing.services import retry_delivery\n"
                f"retry_delivery(Delivery.objects.get(pk={targets['mastodon']['delivery']}))\n")
        _wait(lambda: _targets(hub, post["id"])["mastodon"]["state"] == "sent")
    finally:
        worker.terminate()
        worker.wait(15)
    assert _on_mastodon(three, text) == 1
    assert wait_for(lambda: _on_bluesky(three, text), timeout=10) == 1
    assert _on_nostr(three, text) == 1
