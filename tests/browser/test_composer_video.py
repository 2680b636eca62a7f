"""A video in the composer, in a real browser against `hubbub serve`, the Mastodon mock and the
Bluesky reference network: a four-minute clip shows Bluesky's three-minute limit at once
(read from the file by the server when the draft saves it), leaving the video out for Bluesky
clears it, and the post goes to both: the video to Mastodon, the words alone to Bluesky.
Screenshots go to test-artifacts/."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from tests.browser.conftest import shot
from tests.browser.test_composer_flows import _both, _counter, _panel, _tick_all
from tests.integration.hubproc import Hub
from tests.peers.bluesky import BlueskyPeer
from tests.peers.mastodon import MastodonPeer
from tests.unit.test_video_probe import make_mp4

pytestmark = pytest.mark.browser


def test_a_too_long_video_is_flagged_for_bluesky_and_left_out_there(
    page: Any, hub_server: tuple[Hub, str], mastodon_peer: MastodonPeer,
    bluesky_peer: BlueskyPeer, tmp_path: Path,
) -> None:
    from playwright.sync_api import expect

    _hub, url = hub_server
    masto, sky = _both(page, url, mastodon_peer, bluesky_peer)
    page.goto(url + "/")
    _tick_all(page)
    page.fill("textarea[name=text]", "Four minutes of the harbour at dawn")
    clip = tmp_path / "harbour.mp4"
    clip.write_bytes(make_mp4(seconds=240, width=640, height=360, fps=25, mdat=bytes(4096)))
    page.locator("details.media-toggle summary").click()
    page.set_input_files("input[name=image_1]", str(clip))
    page.fill("textarea[name=alt_1]", "Boats leaving the harbour at dawn")
    expect(page.locator("input[name=keep_1]")).to_have_value(re.compile(r"^m\d+$"))

    bluesky = _counter(page, sky.handle)
    expect(bluesky.locator(".counter-problem")).to_have_count(1)  # the alt text is counted
    expect(bluesky.locator(".counter-problem")).to_have_text(
        "Attachment 1 (video) is 4 minutes long; the limit is 3 minutes")
    expect(_counter(page, masto.username).locator(".counter-problem")).to_have_count(0)
    shot(page, "40-compose-video-too-long-for-bluesky")

    panel = _panel(page, sky.handle)
    panel.locator("summary").click()
    panel.locator(".custom-image").filter(has_text="1").locator("input").uncheck()
    expect(bluesky.locator(".counter-problem")).to_have_count(0)
    shot(page, "41-compose-video-left-out-for-bluesky")

    page.click("button[name=action][value=now]")
    expect(page).to_have_url(re.compile(r"/posts/$"))
    card = page.locator("article.post").first
    expect(card.locator(".target .pill-ok")).to_have_count(2, timeout=30_000)
    [status] = mastodon_peer.statuses(masto)
    [attachment] = status["media_attachments"]
    assert attachment["type"] == "video"
    assert attachment["description"] == "Boats leaving the harbour at dawn"
    records = bluesky_peer.xrpc("GET", "com.atproto.repo.listRecords",
                                params={"repo": sky.did, "collection": "app.bsky.feed.post"})
    [record] = records["records"]
    assert record["value"]["text"] == "Four minutes of the harbour at dawn"
    assert "embed" not in record["value"]
    shot(page, "42-posts-video-sent")
