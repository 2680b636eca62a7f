"""Shared set-up for the X connector's tests against the X stand-in (tests/peers/x, the
`x_peer` fixture): the operator's app, people with tokens, and the environment that points the
hub at the stand-in (HUBBUB_X_API_URL, HUBBUB_X_AUTHORIZE_URL, HUBBUB_X_CLIENT_ID/SECRET)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest

from hubbub.networks.base import Account
from hubbub.networks.x.connector import XConnector
from hubbub.networks.x.oauth import SCOPES
from tests.peers.x.peer import XPeer, XTokens, XUser

CALLBACK = "http://127.0.0.1:8000/connections/x/callback"


@dataclass
class XWorld:
    """The stand-in with the operator's app registered and the hub pointed at it."""

    peer: XPeer
    client_id: str
    client_secret: str
    connector: XConnector

    def env(self) -> dict[str, str]:
        return x_env(self.peer, self.client_id, self.client_secret)

    def person(self, scopes: tuple[str, ...] = SCOPES) -> tuple[XUser, XTokens]:
        user = self.peer.create_user()
        return user, self.peer.token_for(user, (self.client_id, self.client_secret),
                                         list(scopes))

    def account(self, scopes: tuple[str, ...] = SCOPES, **extra: Any) -> Account:
        user, tokens = self.person(scopes)
        return account_of(self.peer, user, tokens, **extra)


def x_env(peer: XPeer, client_id: str, client_secret: str) -> dict[str, str]:
    return {
        "HUBBUB_X_API_URL": peer.base_url,
        "HUBBUB_X_AUTHORIZE_URL": peer.authorize_url,
        "HUBBUB_X_CLIENT_ID": client_id,
        "HUBBUB_X_CLIENT_SECRET": client_secret,
    }


def account_of(peer: XPeer, user: XUser, tokens: XTokens, **extra: Any) -> Account:
    credentials: dict[str, Any] = {"access_token": tokens.access_token, **extra}
    if tokens.refresh_token:
        credentials["refresh_token"] = tokens.refresh_token
    return Account(base_url=peer.base_url, credentials=credentials, remote_id=user.id,
                   handle=f"@{user.username}")


def make_x_world(x_peer: XPeer, monkeypatch: pytest.MonkeyPatch,
                 callbacks: tuple[str, ...] = (CALLBACK,)) -> XWorld:
    """For each test module's `x_world` fixture: the operator's app (with these callback URLs
    registered) and the hub's environment pointing at the stand-in."""
    client_id, secret = x_peer.create_app(list(callbacks))
    assert secret is not None
    for name, value in x_env(x_peer, client_id, secret).items():
        monkeypatch.setenv(name, value)
    return XWorld(x_peer, client_id, secret, XConnector())
