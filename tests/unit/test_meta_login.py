"""networks/meta/login.py: a Meta sign-in's first leg and the redirect back, as Facebook,
Instagram and Threads each word and order them."""

from __future__ import annotations

from urllib.parse import parse_qsl, urlsplit

import pytest

from hubbub.networks.base import AppCredentials
from hubbub.networks.errors import Rejected
from hubbub.networks.meta import login

APP = AppCredentials(network="threads", client_id="123", client_secret="s")


def test_start_keeps_the_networks_query_order_and_what_to_keep() -> None:
    order = ("client_id", "redirect_uri", "scope", "response_type", "state")
    begun = login.start("https://t.example/oauth/authorize", APP, "https://hub/cb",
                        ("a_b", "c_d"), order=order, keep={"graph_url": "https://g"})
    url = urlsplit(begun.redirect_url)
    assert f"{url.scheme}://{url.netloc}{url.path}" == "https://t.example/oauth/authorize"
    assert parse_qsl(url.query) == [("client_id", "123"), ("redirect_uri", "https://hub/cb"),
                                    ("scope", "a_b,c_d"), ("response_type", "code"),
                                    ("state", begun.state)]
    assert begun.state_data == {"state": begun.state, "redirect_uri": "https://hub/cb",
                                "client_id": "123", "graph_url": "https://g"}


def test_start_defaults_to_facebooks_order() -> None:
    begun = login.start("https://f/v1/dialog/oauth", APP, "r", ("x",), keep={})
    assert [k for k, _ in parse_qsl(urlsplit(begun.redirect_url).query)] == list(
        login.QUERY_ORDER)


@pytest.mark.parametrize(("trailing_hash", "code"), [(True, "abc"), (False, "abc#_")])
def test_check_callback_strips_the_hash_only_where_the_network_adds_it(
        trailing_hash: bool, code: str) -> None:
    got = login.check_callback({"state": "s", "code": "abc#_"}, {"state": "s"}, "Threads",
                               cancelled="no", trailing_hash=trailing_hash)
    assert got == code


@pytest.mark.parametrize("params", [{"state": "s", "error": "access_denied"},
                                    {"state": "s", "error": "x", "error_reason": "user_denied"}])
def test_a_declined_sign_in_says_the_networks_sentence(params: dict[str, str]) -> None:
    with pytest.raises(Rejected) as caught:
        login.check_callback(params, {"state": "s"}, "Instagram", cancelled="Cancelled.",
                             trailing_hash=True)
    assert caught.value.message == "Cancelled."


def test_the_state_is_checked_before_a_refusal() -> None:
    with pytest.raises(Rejected) as caught:
        login.check_callback({"state": "other", "error": "access_denied"}, {"state": "s"},
                             "Facebook", cancelled="Cancelled.", trailing_hash=False)
    assert "state mismatch" in caught.value.message
