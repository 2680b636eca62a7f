"""The stand-in's consent page in Chromium: what a browser test of hubbub will click."""

from __future__ import annotations

from typing import Any

import pytest

from tests.peers.linkedin.peer import LinkedInPeer, authorize_link, callback_params

pytestmark = pytest.mark.browser
SCOPES = "openid profile email w_member_social"


@pytest.mark.parametrize("button", ["Allow", "Cancel"])
def test_the_buttons_send_the_browser_back(li_peer: LinkedInPeer, page: Any,
                                           button: str) -> None:
    callback = li_peer.base_url + "/_standin/health"  # any page that answers will do
    client_id, _secret = li_peer.create_app(callback, name="hubbub test")
    li_peer.create_member("Ann Example")
    bob = li_peer.create_member("Bob Example")
    page.goto(authorize_link(li_peer, client_id, callback, SCOPES, "st-1"))
    assert "hubbub test" in page.text_content("main")
    page.get_by_label("Signed in as").select_option(label="Bob Example")
    page.get_by_role("button", name=button).click()
    page.wait_for_url(callback + "?*")
    params = callback_params(page.url)
    assert params["state"] == "st-1"
    if button == "Cancel":
        assert params["error"] == "user_cancelled_authorize"
        assert "code" not in params
    else:
        assert params["code"]
        assert li_peer.settings()["signed_in"] == bob.sub
