"""One click sends a 20 MB photo to a Mastodon, a Bluesky and a Nostr account, in Chromium against
a real `hubbub serve` and the three servers: each preview says what the photo goes as there (made
smaller for Mastodon's and Bluesky's limits; Nostr without a media server: the text alone), the
post is not refused, and what each server stored is read back: Mastodon's and Bluesky's pictures
within their limits, the Nostr note with the text and no picture."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import requests

from tests.browser.conftest import shot
from tests.browser.flows import owner_with_three_accounts
from tests.integration.hubproc import Hub
from tests.peers.bluesky import BlueskyPeer, wait_for
from tests.peers.mastodon import MastodonPeer
from tests.peers.nostr import NostrPeer
from tests.photos import big_photo, picture_facts

pytestmark = pytest.mark.browser

BLUESKY_MAX_BYTES = 2_000_000  # the PDS's image limit the hub reads (mapping.IMAGE_MAX_BYTES)


def _preview(page: Any, network: str) -> Any:
    return page.locator(f"#preview article.pv-{network}")


def test_one_click_sends_a_20_mb_photo_fitted_to_each_network(
    page: Any, hub_server: tuple[Hub, str], mastodon_peer: MastodonPeer,
    bluesky_peer: BlueskyPeer, nostr_peer: NostrPeer, tmp_path: Path,
) -> None:
    from playwright.sync_api import expect

    hub, url = hub_server
    masto, sky, follower = owner_with_three_accounts(page, url, mastodon_peer, bluesky_peer,
                                                     nostr_peer.url, "photo")

    photo = tmp_path / "harbour.jpg"
    photo.write_bytes(big_photo())
    assert photo.stat().st_size > 20_000_000
    page.goto(url + "/")
    for box in page.locator("input[name=targets]").all():
        if not box.is_checked():
            box.locator("xpath=..").click()
    text = "The harbour at dusk, from the hill #photo"
    page.fill("textarea[name=text]", text)
    page.locator("details.media-toggle summary").click()
    page.set_input_files("input[name=image_1]", str(photo))
    page.fill("textarea[name=alt_1]", "A harbour at dusk")

    # Each preview says what goes: the sizes are the fitter's own plan for that network.
    masto_note = _preview(page, "mastodon").locator("[data-fit-note]")
    expect(masto_note).to_contain_text(re.compile(r"Picture sent as \d+ x \d+ JPEG, at most "
                                                  r"10\.0 MB"), timeout=20_000)
    sky_note = _preview(page, "bluesky").locator("[data-fit-note]")
    expect(sky_note).to_contain_text(re.compile(r"Picture sent as \d+ x \d+ JPEG, at most "
                                                r"1\.9 MB"))
    nostr = _preview(page, "nostr")
    expect(nostr.locator("[data-media-note]")).to_contain_text("Sent without the picture")
    expect(nostr.locator("img")).to_have_count(0)
    expect(page.locator("#counters .counter-problem")).to_have_count(0)
    planned = {name: tuple(int(n) for n in re.findall(r"(\d+) x (\d+)", note.inner_text())[0])
               for name, note in (("mastodon", masto_note), ("bluesky", sky_note))}
    shot(page, "media-fit-01-previews")

    page.click("button[name=action][value=now]")  # the one click
    expect(page).to_have_url(re.compile(r"/posts/$"), timeout=60_000)
    expect(page.locator("article.post").first.locator(".target .pill-ok")).to_have_count(
        3, timeout=60_000)
    shot(page, "media-fit-02-sent")

    # Mastodon: the attachment the server stored, within the limits it states.
    [status] = [s for s in mastodon_peer.statuses(masto) if "harbour" in s["content"]]
    [attachment] = status["media_attachments"]
    assert attachment["description"] == "A harbour at dusk"
    instance = requests.get(f"{mastodon_peer.base_url}/api/v2/instance", timeout=10).json()
    limits = instance["configuration"]["media_attachments"]
    kind, width, height, size = picture_facts(
        requests.get(attachment["url"], timeout=30).content)
    assert kind == "JPEG"
    assert size <= limits["image_size_limit"]
    assert width * height <= limits["image_matrix_limit"]
    assert (width, height) == planned["mastodon"]  # the size the preview showed

    # Bluesky: the blob in the post's record, fetched back from the PDS.
    post = wait_for(lambda: next((e["post"] for e in bluesky_peer.timeline(follower)
                                  if e["post"]["record"]["text"] == text), None))
    [image] = post["record"]["embed"]["images"]
    assert image["alt"] == "A harbour at dusk"
    blob = bluesky_peer.xrpc_raw("GET", "com.atproto.sync.getBlob", params={
        "did": sky.did, "cid": image["image"]["ref"]["$link"]})
    assert blob.status_code == 200
    kind, width, height, size = picture_facts(blob.content)
    assert kind == "JPEG"
    assert size <= BLUESKY_MAX_BYTES
    assert max(width, height) <= 2000
    assert (width, height) == planned["bluesky"]
    assert (image["aspectRatio"]["width"], image["aspectRatio"]["height"]) == (width, height)

    # Nostr (no media server): the text alone, as its preview said.
    [account] = [c for c in hub.json("connections", "--user", "ada") if c["network"] == "nostr"]
    [note] = nostr_peer.query({"kinds": [1], "authors": [account["remote_id"]]})
    assert note["content"] == text
    assert not [t for t in note["tags"] if t and t[0] == "imeta"]
