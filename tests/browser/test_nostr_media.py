"""A Nostr account gets a media server and posts a picture, in Chromium against a real `hubbub
serve`, the Nostr relay and the Blossom stand-in: the Connections page says why Nostr takes no
pictures yet, the account's media server page refuses a bad address beside the field and saves
a good one, and a post with a described picture reaches the relay as a note with the picture's
address and a NIP-92 imeta tag, the picture stored on the media server. Every state is
screenshotted and passes the accessibility audit (shot)."""

from __future__ import annotations

import hashlib
import re
from pathlib import Path
from typing import Any

import pytest
from PIL import Image

from tests.browser.conftest import shot
from tests.browser.flows import connect_nostr, create_owner
from tests.integration.hubproc import Hub
from tests.peers.blossom import BlossomPeer
from tests.peers.nostr import NostrPeer
from tests.waiting import until

pytestmark = pytest.mark.browser


def test_a_nostr_account_gets_a_media_server_and_posts_a_picture(
    page: Any, hub_server: tuple[Hub, str], nostr_peer: NostrPeer, blossom_peer: BlossomPeer,
    tmp_path: Path,
) -> None:
    from playwright.sync_api import expect

    _hub, url = hub_server
    create_owner(page, url)
    connect_nostr(page, url, nostr_peer.url, before_submit="nostr-media-00-connect-form")
    main = page.locator("main")
    expect(main).to_contain_text("add a Blossom server to this account")
    shot(page, "nostr-media-01-no-server")

    page.get_by_role("link", name=re.compile(r"^Media server for npub1")).click()
    expect(page.get_by_role("heading", name=re.compile("^Media server for"))).to_be_visible()
    expect(main).to_contain_text("no media server, so notes from the hub carry no pictures")
    shot(page, "nostr-media-02-page")

    field = page.get_by_label("Media server address")
    field.fill("https://media.example/upload")
    page.get_by_role("button", name="Save the media server").click()
    expect(page.locator(".field.has-error")).to_contain_text(
        "a Blossom server is addressed by its root")
    expect(field).to_have_value("https://media.example/upload")
    shot(page, "nostr-media-03-refused")

    field.fill(blossom_peer.url)
    page.get_by_role("button", name="Save the media server").click()
    expect(page).to_have_url(re.compile(r"/connections/(#main)?$"))
    expect(main).to_contain_text(f"pictures now go to {blossom_peer.url}")
    expect(main).to_contain_text(
        f"Pictures are stored on the media server {blossom_peer.url} (Blossom).")
    shot(page, "nostr-media-04-saved")

    # Compose: a described picture to the Nostr account.
    page.goto(url + "/")
    for box in page.locator("input[name=targets]").all():
        if not box.is_checked():
            box.locator("xpath=..").click()
    page.fill("textarea[name=text]", "A picture from the hub #blossom")
    picture = tmp_path / "teal.png"
    Image.new("RGB", (320, 200), (20, 150, 140)).save(picture)
    page.locator("details.media-toggle summary").click()
    page.set_input_files("input[name=image_1]", str(picture))
    page.fill("textarea[name=alt_1]", "A teal rectangle")
    expect(page.locator("#preview img[alt='A teal rectangle']")).to_have_count(1)
    shot(page, "nostr-media-05-compose")
    page.click("button[name=action][value=now]")
    expect(page).to_have_url(re.compile(r"/posts/$"))
    expect(page.locator("article.post").first.locator(".target .pill-ok")).to_have_count(
        1, timeout=30_000)
    shot(page, "nostr-media-06-sent")

    def notes() -> list[dict[str, Any]]:
        return nostr_peer.query({"kinds": [1], "#t": ["blossom"]})

    until(lambda: bool(notes()), "the note on the relay")
    [note] = notes()
    [imeta] = [dict(p.split(" ", 1) for p in t[1:]) for t in note["tags"] if t[0] == "imeta"]
    assert imeta["alt"] == "A teal rectangle"
    assert note["content"] == f"A picture from the hub #blossom\n\n{imeta['url']}"
    status, _headers, body = blossom_peer.get(imeta["url"].removeprefix(blossom_peer.url))
    assert status == 200
    assert hashlib.sha256(body).hexdigest() == imeta["x"]
    assert imeta["dim"] == "320x200"
