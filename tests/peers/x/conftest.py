"""Helpers for the stand-in's own tests: a signed-in account and a tiny client."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest
import requests

from tests.peers.x.peer import XPeer, XUser

ALL_SCOPES = "tweet.read tweet.write users.read media.write like.write like.read offline.access"


@dataclass
class Client:
    peer: XPeer
    user: XUser
    token: str

    def call(self, method: str, path: str, **kwargs: Any) -> requests.Response:
        headers = {"Authorization": f"Bearer {self.token}", **kwargs.pop("headers", {})}
        return requests.request(method, self.peer.base_url + path, headers=headers,
                                timeout=30, **kwargs)

    def post(self, text: str, **fields: Any) -> requests.Response:
        return self.call("POST", "/2/tweets", json={"text": text, **fields})


@pytest.fixture
def client(x_peer: XPeer) -> Client:
    user = x_peer.create_user("alice")
    app = x_peer.create_app("http://127.0.0.1:8000/cb")
    return Client(x_peer, user, x_peer.token_for(user, app, ALL_SCOPES).access_token)
