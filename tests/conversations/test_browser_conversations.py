"""In a real browser against a real `hubbub serve`, the Mastodon mock and the Nostr relay:
open an item's conversation from a deck column (from the keyboard), then its own page, then a
post broadcast to Mastodon and Nostr and its replies from both, merged. Each screenshot is
audited by axe (tests/browser/fixtures.shot)."""

from __future__ import annotations

from typing import Any

import pytest

from tests.browser.conftest import shot
from tests.browser.flows import connect_mastodon, connect_nostr, create_owner
from tests.deck.seed import command
from tests.integration.hubproc import Hub
from tests.peers.mastodon import MastodonPeer
from tests.peers.nostr import NostrPeer

pytestmark = pytest.mark.browser


def test_a_conversation_from_the_deck_then_a_broadcast_posts_replies(
        page: Any, hub_server: tuple[Hub, str], mastodon_peer: MastodonPeer,
        nostr_peer: NostrPeer) -> None:
    from playwright.sync_api import expect

    hub, url = hub_server
    me, friend, other = (mastodon_peer.new_account() for _ in range(3))
    root = mastodon_peer.post_as(friend, "What do you think of decks?")
    reply = mastodon_peer.post_as(other, "I like columns.", in_reply_to_id=root["id"])
    deep = mastodon_peer.post_as(friend, "Columns, yes, and one box.", in_reply_to_id=reply["id"])
    create_owner(page, url)
    connect_mastodon(page, url, mastodon_peer, me)
    hub.run("manage", "shell", "-c", command("", "home", [{
        "remote_id": str(root["id"]), "author_handle": f"@{friend.username}@127.0.0.1",
        "author_name": friend.username, "text": "What do you think of decks?",
        "url": root["url"]}]))

    page.goto(url + "/deck/")
    item = page.locator(".item", has_text="What do you think of decks?").first
    expect(item).to_be_visible()
    opener = item.locator("[data-act=conversation]")
    opener.focus()
    page.keyboard.press("Enter")
    thread = item.locator(".conv-inline")
    expect(thread.locator(".conv-row")).to_have_count(3, timeout=20_000)
    expect(thread.locator(".conv-row.is-focus")).to_contain_text("What do you think of decks?")
    expect(thread.locator(".conv-depth-2")).to_contain_text("Columns, yes, and one box.")
    shot(page, "conv-10-in-the-deck")

    # Reply in place: the deck's composer panel opens on the post answered, and the reply
    # reaches the network as an answer to it.
    page_url = thread.get_by_role("link", name="Open the conversation on its own page") \
        .get_attribute("href")
    thread.locator(".conv-depth-2 [data-act=reply]").click()
    panel = page.locator("#compose-panel")
    expect(panel.locator(".replying-to")).to_contain_text("Columns, yes, and one box.")
    panel.locator("textarea[name=text]").press("End")
    panel.locator("textarea[name=text]").type("Agreed.")
    shot(page, "conv-10b-reply-in-place")
    panel.locator("button[name=action][value=now]").click()
    expect(panel.locator(".target .pill-ok")).to_have_text("Sent", timeout=20_000)
    [answer] = mastodon_peer.statuses(me)
    assert "Agreed." in answer["content"]
    assert str(answer["in_reply_to_id"]) == str(deep["id"])

    page.goto(url + str(page_url))
    expect(page.locator("h1")).to_contain_text("Conversation")
    expect(page.locator(".conv-row")).to_have_count(3)  # read a minute ago: from the cache
    shot(page, "conv-11-page")

    connect_nostr(page, url, nostr_peer.url)
    page.goto(url + "/")
    for box in page.locator("input[name=targets]").all():
        if not box.is_checked():
            box.locator("xpath=..").click()
    page.fill("textarea[name=text]", "Decks or feeds?")
    page.click("button[name=action][value=now]")
    expect(page.locator("article.post").first.locator(".target .pill-ok")).to_have_count(
        2, timeout=30_000)
    mine = next(s for s in mastodon_peer.statuses(me) if "Decks or feeds?" in s["content"])
    mastodon_peer.post_as(friend, "Decks, on Mastodon.", in_reply_to_id=mine["id"])
    [nostr] = [c for c in hub.json("connections", "--user", "ada") if c["network"] == "nostr"]
    [note] = nostr_peer.query({"kinds": [1], "authors": [nostr["remote_id"]]})
    keys = nostr_peer.keygen()
    nostr_peer.publish(nostr_peer.sign(keys, "Feeds, on Nostr.",
                                       tags=[["e", note["id"], "", "root"]],
                                       created_at=int(note["created_at"]) + 60))
    nostr_peer.publish(nostr_peer.sign(keys, "+", kind=7, tags=[["e", note["id"]]]))

    post = next(p for p in hub.json("posts", "--user", "ada") if p["text"] == "Decks or feeds?")
    page.goto(f"{url}/posts/{post['id']}/")
    page.get_by_role("link", name="Replies from every network").click()
    replies = page.locator(".conversation .conv-row")
    expect(replies).to_have_count(2)
    expect(replies.nth(0)).to_contain_text("Decks, on Mastodon.")
    expect(replies.nth(0).locator(".item-net")).to_contain_text("Mastodon")
    expect(replies.nth(1)).to_contain_text("Feeds, on Nostr.")
    expect(replies.nth(1).locator(".item-net")).to_contain_text("Nostr")
    expect(page.locator(".net-side-nostr")).to_contain_text("Likes1")
    shot(page, "conv-12-broadcast-replies")
