"""The add-column dialog in Chromium against a real `hubbub serve`, a Mastodon mock and the
Nostr relay: a kind the picked account cannot show is disabled with its network's reason
(nostr-relay 1.14 offers no NIP-50 search), not hidden; a Mastodon search column added through
the dialog shows a status posted on the server."""

from __future__ import annotations

import re
from typing import Any

import pytest

from hubbub.networks.mastodon.connector import MastodonConnector
from hubbub.networks.nostr.columns import KIND_REASONS
from tests.browser.a11y import audit
from tests.browser.conftest import reload_until, shot
from tests.browser.flows import connect_mastodon, connect_nostr, create_owner
from tests.integration.hubproc import Hub
from tests.peers.mastodon import MastodonPeer
from tests.peers.nostr import NostrPeer

pytestmark = pytest.mark.browser
NOSTR_NO_SEARCH = "Nostr: this relay does not offer search (NIP-50)"
NOSTR_NO_FEED = "Nostr: " + KIND_REASONS["feed"]
MASTODON_NO_FEED = "Mastodon: " + MastodonConnector.column_kind_reasons["feed"]


def _tile(page: Any, label: str) -> Any:
    return page.locator(".kind-tile").filter(has=page.locator(".kind-label", has_text=label))


def _pick_only(page: Any, handle_part: str) -> None:
    for box in page.locator("input[name=connections]").all():
        chip = box.locator("xpath=..")
        wanted = handle_part in chip.inner_text()
        if box.is_checked() != wanted:
            chip.click()


def test_unavailable_kinds_say_why_per_network(
        page: Any, hub_server: tuple[Hub, str], mastodon_peer: MastodonPeer,
        nostr_peer: NostrPeer) -> None:
    from playwright.sync_api import expect

    hub, url = hub_server
    create_owner(page, url)
    me = mastodon_peer.new_account()
    connect_mastodon(page, url, mastodon_peer, me)
    connect_nostr(page, url, nostr_peer.url)
    # The limits as the hub keeps them (read when a post is written): the relay's NIP-11.
    hub.run("manage", "shell", "-c", (
        "from hubbub.connections.models import Connection; "
        "from hubbub.connections.services import capabilities_for; "
        "[capabilities_for(c, refresh=True) for c in Connection.objects.all()]"))
    page.goto(url + "/deck/")
    page.get_by_role("link", name="Add column").first.click()
    expect(page.get_by_role("heading", name="Add a column")).to_be_visible()

    _pick_only(page, "npub1")
    search, feed = _tile(page, "Search"), _tile(page, "Custom feed")
    hashtag = _tile(page, "Hashtag")
    expect(search).to_have_class(re.compile(r"\bis-unavailable\b"))
    expect(search.locator("input")).to_be_disabled()
    expect(search).to_contain_text(NOSTR_NO_SEARCH)
    expect(search.locator("input")).to_have_attribute("aria-describedby", "kind-why-search")
    expect(feed.locator("input")).to_be_disabled()
    expect(feed).to_contain_text(NOSTR_NO_FEED)
    expect(_tile(page, "List").locator("input")).to_be_enabled()
    expect(hashtag.locator("input")).to_be_enabled()
    expect(hashtag.locator(".kind-unavailable")).to_have_text("")
    shot(page, "add-column-nostr-unavailable-kinds")

    # Both accounts: a kind is offered when every picked account can show it, and the reasons
    # of those that cannot are given, each beginning with its network.
    _pick_only(page, "")
    expect(page.locator("input[name=connections]:checked")).to_have_count(2)
    expect(search).to_contain_text(NOSTR_NO_SEARCH)
    expect(feed).to_contain_text(MASTODON_NO_FEED)
    expect(feed).to_contain_text(NOSTR_NO_FEED)
    shot(page, "add-column-two-networks-unavailable-kinds")

    # Mastodon alone offers search: add the column and see a status posted on the server.
    _pick_only(page, me.username)
    expect(search.locator("input")).to_be_enabled()
    expect(search.locator(".kind-unavailable")).to_have_text("")
    search.click()
    expect(page.locator("[data-param-label]")).to_have_text("Search for")
    word = f"platypus{me.id}"
    page.fill("input[name=param]", word)
    page.get_by_role("button", name="Add column").click()
    found = mastodon_peer.post_as(me, f"spotted a {word} today")
    column = page.locator(".column").filter(
        has=page.locator(".column-title", has_text=f"“{word}”"))
    expect(column).to_have_count(1)
    reload_until(page, lambda: column.locator(".item").count() >= 1)
    expect(column.locator(".item").first).to_contain_text(f"spotted a {word} today")
    assert found["id"]
    column.scroll_into_view_if_needed()
    shot(page, "deck-mastodon-search-column")


def test_a_list_or_search_that_cannot_work_is_refused_in_the_dialog(
        page: Any, hub_server: tuple[Hub, str], nostr_peer: NostrPeer) -> None:
    """Issue 12 walkthrough: a Nostr list column took a 30-digit id and a hashtag column two
    words, and the column was made and showed nothing. The dialog now says why, under the
    field, and no column is made."""
    from playwright.sync_api import expect

    _, url = hub_server
    create_owner(page, url)
    connect_nostr(page, url, nostr_peer.url)
    page.goto(url + "/deck/")
    columns_before = page.locator(".column").count()
    page.get_by_role("link", name="Add column").first.click()
    expect(page.get_by_role("heading", name="Add a column")).to_be_visible()

    _tile(page, "List").click()
    expect(page.locator("[data-param-label]")).to_have_text("List")
    expect(page.locator("div[data-param-hint]")).to_contain_text("Nostr: a follow set's name")
    page.fill("input[name=param]", "1" * 30)
    page.get_by_role("button", name="Add column").click()
    error = page.locator(".param-field .error")
    expect(error).to_have_text(
        f"Nostr: no list “{'1' * 30}” (a follow set, NIP-51) was found on this account's "
        "relays.")
    expect(page.locator("input[name=param]")).to_have_value("1" * 30)
    expect(page.locator("input[name=param]")).to_have_attribute("aria-invalid", "true")
    # The field names its hint and its error for a screen reader; the refused dialog passes
    # the axe audit.
    expect(page.locator("input[name=param]")).to_have_attribute(
        "aria-describedby", "param-hint param-errors")
    audit(page)
    shot(page, "add-column-nostr-list-refused")

    _tile(page, "Hashtag").click()
    page.fill("input[name=param]", "two words")
    page.get_by_role("button", name="Add column").click()
    expect(error).to_have_text(
        "“two words” is not one hashtag: give one tag without spaces or #, such as "
        "photography (a column for several words is a search).")

    page.goto(url + "/deck/")
    expect(page.locator(".column")).to_have_count(columns_before)
