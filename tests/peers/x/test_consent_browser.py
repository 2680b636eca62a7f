"""The stand-in's consent page in Chromium: what a browser test of hubbub will click."""

from __future__ import annotations

from typing import Any

import pytest

from tests.peers.x.peer import XPeer, authorize_link, callback_params, pkce_pair

pytestmark = pytest.mark.browser
SCOPES = "tweet.read tweet.write users.read offline.access"


@pytest.mark.parametrize("button", ["Authorize app", "Cancel"])
def test_the_buttons_send_the_browser_back(x_peer: XPeer, page: Any, button: str) -> None:
    callback = x_peer.base_url + "/_standin/health"  # any page that answers will do
    client_id, _secret = x_peer.create_app(callback, name="hubbub test")
    x_peer.create_user("ann")
    bob = x_peer.create_user("bob")
    _verifier, challenge = pkce_pair()
    page.goto(authorize_link(x_peer, client_id, callback, SCOPES, "st-1", challenge))
    assert "hubbub test" in page.text_content("main")
    page.get_by_label("Signed in as").select_option(label="@bob")
    page.get_by_role("button", name=button).click()
    page.wait_for_url(callback + "?*")
    params = callback_params(page.url)
    assert params["state"] == "st-1"
    if button == "Cancel":
        assert params["error"] == "access_denied"
        assert "code" not in params
    else:
        assert params["code"]
        assert x_peer.settings()["signed_in"] == bob.id
