"""Hostile timeline content, stored the way ingest stores it, shown in a real browser: no script
runs, nothing is fetched from elsewhere, nothing breaks the columns."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from tests.browser.conftest import shot
from tests.browser.flows import connect_mastodon, create_owner
from tests.deck.seed import ingest_command
from tests.integration.hubproc import Hub
from tests.peers.mastodon import MastodonPeer
from tests.timeline.test_sanitize import HOSTILE_HTML
from tests.waiting import until

pytestmark = pytest.mark.browser
EVIL_URLS = ["javascript:alert(1)", "data:text/html,<script>alert(1)</script>",
             "vbscript:msgbox(1)", "//evil.example/x.png", "file:///etc/passwd",
             " javascript:alert(1)", "https://evil.example/\u202e.png"]
HUGE_WORD = "W" * 5000
BIDI = "\u202eevil\u202c"


def _hostile_items() -> list[dict[str, Any]]:
    now = datetime.now(UTC)
    items: list[dict[str, Any]] = []
    for n, payload in enumerate(HOSTILE_HTML):
        items.append({
            "remote_id": f"h{n}", "kind": "post",
            "created_at": (now - timedelta(minutes=n)).isoformat(),
            "author_handle": f"@mallory{n}@evil.example", "author_name": f"<b>Mallory</b> {BIDI}",
            "html": payload, "text": payload, "url": EVIL_URLS[n % len(EVIL_URLS)],
            "author_avatar": EVIL_URLS[(n + 1) % len(EVIL_URLS)],
            "extra": {
                "content_warning": "<script>alert(1)</script>" if n % 7 == 0 else "",
                "media": [{"type": "image", "url": EVIL_URLS[n % len(EVIL_URLS)],
                           "preview_url": EVIL_URLS[(n + 2) % len(EVIL_URLS)],
                           "description": "\"><img src=x onerror=alert(1)>"}],
                "card": {"url": EVIL_URLS[n % len(EVIL_URLS)], "title": "<svg onload=alert(1)>",
                         "image": EVIL_URLS[(n + 3) % len(EVIL_URLS)]},
                "quote": {"author_handle": "@q", "text": "</blockquote><script>alert(1)</script>",
                          "url": EVIL_URLS[(n + 4) % len(EVIL_URLS)]},
                "author_url": EVIL_URLS[(n + 5) % len(EVIL_URLS)],
                "in_reply_to_handle": "<img src=x onerror=alert(1)>",
            },
        })
    items.append({"remote_id": "huge", "kind": "post", "created_at": now.isoformat(),
                  "author_handle": "@" + HUGE_WORD, "author_name": HUGE_WORD,
                  "html": f"<p>{HUGE_WORD}</p>" * 40, "text": HUGE_WORD})
    return items


def test_hostile_items_are_inert_in_the_browser(
        page: Any, hub_server: tuple[Hub, str], mastodon_peer: MastodonPeer) -> None:
    from playwright.sync_api import expect

    hub, url = hub_server
    dialogs: list[str] = []
    elsewhere: list[tuple[str, str, str | None]] = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    local = (url, "http://localhost", "http://127.0.0.1")
    page.on("request", lambda r: None if r.url.startswith(local) else elsewhere.append(
        (r.resource_type, r.url, r.headers.get("referer"))))
    me = mastodon_peer.new_account()
    create_owner(page, url)
    connect_mastodon(page, url, mastodon_peer, me)
    items = _hostile_items()
    assert len(items) > 30
    hub.run("manage", "shell", stdin=ingest_command("home", items))

    page.goto(url + "/deck/")
    home = page.locator(".column").first
    expect(home.locator(".item").first).to_be_visible()
    # The deck opens with a first screen of items; scrolling down brings the next page in.
    body = home.locator("[data-column-body]")

    def scrolled_in() -> bool:
        body.evaluate("el => el.scrollTop = el.scrollHeight")
        return home.locator(".item").count() >= 30

    until(scrolled_in, "30 hostile items in the column, the rest loaded by scrolling")
    # Open every warning and reveal every sensitive picture: still nothing runs.
    for summary in home.locator("details.cw > summary").all():
        summary.click()
    home.locator("[data-column-body]").evaluate("el => el.scrollTop = el.scrollHeight")
    page.wait_for_timeout(500)
    page.keyboard.press("j")
    shot(page, "deck-40-hostile")

    assert dialogs == []
    assert page.evaluate("typeof window.__pwned") == "undefined"
    # Nothing loads from other servers: pictures come through the hub's image proxy, so the
    # servers they live on never see the reader.
    assert elsewhere == [], elsewhere
    assert page.locator("#deck img:not([src^='/proxy/image/'])").count() == 0
    assert page.locator("#deck script, #deck iframe, #deck object, #deck embed, #deck style, "
                        "#deck form[action*='evil'], #deck [onerror], #deck [onload], "
                        "#deck [onclick], #deck a[href^='javascript'], #deck img[src^='data:']"
                        ).count() == 0
    # The layout holds: the column keeps its width, nothing spills past the screen.
    width = home.evaluate("el => el.getBoundingClientRect().width")
    assert 340 <= width <= 380
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    widest = home.evaluate(
        "el => Math.max(...Array.from(el.querySelectorAll('.item')).map(i => i.scrollWidth))")
    assert widest <= width
