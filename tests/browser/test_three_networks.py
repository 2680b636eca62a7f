"""The composer sends one post to a Mastodon, a Bluesky and a Nostr account at once, each
connected through the hub's own pages, in a real browser."""

from __future__ import annotations

from typing import Any

import pytest

from tests.browser.conftest import shot
from tests.browser.flows import connect_bluesky, connect_mastodon, connect_nostr, create_owner
from tests.integration.hubproc import Hub
from tests.peers.bluesky import BlueskyPeer, wait_for
from tests.peers.mastodon import MastodonPeer
from tests.peers.nostr import NostrPeer

pytestmark = pytest.mark.browser


def test_compose_once_to_three_networks(
    page: Any, hub_server: tuple[Hub, str], mastodon_peer: MastodonPeer,
    bluesky_peer: BlueskyPeer, nostr_peer: NostrPeer,
) -> None:
    from playwright.sync_api import expect

    hub, url = hub_server
    create_owner(page, url)
    masto = mastodon_peer.new_account()
    connect_mastodon(page, url, mastodon_peer, masto)

    sky = bluesky_peer.create_account("web")
    follower = bluesky_peer.create_account("fan")
    bluesky_peer.follow(follower, sky)
    connect_bluesky(page, url, bluesky_peer.pds_url, sky.handle, sky.app_password,
                    wrong_password="wrong-password-1234", refused_shot="20-bluesky-refused")
    connect_nostr(page, url, nostr_peer.url, before_submit="21-nostr-form")
    shot(page, "22-three-connections")

    page.goto(url + "/")
    for box in page.locator("input[name=targets]").all():
        if not box.is_checked():
            box.locator("xpath=..").click()
    text = "One post, three networks \N{GLOBE WITH MERIDIANS} #hubbub"
    page.fill("textarea[name=text]", text)
    counters = page.locator("#counters")
    # 34 graphemes: Bluesky counts them against 300, Mastodon against the instance's 500.
    expect(counters.locator(".counter").nth(0)).to_contain_text("34 / 300")
    expect(counters.locator(".counter").nth(1)).to_contain_text("34 / 500")
    shot(page, "23-compose-three")
    page.click("button[name=action][value=now]")
    expect(page.locator("article.post").first.locator(".target .pill-ok")).to_have_count(
        3, timeout=30_000)
    shot(page, "24-posts-three-sent")

    assert sum(text in s["content"] for s in mastodon_peer.statuses(masto)) == 1
    assert wait_for(lambda: sum(e["post"]["record"]["text"] == text
                                for e in bluesky_peer.timeline(follower))) == 1
    [nostr] = [c for c in hub.json("connections", "--user", "ada") if c["network"] == "nostr"]
    events = nostr_peer.query({"kinds": [1], "authors": [nostr["remote_id"]]})
    assert [e["content"] for e in events] == [text]
