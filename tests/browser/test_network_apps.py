"""The operator registers an app in a real browser against a real `hubbub serve`: the owner
opens Network apps, saves X's client id and secret, sees "Ready" (and never the secret again),
and the Connect page shows each of X, LinkedIn, Facebook, Instagram and Threads as it stands.
Every page passes the accessibility audit."""

from __future__ import annotations

import re
from typing import Any

import pytest

from hubbub.connections.network_apps import OPERATOR_APP_NETWORKS
from hubbub.networks.registry import CONNECTORS
from tests.browser.a11y import audit
from tests.browser.conftest import shot
from tests.browser.flows import create_owner
from tests.integration.hubproc import Hub

pytestmark = pytest.mark.browser

SECRET = "browser-secret-0123456789-q7Zk"


def test_owner_registers_the_x_app(page: Any, hub_server: tuple[Hub, str]) -> None:
    from playwright.sync_api import expect

    _hub, url = hub_server
    create_owner(page, url)

    page.goto(url + "/connections/connect/")
    expect(page.get_by_role("heading", name="Connect an account")).to_be_visible()
    x_card = page.locator("[data-network=x]")
    if "x" in CONNECTORS:  # the X connector is in this hub: it waits for the app
        expect(x_card).to_have_attribute("data-state", "no_app")
        expect(x_card).to_contain_text("The operator has not registered an X app yet.")
    else:
        expect(x_card).to_have_attribute("data-state", "coming_soon")
    audit(page)
    shot(page, "apps-01-connect-before")

    page.get_by_role("link", name="Network apps").click()
    expect(page).to_have_url(re.compile(r"/connections/apps/$"))
    card = page.locator("#app-x")
    expect(card.locator("[data-app-state=x]")).to_contain_text("Not configured")
    expect(card).to_contain_text(f"{url}/connections/callback/x/")
    expect(card).to_contain_text("offline.access")
    audit(page)
    shot(page, "apps-02-settings-empty")

    card.get_by_label("Client ID").fill("x-client-id-123")
    card.get_by_label("Client Secret").fill(SECRET)
    card.get_by_role("button", name="Save X app").click()
    expect(page).to_have_url(re.compile(r"/connections/apps/#app-x$"))
    expect(page.get_by_text("Saved the X app.")).to_be_visible()
    card = page.locator("#app-x")
    expect(card.locator("[data-app-state=x]")).to_contain_text("Ready")
    expect(card).to_contain_text("set, ends in …q7Zk")
    expect(card.get_by_label("Client Secret")).to_have_value("")
    assert SECRET not in page.content()
    audit(page)
    shot(page, "apps-03-settings-x-ready")

    page.goto(url + "/connections/connect/")
    for slug, spec in OPERATOR_APP_NETWORKS.items():
        state = ("ready" if slug == "x" else "no_app") if slug in CONNECTORS else "coming_soon"
        expect(page.locator(f"[data-network={slug}]")).to_have_attribute("data-state", state)
        if state == "coming_soon":
            expect(page.locator(f"[data-network={slug}]")).to_contain_text(
                f"This hub cannot connect {spec.name} accounts yet.")
    if "x" in CONNECTORS:
        expect(page.locator("a[data-network=x]")).to_have_attribute(
            "href", "/connections/connect/x/")
    assert SECRET not in page.content()
    audit(page)
    shot(page, "apps-04-connect-after")
