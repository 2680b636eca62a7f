"""Helpers for the stand-in's own tests: a person with a Page, an app, and a tiny client."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest
import requests

from tests.peers.facebook.peer import FacebookPeer, FBApp, FBPage, FBUser

CALLBACK = "http://127.0.0.1:8000/connections/facebook/callback"


@dataclass
class Graph:
    """Calls graph.facebook.com's stand-in the way a client would."""
    peer: FacebookPeer

    def call(self, method: str, path: str, token: str | None = None,
             **kwargs: Any) -> requests.Response:
        params = dict(kwargs.pop("params", {}) or {})
        if token is not None:
            params["access_token"] = token
        return requests.request(method, self.peer.graph_url + path, params=params,
                                timeout=30, **kwargs)


@dataclass
class Setup:
    peer: FacebookPeer
    graph: Graph
    app: FBApp
    ann: FBUser
    page: FBPage
    user_token: str
    page_token: str


@pytest.fixture
def graph(fb_peer: FacebookPeer) -> Graph:
    return Graph(fb_peer)


@pytest.fixture
def setup(fb_peer: FacebookPeer, graph: Graph) -> Setup:
    app = fb_peer.create_app(CALLBACK)
    ann = fb_peer.create_user("Ann Example")
    page = fb_peer.create_page("Ann's Bakery", admins=[ann])
    user_token = fb_peer.user_token_for(ann, app)
    page_token = fb_peer.page_token_for(user_token, page)
    return Setup(fb_peer, graph, app, ann, page, user_token, page_token)
