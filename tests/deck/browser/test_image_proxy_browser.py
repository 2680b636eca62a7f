"""In a real browser, the deck shows remote pictures (avatars, media, link cards) through the
hub's image proxy: every <img> points at the hub, the pictures load, and the page itself never
asks the server they live on (it cannot even learn the reader's address)."""

from __future__ import annotations

from typing import Any

import pytest

from tests.browser.conftest import shot
from tests.browser.flows import connect_mastodon, create_owner
from tests.deck.seed import command
from tests.integration.hubproc import Hub
from tests.peers.mastodon import MastodonPeer
from tests.security.image_proxy_support import Upstream, picture
from tests.security.image_proxy_support import upstream as upstream

pytestmark = pytest.mark.browser

ALL_LOADED = """() => {
  const pictures = Array.from(document.querySelectorAll('.column img'));
  return pictures.length > 0 && pictures.every(p => p.complete && p.naturalWidth > 1);
}"""


def test_the_deck_loads_remote_pictures_through_the_proxy_only(
        page: Any, hub_server: tuple[Hub, str], mastodon_peer: MastodonPeer,
        upstream: Upstream) -> None:
    from playwright.sync_api import expect

    hub, url = hub_server
    avatar = upstream.serve("/avatar.png", picture("PNG", (48, 48)))
    media = upstream.serve("/media.jpg", picture("JPEG", (64, 40)))
    card = upstream.serve("/card.webp", picture("WEBP", (60, 30)))
    requests_seen: list[str] = []
    page.on("request", lambda r: requests_seen.append(r.url))

    me = mastodon_peer.new_account()
    create_owner(page, url)
    connect_mastodon(page, url, mastodon_peer, me)
    hub.run("manage", "shell", "-c", command("", "home", [{
        "remote_id": "pic1", "author_handle": "@ada@pictures.example", "author_name": "Ada",
        "text": "Pictures, proxied", "author_avatar": avatar,
        "media": [{"type": "image", "url": media, "preview_url": media,
                   "description": "a red square"}],
        "card": {"url": "https://pictures.example/story", "title": "A story", "image": card},
    }]))

    requests_seen.clear()  # signing in and connecting visited the Mastodon peer's pages
    page.goto(url + "/deck/")
    item = page.locator(".item", has_text="Pictures, proxied")
    expect(item).to_be_visible()
    page.wait_for_function(ALL_LOADED)
    sources = item.locator("img").evaluate_all("els => els.map(e => e.getAttribute('src'))")
    assert len(sources) == 3, sources
    assert all(src.startswith("/proxy/image/") for src in sources), sources
    shot(page, "deck-50-proxied-pictures")

    # The hub fetched each picture once, telling the server nothing of the reader...
    assert {s.path for s in upstream.seen} == {"/avatar.png", "/media.jpg", "/card.webp"}
    for seen in upstream.seen:
        assert "cookie" not in seen.headers
        assert "referer" not in seen.headers
    # ...and the deck's page asked the hub only.
    assert requests_seen
    assert not [r for r in requests_seen if r.startswith(upstream.base)], requests_seen
    assert all(r.startswith(url) for r in requests_seen), requests_seen
