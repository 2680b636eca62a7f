"""The deck's like button on a Facebook Page's post, in Chromium against a real `hubbub serve`
and the Facebook stand-in: a Page connected through the Login dialog posts from the composer,
the deck's default columns read the Page, and the like button likes the post as the Page
(pressed afterwards, "Liked." beside it; Facebook counts the Page's like once). Repost, which
Facebook's API does not offer, is refused in Facebook's words."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.browser.conftest import shot
from tests.browser.fixtures import _free_port, reload_until, serving_hub
from tests.browser.flows import create_owner
from tests.integration.facebook_support import fb_env, live_posts
from tests.integration.hubproc import Hub
from tests.peers.facebook.peer import FacebookPeer

pytestmark = pytest.mark.browser


@pytest.fixture
def fb_hub(tmp_path: Path, fb_peer: FacebookPeer) -> Iterator[tuple[Hub, str]]:
    port = _free_port()
    app = fb_peer.create_app(f"http://127.0.0.1:{port}/connections/callback/facebook/")
    env = {"HUBBUB_SCHEDULER_INTERVAL": "0.2", **fb_env(fb_peer, *app)}
    with serving_hub(tmp_path, env, port=port) as served:
        yield served


def test_the_like_button_likes_the_pages_post(
    page: Any, fb_hub: tuple[Hub, str], fb_peer: FacebookPeer,
) -> None:
    from playwright.sync_api import expect

    _hub, url = fb_hub
    create_owner(page, url)
    ann = fb_peer.create_user("Ann Baker")
    fb_peer.sign_in(ann)
    bakery = fb_peer.create_page("Ann's Bakery", [ann])
    page.goto(url + "/connections/connect/")
    page.click("a[href$='/connections/connect/facebook/']")
    page.get_by_role("button", name=re.compile("Continue|Connect|sign in", re.I)).first.click()
    page.get_by_role("button", name="Continue").click()
    expect(page.locator("main")).to_contain_text("Ann's Bakery")

    text = "Rye loaves at nine"
    page.goto(url + "/")
    box = page.locator("input[name=targets]").first
    if not box.is_checked():
        box.locator("xpath=..").click()
    expect(box).to_be_checked()
    page.fill("textarea[name=text]", text)
    page.click("button[name=action][value=now]")
    expect(page.locator("article.post").first.locator(".target .pill-ok")).to_have_count(
        1, timeout=30_000)
    [posted] = live_posts(fb_peer, bakery)

    page.goto(url + "/deck/")
    item = page.locator(".item", has_text=text).first
    reload_until(page, lambda: item.count() > 0)
    like = item.locator("button[data-act=like]")
    expect(like).to_have_attribute("aria-pressed", "false")
    like.click()
    expect(item.locator(".act-notice")).to_have_text("Liked.")
    expect(item.locator("button[data-act=like]")).to_have_attribute("aria-pressed", "true")
    # The heart is filled (the sprite's symbols take fill from the page's CSS).
    heart = item.locator("button[data-act=like] svg.icon")
    assert heart.evaluate("el => getComputedStyle(el).fill") != "none"
    assert item.locator("button[data-act=repost] svg.icon").evaluate(
        "el => getComputedStyle(el).fill") == "none"
    shot(page, "fblike-01-liked")
    visitor = fb_peer.create_user("Cy Visitor")
    assert fb_peer.like_as(visitor, str(posted["id"])) == 2  # the Page's like, once

    item.locator("button[data-act=repost]").click()
    expect(item.locator(".act-notice")).to_have_text(
        "Facebook's API does not let an app repost as a Page.")
    expect(item.locator("button[data-act=repost]")).to_have_attribute("aria-pressed", "false")
    shot(page, "fblike-02-repost-refused")
