"""A person connects a Facebook Page in a real browser, as they would: the hub's Connect page,
then Facebook's Login dialog (the stand-in's: "Signed in as", one checkbox per Page, Continue and
Cancel), back to the hub; then one post from the composer, ticked for Mastodon and the Page,
"Post now", and both targets are sent, each exactly once on its server. The hub is a real
`hubbub serve` pointed at the stand-in (HUBBUB_FACEBOOK_GRAPH_URL/DIALOG_URL and the operator's
app in HUBBUB_FACEBOOK_APP_ID/SECRET)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.browser.conftest import shot
from tests.browser.fixtures import _free_port, serving_hub
from tests.browser.flows import connect_mastodon, create_owner
from tests.integration.facebook_support import fb_env, live_posts
from tests.integration.hubproc import Hub
from tests.peers.facebook.peer import FacebookPeer
from tests.peers.mastodon import MastodonPeer

pytestmark = pytest.mark.browser


@pytest.fixture
def fb_hub(tmp_path: Path, fb_peer: FacebookPeer) -> Iterator[tuple[Hub, str]]:
    """`hubbub serve` on a free loopback port, with the operator's Meta app registered at the
    stand-in for this hub's callback."""
    port = _free_port()
    app = fb_peer.create_app(f"http://127.0.0.1:{port}/connections/callback/facebook/")
    env = {"HUBBUB_SCHEDULER_INTERVAL": "0.2", **fb_env(fb_peer, *app)}
    with serving_hub(tmp_path, env, port=port) as served:
        yield served


def test_a_facebook_page_and_mastodon_from_one_post(
    page: Any, fb_hub: tuple[Hub, str], fb_peer: FacebookPeer, mastodon_peer: MastodonPeer
) -> None:
    from playwright.sync_api import expect

    hub, url = fb_hub
    create_owner(page, url)
    masto = mastodon_peer.new_account()
    connect_mastodon(page, url, mastodon_peer, masto)

    ann = fb_peer.create_user("Ann Baker")
    fb_peer.sign_in(ann)
    bakery = fb_peer.create_page("Ann's Bakery", [ann])
    fb_peer.create_page("Ann's Book Club", [ann])

    # A change of mind first: Cancel in Facebook's dialog connects nothing and says so.
    page.goto(url + "/connections/connect/")
    page.click("a[href$='/connections/connect/facebook/']")
    shot(page, "fb-01-connect-facebook")
    page.get_by_role("button", name=re.compile("Continue|Connect|sign in", re.I)).first.click()
    expect(page.get_by_text("Signed in as Ann Baker")).to_be_visible()
    page.get_by_role("button", name="Cancel").click()
    expect(page).to_have_url(re.compile(r"/connections/"))
    assert "Ann's Bakery" not in page.locator("main").inner_text()

    page.goto(url + "/connections/connect/")
    page.click("a[href$='/connections/connect/facebook/']")
    page.get_by_role("button", name=re.compile("Continue|Connect|sign in", re.I)).first.click()
    expect(page.get_by_label("Ann's Bakery")).to_be_checked()
    expect(page.get_by_label("Ann's Book Club")).to_be_checked()
    page.get_by_label("Ann's Book Club").uncheck()
    shot(page, "fb-02-login-dialog")
    page.get_by_role("button", name="Continue").click()
    # Facebook ends its redirect with "#_=_"; the hub's own redirect names its fragment instead.
    expect(page).to_have_url(re.compile(r"/connections/#main$"))
    expect(page.locator("main")).to_contain_text("Ann's Bakery")
    assert "Ann's Book Club" not in page.locator("main").inner_text()
    shot(page, "fb-03-connected")

    page.goto(url + "/")
    for box in page.locator("input[name=targets]").all():
        if not box.is_checked():
            box.locator("xpath=..").click()
    expect(page.locator("input[name=targets]:checked")).to_have_count(2)
    text = "Fresh bread at nine, and a link https://example.com/bread"
    page.fill("textarea[name=text]", text)
    expect(page.locator("#counters .counter")).to_have_count(2)
    shot(page, "fb-04-compose")
    page.click("button[name=action][value=now]")
    sent = page.locator("article.post").first.locator(".target .pill-ok")
    expect(sent).to_have_count(2, timeout=30_000)
    shot(page, "fb-05-sent")

    assert [p["message"] for p in live_posts(fb_peer, bakery)] == [text]
    # Mastodon stores the link as HTML: compare the text it shows.
    shown = [re.sub(r"<[^>]+>", "", s["content"]) for s in mastodon_peer.statuses(masto)]
    assert shown.count(text) == 1, shown
    [fb] = [c for c in hub.json("connections", "--user", "ada") if c["network"] == "facebook"]
    assert fb["remote_id"] == bakery.id
