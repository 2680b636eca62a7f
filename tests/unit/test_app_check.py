"""The app check Meta's networks allow (an app access token from the client-credentials grant),
against the Facebook stand-in (tests/peers/facebook/, the `fb_peer` fixture), which answers
/oauth/access_token as Meta documents it."""

from __future__ import annotations

import logging
import socket

import pytest

from hubbub.networks.app_check import HIDDEN, check_client_credentials, scrub
from hubbub.networks.base import AppCredentials
from hubbub.networks.errors import Rejected, Transient
from tests.peers.facebook.peer import FacebookPeer

APP_ID = "1234567890123456"
SECRET = "0123abcd4567ef89+/=&secret"  # characters an address must escape


@pytest.fixture
def meta(fb_peer: FacebookPeer) -> FacebookPeer:
    """The stand-in knowing one app, APP_ID with SECRET."""
    fb_peer.create_app(app_id=APP_ID, app_secret=SECRET)
    return fb_peer


def token_url(peer: FacebookPeer) -> str:
    return peer.graph_url + "/oauth/access_token"


def test_a_good_app_is_accepted_and_asked_for_as_meta_documents(meta: FacebookPeer) -> None:
    check_client_credentials(token_url(meta), AppCredentials("facebook", APP_ID, SECRET),
                             "Facebook")
    seen = meta.requests()
    assert [(r["method"], r["path"], r["status"]) for r in seen] == [
        ("GET", "/v26.0/oauth/access_token", 200)]
    assert seen[0]["query"] == {"client_id": APP_ID, "client_secret": SECRET,
                                "grant_type": "client_credentials"}


def test_threads_tokens_are_accepted_too(meta: FacebookPeer) -> None:
    meta.settings(app_token_prefix="TH|")  # graph.threads.net's TH|<APP_ID>|<TOKEN>
    check_client_credentials(token_url(meta), AppCredentials("threads", APP_ID, SECRET),
                             "Threads")
    assert [r["status"] for r in meta.requests()] == [200]


def test_an_unknown_app_is_refused_in_meta_s_words(meta: FacebookPeer) -> None:
    with pytest.raises(Rejected) as caught:
        check_client_credentials(token_url(meta), AppCredentials("facebook", "999", SECRET),
                                 "Facebook")
    assert caught.value.message == (
        "Facebook refused the app: Error validating application. Invalid application ID.")
    assert [e["rule"] for e in meta.protocol_errors(clear=True)] == ["unknown client_id"]


def test_a_wrong_secret_is_refused_and_not_repeated(meta: FacebookPeer) -> None:
    wrong = "not-the-secret-at-all"
    with pytest.raises(Rejected) as caught:
        check_client_credentials(token_url(meta), AppCredentials("facebook", APP_ID, wrong),
                                 "Facebook")
    assert caught.value.message == "Facebook refused the app: Error validating client secret."
    assert wrong not in caught.value.message
    assert [e["rule"] for e in meta.protocol_errors(clear=True)] == ["wrong client_secret"]


def test_a_network_that_does_not_answer_is_a_passing_trouble() -> None:
    # A socket bound but not listening holds the port: nothing answers there.
    with socket.socket() as held:
        held.bind(("127.0.0.1", 0))
        url = f"http://127.0.0.1:{held.getsockname()[1]}/oauth/access_token"
        with pytest.raises(Transient) as caught:
            check_client_credentials(url, AppCredentials("facebook", APP_ID, SECRET),
                                     "Facebook")
    assert caught.value.message.startswith("Facebook could not be reached: ")
    assert SECRET not in caught.value.message


def test_an_answer_without_a_token_is_not_taken_for_one(meta: FacebookPeer) -> None:
    url = meta.graph_url + "/elsewhere"
    with pytest.raises(Rejected) as caught:  # 400 with Meta's error object (code 2500)
        check_client_credentials(url, AppCredentials("facebook", APP_ID, SECRET), "Facebook")
    assert "Unknown path components" in caught.value.message
    assert SECRET not in caught.value.message
    assert [e["rule"] for e in meta.protocol_errors(clear=True)] == ["unknown path /elsewhere"]


def test_debug_logging_of_the_request_line_hides_the_secret(
        meta: FacebookPeer, caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.DEBUG, logger="urllib3"):
        check_client_credentials(token_url(meta), AppCredentials("facebook", APP_ID, SECRET),
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
