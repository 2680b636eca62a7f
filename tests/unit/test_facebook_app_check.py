"""Facebook's check_app asks Meta for an app access token at the Graph origin the hub is set to
(HUBBUB_FACEBOOK_GRAPH_URL), against the Facebook stand-in (`fb_peer`), which answers
/oauth/access_token as Meta documents it."""

from __future__ import annotations

import pytest

from hubbub.networks.base import AppCredentials
from hubbub.networks.errors import Rejected
from hubbub.networks.facebook.connector import FacebookConnector
from tests.peers.facebook.peer import FacebookPeer

APP_ID = "1234567890123456"
SECRET = "0123abcd4567ef89secret"


def test_a_good_app_passes_and_a_wrong_secret_is_refused(
        monkeypatch: pytest.MonkeyPatch, fb_peer: FacebookPeer) -> None:
    fb_peer.create_app(app_id=APP_ID, app_secret=SECRET)
    monkeypatch.setenv("HUBBUB_FACEBOOK_GRAPH_URL", fb_peer.base_url)
    FacebookConnector().check_app(AppCredentials("facebook", APP_ID, SECRET))
    with pytest.raises(Rejected) as caught:
        FacebookConnector().check_app(AppCredentials("facebook", APP_ID, "wrong"))
    assert "Facebook refused the app" in caught.value.message
    assert "wrong" not in caught.value.message
    assert [r["query"]["client_id"] for r in fb_peer.requests()] == [APP_ID, APP_ID]
    assert [e["rule"] for e in fb_peer.protocol_errors(clear=True)] == ["wrong client_secret"]
