"""Facebook's check_app asks Meta for an app access token at the Graph origin the hub is set to
(HUBBUB_FACEBOOK_GRAPH_URL), against the loopback stand-in of Meta's documented answers."""

from __future__ import annotations

import pytest

from hubbub.networks.base import AppCredentials
from hubbub.networks.errors import Rejected
from hubbub.networks.facebook.connector import FacebookConnector
from tests.unit.meta_app_standin import meta_app_standin

APP_ID = "1234567890123456"
SECRET = "0123abcd4567ef89secret"


def test_a_good_app_passes_and_a_wrong_secret_is_refused(
        monkeypatch: pytest.MonkeyPatch) -> None:
    with meta_app_standin({APP_ID: SECRET}) as standin:
        monkeypatch.setenv("HUBBUB_FACEBOOK_GRAPH_URL", standin.token_url.rsplit("/oauth", 1)[0])
        FacebookConnector().check_app(AppCredentials("facebook", APP_ID, SECRET))
        with pytest.raises(Rejected) as caught:
            FacebookConnector().check_app(AppCredentials("facebook", APP_ID, "wrong"))
    assert "Facebook refused the app" in caught.value.message
    assert "wrong" not in caught.value.message
    assert [query["client_id"] for _, query in standin.requests] == [[APP_ID], [APP_ID]]
