"""The app check Meta's networks allow (an app access token from the client-credentials grant),
against a loopback stand-in built from Meta's documented answers (tests/unit/meta_app_standin.py).
"""

from __future__ import annotations

import logging

import pytest

from hubbub.networks.app_check import HIDDEN, check_client_credentials, scrub
from hubbub.networks.base import AppCredentials
from hubbub.networks.errors import Rejected, Transient
from tests.unit.meta_app_standin import meta_app_standin

APP_ID = "1234567890123456"
SECRET = "0123abcd4567ef89+/=&secret"  # characters an address must escape


def test_a_good_app_is_accepted_and_asked_for_as_meta_documents() -> None:
    with meta_app_standin({APP_ID: SECRET}) as standin:
        check_client_credentials(standin.token_url, AppCredentials("facebook", APP_ID, SECRET),
                                 "Facebook")
    assert standin.requests == [("GET", {"client_id": [APP_ID], "client_secret": [SECRET],
                                         "grant_type": ["client_credentials"]})]


def test_threads_tokens_are_accepted_too() -> None:
    with meta_app_standin({APP_ID: SECRET}, token_prefix="TH|") as standin:
        check_client_credentials(standin.token_url, AppCredentials("threads", APP_ID, SECRET),
                                 "Threads")


def test_an_unknown_app_is_refused_in_meta_s_words() -> None:
    with meta_app_standin({APP_ID: SECRET}) as standin, pytest.raises(Rejected) as caught:
        check_client_credentials(standin.token_url,
                                 AppCredentials("facebook", "999", SECRET), "Facebook")
    assert caught.value.message == (
        "Facebook refused the app: Error validating application. Invalid application ID.")


def test_a_wrong_secret_is_refused_and_not_repeated() -> None:
    wrong = "not-the-secret-at-all"
    with meta_app_standin({APP_ID: SECRET}) as standin, pytest.raises(Rejected) as caught:
        check_client_credentials(standin.token_url,
                                 AppCredentials("facebook", APP_ID, wrong), "Facebook")
    assert caught.value.message == "Facebook refused the app: Error validating client secret."
    assert wrong not in caught.value.message


def test_a_network_that_does_not_answer_is_a_passing_trouble() -> None:
    with meta_app_standin({}) as standin:
        url = standin.token_url
    with pytest.raises(Transient) as caught:  # the stand-in is stopped: nothing listens
        check_client_credentials(url, AppCredentials("facebook", APP_ID, SECRET), "Facebook")
    assert caught.value.message.startswith("Facebook could not be reached: ")
    assert SECRET not in caught.value.message


def test_an_answer_without_a_token_is_not_taken_for_one() -> None:
    with meta_app_standin({APP_ID: SECRET}) as standin:
        url = standin.token_url.replace("/oauth/access_token", "/elsewhere")
        with pytest.raises(Rejected) as caught:  # 404 with Meta's error object
            check_client_credentials(url, AppCredentials("facebook", APP_ID, SECRET), "Facebook")
    assert "Unknown path components" in caught.value.message


def test_debug_logging_of_the_request_line_hides_the_secret(
        caplog: pytest.LogCaptureFixture) -> None:
    with (caplog.at_level(logging.DEBUG, logger="urllib3"),
          meta_app_standin({APP_ID: SECRET}) as standin):
        check_client_credentials(standin.token_url, AppCredentials("facebook", APP_ID, SECRET),
                                 "Facebook")
    assert "/oauth/access_token?" in caplog.text  # urllib3 did log the request line
    assert f"client_secret={HIDDEN}" in caplog.text
    for form in (SECRET, "0123abcd4567ef89%2B%2F%3D%26secret", "0123abcd4567ef89"):
        assert form not in caplog.text


def test_scrub_removes_every_spelling_of_the_secret() -> None:
    app = AppCredentials("facebook", APP_ID, SECRET)
    text = (f"Max retries exceeded with url: /oauth/access_token?client_id={APP_ID}"
            f"&client_secret=0123abcd4567ef89%2B%2F%3D%26secret&grant_type=x; raw {SECRET}; "
            "plus 0123abcd4567ef89%2B%2F%3D%26secret")
    cleaned = scrub(text, app)
    assert "0123abcd4567ef89" not in cleaned
    assert APP_ID in cleaned  # the id is not a secret
