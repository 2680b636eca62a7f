"""The stand-in's Authorization Window in Chromium: what a browser test of hubbub will click."""

from __future__ import annotations

from typing import Any

import pytest

from tests.peers.threads.peer import ThreadsPeer, callback_params, window_link

pytestmark = pytest.mark.browser


@pytest.mark.parametrize("button", ["Allow", "Cancel"])
def test_the_buttons_send_the_browser_back(threads_peer: ThreadsPeer, page: Any,
                                           button: str) -> None:
    callback = threads_peer.base_url + "/_standin/health"  # any page that answers will do
    app_id, secret = threads_peer.create_app(callback, name="hubbub test")
    threads_peer.create_user("ann", "Ann Example")
    page.goto(window_link(threads_peer, app_id, callback, "st-1"))
    assert "hubbub test" in page.text_content("main")
    assert "Signed in as @ann" in page.text_content("main")
    page.get_by_role("button", name=button).click()
    page.wait_for_url(callback + "?*")
    params = callback_params(page.url.split("#")[0])
    assert params["state"] == "st-1"
    if button == "Cancel":
        assert params["error"] == "access_denied"
        assert params["error_reason"] == "user_denied"
        assert "code" not in params
        return
    answer = threads_peer.http.post(f"{threads_peer.graph_root}/oauth/access_token", data={
        "client_id": app_id, "client_secret": secret, "redirect_uri": callback,
        "grant_type": "authorization_code", "code": params["code"]}, timeout=30).json()
    me = threads_peer.http.get(f"{threads_peer.graph_url}/me", params={
        "access_token": answer["access_token"], "fields": "username"}, timeout=30).json()
    assert me["username"] == "ann"
