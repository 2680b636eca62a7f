"""People in a real browser against `hubbub serve`, the Mastodon mock and a Nostr relay: Ana
writes on both under one name; the People page suggests her as one person, she is linked with a
click, a rule "priority: Ana" is made on the Rules page, and the deck then marks her items from
both networks (and not Bo's). Bo is added to a person from his item's "Add to a person…"."""

from __future__ import annotations

import json
import re
import time
from typing import Any

import pytest

from hubbub.networks.nostr import keys
from tests.browser.conftest import shot
from tests.browser.flows import connect_mastodon, create_owner
from tests.integration.hubproc import Hub
from tests.peers.mastodon import MastodonPeer
from tests.waiting import until

pytestmark = pytest.mark.browser


def _connect_nostr_with_key(page: Any, url: str, relay_url: str, secret_hex: str) -> None:
    from playwright.sync_api import expect

    page.goto(url + "/connections/connect/")
    page.click("a[href$='/connections/connect/nostr/']")
    page.fill("textarea[name=relays]", relay_url)
    page.fill("[name=nsec]", keys.encode_bare("nsec", secret_hex))
    page.get_by_role("button", name="Connect").click()
    expect(page).to_have_url(re.compile(r"/connections/(#main)?$"))


def test_a_person_from_suggestions_then_priority_on_the_deck(
        page: Any, hub_server: tuple[Hub, str], mastodon_peer: MastodonPeer,
        nostr_peer: Any) -> None:
    from playwright.sync_api import expect

    _hub, url = hub_server
    me, ana_m, bo_m = (mastodon_peer.new_account() for _ in range(3))
    mastodon_peer.http.request(
        "PATCH", mastodon_peer.base_url + "/api/v1/accounts/update_credentials",
        headers={"Authorization": f"Bearer {ana_m.access_token}"},
        data={"display_name": "Ana Lima"}, timeout=10).raise_for_status()
    for followed in (ana_m, bo_m):
        mastodon_peer.follow(me, followed)
    me_n, ana_n = nostr_peer.keygen(), nostr_peer.keygen()
    start = int(time.time()) - 60
    assert nostr_peer.publish(nostr_peer.sign(
        ana_n, json.dumps({"name": "Ana Lima"}), kind=0, created_at=start)).ok
    assert nostr_peer.publish(nostr_peer.sign(
        me_n, "", kind=3, tags=[["p", ana_n.pk]], created_at=start)).ok

    create_owner(page, url)
    connect_mastodon(page, url, mastodon_peer, me)
    _connect_nostr_with_key(page, url, nostr_peer.url, me_n.sk)
    mastodon_peer.post_as(ana_m, "Ana writes on Mastodon")
    mastodon_peer.post_as(bo_m, "Bo writes on Mastodon")
    assert nostr_peer.publish(nostr_peer.sign(ana_n, "Ana writes on Nostr",
                                              created_at=start + 5)).ok
    page.goto(url + "/deck/")
    deck = page.locator("#deck")
    for text in ("Ana writes on Mastodon", "Bo writes on Mastodon", "Ana writes on Nostr"):
        expect(deck.locator(".item", has_text=text).first).to_be_visible(timeout=60_000)
    shot(page, "people-01-deck-before")

    # The People page suggests Ana's two accounts as one person.
    page.goto(url + "/rules/")
    page.get_by_role("link", name="People", exact=True).click()
    suggestion = page.locator(".suggestion", has_text="Ana Lima: one person?")
    expect(suggestion).to_be_visible()
    expect(suggestion.locator("input[name=account]")).to_have_count(2)
    shot(page, "people-02-suggestion")
    suggestion.get_by_role("button", name="Link as Ana Lima").click()
    expect(page.get_by_role("heading", name="Ana Lima", exact=True)).to_be_visible()
    expect(page.locator(".person-row")).to_have_count(2)
    shot(page, "people-03-person")

    # A rule naming her: priority, on every network.
    page.goto(url + "/rules/new/")
    page.get_by_label("Name (for you)").fill("priority: Ana")
    page.get_by_label("Ana Lima", exact=True).check()
    page.get_by_label("Then", exact=True).select_option("priority")
    page.get_by_role("button", name="Preview").click()
    expect(page.locator(".rule-preview")).to_contain_text("marks as priority 2 items")
    shot(page, "people-04-rule-preview")
    page.get_by_role("button", name="Save rule").click()
    expect(page.get_by_role("link", name="priority: Ana", exact=True)).to_be_visible()

    def marked_on_the_deck() -> bool:
        page.goto(url + "/deck/")
        expect(deck.locator(".item", has_text="Bo writes on Mastodon").first).to_be_visible()
        return all(deck.locator(".item.is-priority", has_text=text).count() > 0
                   for text in ("Ana writes on Mastodon", "Ana writes on Nostr"))

    until(marked_on_the_deck, "Ana's items marked priority on the deck")
    expect(deck.locator(".item.is-priority", has_text="Bo writes")).to_have_count(0)
    shot(page, "people-05-deck-priority")

    # Ana's page names the rule; Bo goes to a person from his item.
    page.goto(url + "/people/")
    page.get_by_role("link", name="Ana Lima", exact=True).click()
    expect(page.locator("#person-rules-title + ul")).to_contain_text("priority: Ana")
    page.goto(url + "/deck/")
    bo_item = deck.locator(".item", has_text="Bo writes on Mastodon").first
    bo_item.locator("[data-act=person]").click()
    expect(page.get_by_role("heading", name="Add to a person")).to_be_visible()
    shot(page, "people-06-from-item")
    page.get_by_label("New person's name").fill("Bo")
    page.get_by_role("button", name="Add", exact=True).click()
    expect(page.get_by_role("heading", name="Bo", exact=True)).to_be_visible()
    expect(page.locator(".person-row")).to_contain_text(f"{bo_m.username}@")
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(url + "/people/")
    shot(page, "people-07-phone-list")

    # An allow-list column naming Ana: the Mastodon home column then shows her only.
    page.set_viewport_size({"width": 1280, "height": 800})
    page.goto(url + "/rules/")
    page.locator(".rules-columns li").first.get_by_role("link").click()
    page.get_by_label("Ana Lima", exact=True).check()
    shot(page, "people-08-allow-list")
    page.get_by_role("button", name="Save").click()
    expect(page.locator(".rules-columns li").first).to_contain_text("only Ana Lima")

    def only_ana_in_home() -> bool:
        page.goto(url + "/deck/")
        home = page.locator(".column").first
        expect(home.locator(".item", has_text="Ana writes on Mastodon")).to_be_visible()
        return home.locator(".item", has_text="Bo writes on Mastodon").count() == 0

    until(only_ana_in_home, "the allow-list column showing Ana only")
    shot(page, "people-09-deck-allow-list")
