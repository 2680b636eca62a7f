"""The composer's Mastodon visibility and language in a real browser, against a real `hubbub
serve` and the Mastodon mock: each account's defaults (set on its server) preselected as
accounts are ticked, accounts that disagree each shown with their own, the warning for direct,
and the post reaching the server with what was picked."""

from __future__ import annotations

import re
from typing import Any

import pytest

from tests.browser.conftest import shot
from tests.browser.flows import connect_mastodon, create_owner
from tests.integration.hubproc import Hub
from tests.peers.mastodon import MastodonPeer
from tests.waiting import until

pytestmark = pytest.mark.browser


def test_defaults_follow_the_ticked_accounts_until_the_person_picks(
        page: Any, hub_server: tuple[Hub, str], mastodon_peer: MastodonPeer) -> None:
    from playwright.sync_api import expect

    _hub, url = hub_server
    quiet, close = mastodon_peer.new_account("quiet"), mastodon_peer.new_account("close")
    mastodon_peer.set_posting_defaults(quiet, visibility="unlisted", language="de")
    mastodon_peer.set_posting_defaults(close, visibility="direct")
    create_owner(page, url)
    connect_mastodon(page, url, mastodon_peer, quiet)
    connect_mastodon(page, url, mastodon_peer, close)
    page.goto(url + "/")

    visibility = page.get_by_label("Who sees it on Mastodon")
    language = page.get_by_label("Language", exact=True)
    warning = page.locator("[data-direct-warning]")
    lines = page.locator(".visibility-lines li")

    def chip(name: str) -> Any:
        return page.locator("label.chip").filter(has_text=f"@{name}@")

    def tick(name: str, on: bool = True) -> None:
        box = chip(name).locator("input[name=targets]")
        if box.is_checked() != on:
            chip(name).click()

    tick("close", False)
    tick("quiet")
    expect(visibility).to_have_value("unlisted")
    expect(language).to_have_value("de")
    expect(lines.filter(has_text="@quiet@")).to_contain_text("Unlisted")
    expect(lines.filter(has_text="@close@")).to_be_hidden()
    expect(warning).to_be_hidden()

    tick("close")  # they disagree: each keeps its own, and close's default is direct
    expect(visibility).to_have_value("")
    expect(lines.filter(has_text="@quiet@")).to_contain_text("Unlisted (its default)")
    expect(lines.filter(has_text="@close@")).to_contain_text("Mentioned people only (its default)")
    expect(warning).to_be_visible()
    expect(warning).to_contain_text("Only the people mentioned in the post will see it")
    shot(page, "post-options-accounts-disagree")

    visibility.select_option("private")  # picked: ticking no longer changes it
    expect(warning).to_be_hidden()
    expect(lines.filter(has_text="@close@")).to_have_text(re.compile(r"Followers only\s*$"))
    tick("close", False)
    tick("close")
    expect(visibility).to_have_value("private")

    page.locator("textarea[name=text]").fill("Nur für Folgende")
    page.click("button[name=action][value=now]")
    expect(page).to_have_url(re.compile(r"/posts/$"))
    until(lambda: all(mastodon_peer.statuses(a) for a in (quiet, close)), "both posts")
    for account in (quiet, close):
        [status] = mastodon_peer.statuses(account)
        assert (status["visibility"], status["language"]) == ("private", "de")


def test_direct_picked_shows_the_warning_and_the_browser_gives_the_language(
        page: Any, hub_server: tuple[Hub, str], mastodon_peer: MastodonPeer) -> None:
    from playwright.sync_api import expect

    _hub, url = hub_server
    create_owner(page, url)
    connect_mastodon(page, url, mastodon_peer, mastodon_peer.new_account())
    page.goto(url + "/")
    warning = page.locator("[data-direct-warning]")
    expect(warning).to_be_hidden()
    # The account says no language: the browser's (Playwright's en-US) is preselected.
    expect(page.get_by_label("Language", exact=True)).to_have_value("en")
    page.get_by_label("Who sees it on Mastodon").select_option("direct")
    expect(warning).to_be_visible()
    expect(page.locator(".visibility-lines li").first).to_contain_text("Mentioned people only")
    page.emulate_media(color_scheme="dark")
    shot(page, "post-options-direct-dark")


def test_one_account_picks_its_own_visibility_in_its_section(
        page: Any, hub_server: tuple[Hub, str], mastodon_peer: MastodonPeer) -> None:
    from playwright.sync_api import expect

    _hub, url = hub_server
    ann, ben = mastodon_peer.new_account("ann"), mastodon_peer.new_account("ben")
    create_owner(page, url)
    connect_mastodon(page, url, mastodon_peer, ann)
    connect_mastodon(page, url, mastodon_peer, ben)
    page.goto(url + "/")
    for box in page.locator("input[name=targets]").all():
        if not box.is_checked():
            box.locator("xpath=..").click()
    page.locator("textarea[name=text]").fill("Public here, followers there")
    page.get_by_label("Who sees it on Mastodon").select_option("public")
    lines = page.locator(".visibility-lines li")
    expect(lines.filter(has_text="@ben@")).to_have_text(re.compile(r"Public\s*$"))

    section = page.locator("details.custom").filter(
        has=page.locator(".custom-handle").filter(has_text="@ben@"))
    section.locator("summary").click()
    own = section.get_by_label("Who sees it on this account")
    expect(own).to_have_value("")  # as the post says, until picked
    own.select_option("private")
    expect(lines.filter(has_text="@ben@")).to_contain_text("Followers only (for this account)")
    expect(lines.filter(has_text="@ann@")).to_have_text(re.compile(r"Public\s*$"))
    shot(page, "post-options-one-account-own-visibility")
    own.select_option("direct")  # the warning follows the account's own choice too
    expect(page.locator("[data-direct-warning]")).to_be_visible()
    own.select_option("private")
    expect(page.locator("[data-direct-warning]")).to_be_hidden()

    page.click("button[name=action][value=now]")
    expect(page).to_have_url(re.compile(r"/posts/$"))
    until(lambda: all(mastodon_peer.statuses(a) for a in (ann, ben)), "both posts")
    assert [s["visibility"] for s in mastodon_peer.statuses(ann)] == ["public"]
    assert [s["visibility"] for s in mastodon_peer.statuses(ben)] == ["private"]
