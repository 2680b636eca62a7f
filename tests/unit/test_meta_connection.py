"""networks/meta/connection.py: which Page or account a Facebook or Threads connection acts as,
and a connection from a pasted token."""

from __future__ import annotations

import pytest

from hubbub.networks.base import Account
from hubbub.networks.errors import Revoked
from hubbub.networks.meta.connection import stored_id


def test_stored_id_prefers_the_credentials_then_the_remote_id() -> None:
    assert stored_id(Account("b", {"page_id": 42}, remote_id="7"), "page_id", "x") == "42"
    assert stored_id(Account("b", {}, remote_id="7"), "page_id", "x") == "7"


def test_stored_id_missing_is_revoked_in_the_networks_words() -> None:
    with pytest.raises(Revoked) as caught:
        stored_id(Account("b", {"user_id": ""}), "user_id", "Reconnect it.")
    assert caught.value.message == "Reconnect it."


def test_token_connection_keeps_what_was_given_and_names_who_the_token_is() -> None:
    from hubbub.networks.base import Identity
    from hubbub.networks.meta.connection import token_connection

    seen: list[tuple[str, dict[str, object]]] = []

    def whoami(account: Account) -> Identity:
        seen.append((account.base_url, dict(account.credentials)))
        return Identity(remote_id="99", handle="Page")

    made = token_connection(" ", {"access_token": " t ", "page_id": " 5 "}, missing="x",
                            origin=lambda: "https://graph.example", whoami=whoami,
                            id_key="page_id", keep=("page_id",))
    assert seen == [("https://graph.example", {"access_token": "t", "page_id": "5"})]
    assert made.credentials == {"access_token": "t", "page_id": "99"}
    assert made.identity.remote_id == "99"


def test_token_connection_refuses_a_blank_token_before_anything_else() -> None:
    from hubbub.networks.errors import Rejected
    from hubbub.networks.meta.connection import token_connection

    def unused(*_: object) -> None:
        raise AssertionError("not asked")

    with pytest.raises(Rejected) as caught:
        token_connection("", {"access_token": "  "}, missing="Give a token.", origin=unused,
                         whoami=unused, id_key="user_id")  # type: ignore[arg-type]
    assert caught.value.message == "Give a token."
