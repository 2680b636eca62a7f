"""The composer in a real browser against a real `hubbub serve`, the Mastodon mock and the
Bluesky reference network: each account's own text arriving on its network, the live preview,
a too-long Mastodon post split into a thread there, drafts that save themselves, duplicating,
and deleting from every network. Screenshots in light and dark go to test-artifacts/."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from PIL import Image

from tests.browser.conftest import reload_until, shot
from tests.browser.flows import connect_mastodon, create_owner
from tests.integration.hubproc import Hub
from tests.peers.bluesky import BlueskyAccount, BlueskyPeer, wait_for
from tests.peers.mastodon import MastodonPeer

pytestmark = pytest.mark.browser

SENTENCES = [
    "Hubbub keeps one box for every network, and this post is long on purpose.",
    "It goes on for a while, so that one network has to take it as a thread.",
    "Each sentence is a natural place to cut, and the splitter should find them.",
    "Links like https://example.org/composer stay whole, as do #hashtags and @mentions.",
    "The other network has more room, or the same room, and gets its own version.",
    "Numbering the parts helps readers who arrive in the middle of the thread.",
]


def _connect_bluesky(page: Any, url: str, peer: BlueskyPeer, account: BlueskyAccount) -> None:
    from playwright.sync_api import expect

    page.goto(url + "/connections/connect/")
    page.click("a[href$='/connections/connect/bluesky/']")
    page.fill("input[name=handle]", account.handle)
    page.fill("input[name=app_password]", account.app_password)
    page.fill("input[name=base_url]", peer.pds_url)
    page.get_by_role("button", name="Connect").click()
    expect(page).to_have_url(re.compile(r"/connections/(#main)?$"))


def _both(page: Any, url: str, mastodon_peer: MastodonPeer, bluesky_peer: BlueskyPeer
          ) -> tuple[Any, BlueskyAccount]:
    create_owner(page, url)
    masto = mastodon_peer.new_account()
    connect_mastodon(page, url, mastodon_peer, masto)
    sky = bluesky_peer.create_account("sky")
    _connect_bluesky(page, url, bluesky_peer, sky)
    return masto, sky


def _bluesky_texts(peer: BlueskyPeer, account: BlueskyAccount) -> list[str]:
    page = peer.xrpc("GET", "com.atproto.repo.listRecords",
                     params={"repo": account.did, "collection": "app.bsky.feed.post"})
    return [r["value"]["text"] for r in page["records"]]


def _tick_all(page: Any) -> None:
    for box in page.locator("input[name=targets]").all():
        if not box.is_checked():
            box.locator("xpath=..").click()


def _panel(page: Any, handle: str) -> Any:
    return page.locator("details.custom").filter(
        has=page.locator(".custom-handle").filter(has_text=handle))


def _counter(page: Any, handle: str) -> Any:
    return page.locator(".counter").filter(
        has=page.locator(".counter-handle").filter(has_text=handle))


def _both_themes(page: Any, name: str) -> None:
    shot(page, f"{name}-light")
    page.emulate_media(color_scheme="dark")
    shot(page, f"{name}-dark")
    page.emulate_media(color_scheme="light")


def test_customize_preview_and_delete_everywhere(
    page: Any, hub_server: tuple[Hub, str], mastodon_peer: MastodonPeer,
    bluesky_peer: BlueskyPeer, tmp_path: Path,
) -> None:
    from playwright.sync_api import expect

    _hub, url = hub_server
    masto, sky = _both(page, url, mastodon_peer, bluesky_peer)
    page.goto(url + "/")
    _tick_all(page)
    main = "Hello from hubbub to everyone, see https://example.org/launch #hubbub"
    page.fill("textarea[name=text]", main)
    preview = page.locator("#preview")
    expect(preview.locator("article.pv")).to_have_count(2)
    # Mastodon shows the link without its scheme; both highlight the hashtag.
    expect(preview.locator(".pv-mastodon .pv-link")).to_have_text("example.org/launch")
    expect(preview.locator(".pv-bluesky .pv-link")).to_have_text("https://example.org/launch")
    expect(preview.locator(".pv-tag")).to_have_count(2)
    expect(preview.locator(".pv-bluesky .pv-note")).to_contain_text("A card for example.org")

    # A picture, described: saved with the draft at once, shown in both previews.
    picture = tmp_path / "sunrise.png"
    Image.new("RGB", (640, 360), (250, 170, 60)).save(picture)
    page.locator("details.media-toggle summary").click()
    page.set_input_files("input[name=image_1]", str(picture))
    page.fill("textarea[name=alt_1]", "An orange sunrise")
    expect(page.locator("input[name=keep_1]")).to_have_value(re.compile(r"^m\d+$"))
    expect(preview.locator("img[alt='An orange sunrise']")).to_have_count(2)
    expect(preview.locator(".pv-bluesky")).not_to_contain_text("A card for")  # a picture
    # Each says what the picture goes as there: 640 x 360 fits both as it is.
    expect(preview.locator("[data-fit-note]")).to_have_text(["Picture sent as is"] * 2)

    # Bluesky gets its own words: opening its panel starts from the main text.
    panel = _panel(page, sky.handle)
    panel.locator("summary").click()
    own = panel.locator("textarea[data-custom-text]")
    expect(own).to_have_value(main)
    own.fill("Bluesky gets its own words here. #hubbub")
    panel.locator(".custom-image").filter(has_text="1").locator("input").uncheck()
    expect(preview.locator(".pv-bluesky .pv-media img")).to_have_count(0)
    expect(preview.locator(".pv-mastodon .pv-media img")).to_have_count(1)
    expect(preview.locator(".pv-bluesky .pv-text")).to_have_text(
        "Bluesky gets its own words here. #hubbub")
    expect(preview.locator(".pv-mastodon .pv-text")).to_contain_text("Hello from hubbub")
    counter = _counter(page, sky.handle)
    expect(counter).to_contain_text("40 / 300")
    expect(counter.locator(".counter-tag")).to_have_text("Own text")
    page.locator("details.cw-toggle summary").click()
    page.fill("input[name=content_warning]", "launch news")
    expect(preview.locator(".pv-mastodon details.pv-cw summary")).to_contain_text("launch news")
    expect(page.locator("#draft-status")).to_contain_text("Draft saved")
    _both_themes(page, "30-compose-customized")

    page.click("button[name=action][value=now]")
    expect(page).to_have_url(re.compile(r"/posts/$"))
    card = page.locator("article.post").first
    expect(card.locator(".target .pill-ok")).to_have_count(2, timeout=30_000)
    _both_themes(page, "31-posts-sent")
    statuses = mastodon_peer.statuses(masto)
    assert [s["spoiler_text"] for s in statuses] == ["launch news"]
    assert [m["description"] for m in statuses[0]["media_attachments"]] == ["An orange sunrise"]
    assert "Hello from hubbub to everyone" in statuses[0]["content"]
    texts = wait_for(lambda: _bluesky_texts(bluesky_peer, sky))
    # Bluesky has no warning field: the warning leads the text it was given.
    assert texts == ["CW: launch news\n\nBluesky gets its own words here. #hubbub"]

    # Delete from every network: confirm, watch each account go deleting -> deleted.
    page.once("dialog", lambda dialog: dialog.accept())
    card.get_by_role("button", name="Delete everywhere").click()
    expect(page.locator(".flash-success")).to_contain_text("Deleting from 2 accounts")
    card = page.locator("article.post").first
    expect(card.locator(".target-deleted")).to_have_count(2, timeout=30_000)
    expect(card.locator(".post-head .pill")).to_have_text("Deleted")
    _both_themes(page, "32-posts-deleted")
    assert mastodon_peer.statuses(masto) == []
    assert wait_for(lambda: _bluesky_texts(bluesky_peer, sky) == []) is True


def test_split_a_long_mastodon_post_into_a_thread(
    page: Any, hub_server: tuple[Hub, str], mastodon_peer: MastodonPeer,
    bluesky_peer: BlueskyPeer,
) -> None:
    from playwright.sync_api import expect

    _hub, url = hub_server
    masto, sky = _both(page, url, mastodon_peer, bluesky_peer)
    page.goto(url + "/")
    _tick_all(page)
    text = " ".join(SENTENCES * 2)  # ~900 characters: over Mastodon's 500 and Bluesky's 300
    page.fill("textarea[name=text]", text)
    masto_counter = _counter(page, "@" + masto.username)
    expect(masto_counter.locator(".counter-over")).to_be_visible()
    expect(masto_counter.get_by_role("button", name="Split into a thread there")).to_be_visible()
    _both_themes(page, "33-compose-too-long")

    masto_counter.get_by_label("Number the parts 1/n").check()
    masto_counter.get_by_role("button", name="Split into a thread there").click()
    panel = _panel(page, "@" + masto.username)
    expect(panel).to_have_class(re.compile(r"\bis-thread\b"))
    parts = panel.locator("textarea[name^=part_]")
    expect(parts).to_have_count(2)
    values = [parts.nth(i).input_value() for i in range(parts.count())]
    assert [v.rsplit(" ", 1)[1] for v in values] == ["1/2", "2/2"]
    expect(masto_counter.locator(".counter-part")).to_have_count(2)
    expect(masto_counter.locator(".counter-over")).to_have_count(0)
    expect(page.locator("#preview .pv-mastodon .pv-count")).to_have_text(["1/2", "2/2"])
    # Bluesky still takes it whole, and is still too long: split it there too, without numbers.
    sky_counter = _counter(page, sky.handle)
    sky_counter.get_by_role("button", name="Split into a thread there").click()
    expect(page.locator("details.custom.is-thread")).to_have_count(2)
    # A part can be edited; its counter follows.
    first = parts.nth(0)
    first.fill(values[0].replace("Hubbub keeps", "hubbub keeps"))
    page.locator("#compose-form").evaluate("f => f.scrollIntoView()")
    _both_themes(page, "34-compose-thread")

    page.click("button[name=action][value=now]")
    expect(page).to_have_url(re.compile(r"/posts/$"))
    expect(page.locator("article.post").first.locator(".target .pill-ok")).to_have_count(
        2, timeout=40_000)
    statuses = sorted(mastodon_peer.statuses(masto), key=lambda s: s["created_at"])
    assert len(statuses) == 2
    assert statuses[0]["in_reply_to_id"] is None
    assert statuses[1]["in_reply_to_id"] == statuses[0]["id"]
    assert "hubbub keeps one box" in statuses[0]["content"]
    assert statuses[1]["content"].rstrip("</p>").endswith("2/2")
    sky_texts = wait_for(lambda: [t for t in _bluesky_texts(bluesky_peer, sky)
                                  if len(_bluesky_texts(bluesky_peer, sky)) >= 3])
    assert len(sky_texts) >= 3
    assert all(len(t) <= 300 for t in sky_texts)
    shot(page, "35-posts-thread-sent")


def test_drafts_save_themselves_and_duplicate(
    page: Any, hub_server: tuple[Hub, str], mastodon_peer: MastodonPeer,
) -> None:
    from playwright.sync_api import expect

    _hub, url = hub_server
    create_owner(page, url)
    masto = mastodon_peer.new_account()
    connect_mastodon(page, url, mastodon_peer, masto)

    page.goto(url + "/")
    page.fill("textarea[name=text]", "A thought for later")
    expect(page.locator("#draft-status")).to_contain_text("Draft saved")
    # Typing more and leaving at once: the page saves on its way out.
    page.type("textarea[name=text]", ", finished")
    page.goto(url + "/posts/drafts/")
    card = page.locator("article.draft")
    expect(card).to_have_count(1)
    # The save sent on the way out is a beacon: it may land just after this page was served.
    reload_until(page, lambda: "A thought for later, finished" in card.inner_text())
    expect(card).to_contain_text("A thought for later, finished")
    _both_themes(page, "36-drafts")

    card.get_by_role("link", name="Open").click()
    expect(page.locator("textarea[name=text]")).to_have_value("A thought for later, finished")
    page.fill("textarea[name=text]", "A thought for now")
    page.click("button[name=action][value=now]")
    expect(page).to_have_url(re.compile(r"/posts/$"))
    card = page.locator("article.post").first
    expect(card.locator(".target .pill-ok")).to_have_count(1, timeout=30_000)
    expect(page.locator(".tab-count")).to_have_count(0)  # sending cleared the draft
    assert ["A thought for now" in s["content"] for s in mastodon_peer.statuses(masto)] == [True]

    # Duplicate: a copy opens in the composer as a draft.
    card.get_by_role("button", name="Duplicate").click()
    expect(page).to_have_url(re.compile(r"\?draft=\d+"))
    expect(page.locator("textarea[name=text]")).to_have_value("A thought for now")
    expect(page.locator(".flash-success")).to_contain_text("A copy is open")
    shot(page, "37-duplicate")

    # Alt text: required until the person turns the rule off in Settings.
    page.locator("details.media-toggle summary").click()
    expect(page.locator(".alt-rule")).to_have_text("Alt text required")
    page.goto(url + "/accounts/settings/")
    page.get_by_label("Require alt text on images").uncheck()
    page.locator("#composing").get_by_role("button", name="Save").click()
    expect(page.locator(".flash-success")).to_contain_text("Alt text is now optional")
    _both_themes(page, "39-settings-alt-text")
    page.goto(url + "/")
    expect(page.locator(".alt-rule")).to_have_text("Alt text optional")

    # A phone: the same composer in one column, an account's panel open.
    page.set_viewport_size({"width": 390, "height": 844})
    page.fill("textarea[name=text]", "On a small screen #hubbub")
    panel = _panel(page, "@" + masto.username)
    panel.locator("summary").click()
    expect(panel.locator("textarea[data-custom-text]")).to_have_value("On a small screen #hubbub")
    _both_themes(page, "40-compose-phone")


def test_without_script_the_same_steps_are_plain_forms(
    browser: Any, hub_server: tuple[Hub, str], mastodon_peer: MastodonPeer,
) -> None:
    """No JavaScript at all: a refused post shows the counters, Split is a button of the form,
    an account's own version is a ticked box, and the thread still reaches the server."""
    from playwright.sync_api import expect

    _hub, url = hub_server
    context = browser.new_context(viewport={"width": 1280, "height": 860},
                                  java_script_enabled=False)
    page = context.new_page()
    try:
        create_owner(page, url)
        first, second = mastodon_peer.new_account(), mastodon_peer.new_account()
        connect_mastodon(page, url, mastodon_peer, first)
        connect_mastodon(page, url, mastodon_peer, second)
        page.goto(url + "/")
        _tick_all(page)
        page.fill("textarea[name=text]", " ".join(SENTENCES * 2))
        # The second account says something short of its own instead.
        panel = _panel(page, "@" + second.username)
        panel.locator("summary").click()
        panel.get_by_label(re.compile("Use a different version")).check()
        panel.locator("textarea[data-custom-text]").fill("Short and sweet, for the second one.")
        page.click("button[name=action][value=now]")
        counter = _counter(page, "@" + first.username)
        expect(counter.locator(".counter-over")).to_be_visible()
        counter.get_by_label("Number the parts 1/n").check()
        counter.get_by_role("button", name="Split into a thread there").click()
        thread = _panel(page, "@" + first.username)
        expect(thread.locator("textarea[name^=part_]")).to_have_count(2)
        _both_themes(page, "38-nojs-thread")
        page.click("button[name=action][value=now]")
        expect(page).to_have_url(re.compile(r"/posts/$"))
        expect(page.locator("article.post").first).to_be_visible()
        # No live refresh without script: reload until both are sent.
        reload_until(page, lambda: page.locator("article.post").first.locator(
            ".target .pill-ok").count() == 2)
        expect(page.locator("article.post").first.locator(".target .pill-ok")).to_have_count(2)
        thread_statuses = sorted(mastodon_peer.statuses(first), key=lambda s: s["created_at"])
        assert len(thread_statuses) == 2
        assert thread_statuses[1]["in_reply_to_id"] == thread_statuses[0]["id"]
        assert [s["content"] for s in mastodon_peer.statuses(second)] == [
            "<p>Short and sweet, for the second one.</p>"]
    finally:
        context.close()
