"""The person's own X read-cost cap in Chromium, against a real `hubbub serve` pointed at the X
stand-in: from the Connections page to the account's cap page, a bad amount refused beside the
field (what was typed kept), then a cap of their own saved and shown on the Connections page,
then no cap. Every state is screenshotted and passes the accessibility audit (shot)."""

from __future__ import annotations

import re
from typing import Any

import pytest

from tests.browser.conftest import shot
from tests.browser.flows import create_owner
from tests.browser.standins import standins_hub  # noqa: F401  (the fixture)
from tests.browser.test_six_networks import register_app, start_connect
from tests.integration.hubproc import Hub
from tests.peers.x.peer import XPeer

pytestmark = pytest.mark.browser


def test_the_owner_sets_and_lifts_the_read_cost_cap(
    page: Any, standins_hub: tuple[Hub, str], x_peer: XPeer,  # noqa: F811
) -> None:
    from playwright.sync_api import expect

    hub, url = standins_hub
    create_owner(page, url)
    page.goto(url + "/connections/apps/")
    register_app(page, "x", lambda uri, scopes: x_peer.create_app(uri),
                 "Client ID", "Client Secret", "X")
    ann = x_peer.create_user("ann_cap", name="Ann Cap")
    start_connect(page, url, "x")
    page.get_by_label("Signed in as").select_option(label=f"@{ann.username}")
    page.get_by_role("button", name="Authorize app").click()
    expect(page).to_have_url(re.compile(r"/connections/(#main)?$"))
    expect(page.locator("main")).to_contain_text("No column reads this X account")

    page.get_by_role("link", name=f"Read-cost cap for @{ann.username}").click()
    expect(page.get_by_role("heading", name=f"Read-cost cap for @{ann.username}")).to_be_visible()
    expect(page.get_by_label(re.compile("The hub's default"))).to_be_checked()
    shot(page, "xcap-01-page")

    page.get_by_label("My own cap (below)").check()
    page.get_by_label("My own cap, in US dollars a month").fill("7,50")
    page.get_by_role("button", name="Save the cap").click()
    expect(page.locator(".field.has-error")).to_contain_text("without commas")
    expect(page.get_by_label("My own cap, in US dollars a month")).to_have_value("7,50")
    expect(page.get_by_label("My own cap (below)")).to_be_checked()
    shot(page, "xcap-02-refused")

    page.get_by_label("My own cap, in US dollars a month").fill("7.50")
    page.get_by_role("button", name="Save the cap").click()
    expect(page).to_have_url(re.compile(r"/connections/(#main)?$"))
    expect(page.get_by_text(f"@{ann.username}: Your cap is now $7.50 a month.")).to_be_visible()
    shot(page, "xcap-03-saved")
    [x] = [c for c in hub.json("connections", "--user", "ada") if c["network"] == "x"]
    assert "monthly_read_cap_usd" not in str(x)  # credentials never in --json output

    page.get_by_role("link", name=f"Read-cost cap for @{ann.username}").click()
    expect(page.get_by_label("My own cap, in US dollars a month")).to_have_value("7.50")
    page.get_by_label(re.compile("No cap: never")).check()
    page.get_by_role("button", name="Save the cap").click()
    expect(page.get_by_text("Your X columns now read without a cap.")).to_be_visible()
    page.get_by_role("link", name=f"Read-cost cap for @{ann.username}").click()
    expect(page.get_by_label(re.compile("No cap: never"))).to_be_checked()
    shot(page, "xcap-04-no-cap")
