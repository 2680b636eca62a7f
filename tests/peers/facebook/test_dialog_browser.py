"""The stand-in's Login dialog in Chromium: what a browser test of hubbub will click."""

from __future__ import annotations

from typing import Any

import pytest

from tests.peers.facebook.peer import FacebookPeer, callback_params, dialog_link

pytestmark = pytest.mark.browser


@pytest.mark.parametrize("button", ["Continue", "Cancel"])
def test_the_buttons_send_the_browser_back(fb_peer: FacebookPeer, page: Any,
                                           button: str) -> None:
    callback = fb_peer.base_url + "/_standin/health"  # any page that answers will do
    app_id, secret = fb_peer.create_app(callback, name="hubbub test")
    ann = fb_peer.create_user("Ann Example")
    fb_peer.create_page("Bakery", admins=[ann])
    fb_peer.create_page("Choir", admins=[ann])
    page.goto(dialog_link(fb_peer, app_id, callback, "st-1"))
    assert "hubbub test" in page.text_content("main")
    assert "Signed in as Ann Example" in page.text_content("main")
    page.get_by_label("Choir").uncheck()
    page.get_by_role("button", name=button).click()
    page.wait_for_url(callback + "?*")
    params = callback_params(page.url.split("#")[0])
    assert params["state"] == "st-1"
    if button == "Cancel":
        assert params["error"] == "access_denied"
        assert params["error_reason"] == "user_denied"
        assert "code" not in params
        return
    token = fb_peer.http.get(f"{fb_peer.graph_url}/oauth/access_token", params={
        "client_id": app_id, "client_secret": secret, "redirect_uri": callback,
        "code": params["code"]}, timeout=30).json()["access_token"]
    pages = fb_peer.http.get(f"{fb_peer.graph_url}/me/accounts",
                             params={"access_token": token}, timeout=30).json()["data"]
    assert [p["name"] for p in pages] == ["Bakery"]
