"""Shared set-up for the Facebook connector's tests against the Facebook stand-in
(tests/peers/facebook, the `fb_peer` fixture): the operator's Meta app, people with Pages and
tokens, and the environment that points the hub at the stand-in (HUBBUB_FACEBOOK_GRAPH_URL,
HUBBUB_FACEBOOK_DIALOG_URL, HUBBUB_FACEBOOK_APP_ID/SECRET)."""

from __future__ import annotations

import secrets
from dataclasses import dataclass

import pytest

from hubbub.networks.base import Account
from hubbub.networks.facebook import graph
from hubbub.networks.facebook.connector import FacebookConnector
from hubbub.networks.facebook.oauth import SCOPES
from tests.peers.facebook.peer import FacebookPeer, FBPage, FBUser

CALLBACK = "http://127.0.0.1:8000/connections/callback/facebook/"
# The callback the hub builds under Django's test client (no HUBBUB_PUBLIC_URL).
HUB_CALLBACK = "http://testserver/connections/callback/facebook/"


@dataclass
class FBWorld:
    """The stand-in with the operator's app registered and the hub pointed at it."""

    peer: FacebookPeer
    app_id: str
    app_secret: str
    connector: FacebookConnector

    def env(self) -> dict[str, str]:
        return fb_env(self.peer, self.app_id, self.app_secret)

    def person(self, pages: int = 1, name: str = "") -> tuple[FBUser, list[FBPage]]:
        user = self.peer.create_user(name or f"Ann {secrets.token_hex(3)}")
        owned = [self.peer.create_page(f"Page {secrets.token_hex(3)}", [user])
                 for _ in range(pages)]
        return user, owned

    def page_account(self, user: FBUser, page: FBPage) -> Account:
        user_token = self.peer.user_token_for(user, self.app_id, SCOPES)
        token = self.peer.page_token_for(user_token, page)
        return Account(base_url=self.peer.base_url,
                       credentials={"access_token": token, "page_id": page.id},
                       remote_id=page.id, handle=page.name)

    def account(self) -> tuple[Account, FBUser, FBPage]:
        user, [page] = self.person()
        return self.page_account(user, page), user, page


def fb_env(peer: FacebookPeer, app_id: str, app_secret: str) -> dict[str, str]:
    return {
        "HUBBUB_FACEBOOK_GRAPH_URL": peer.base_url,
        "HUBBUB_FACEBOOK_DIALOG_URL": peer.base_url,
        "HUBBUB_FACEBOOK_APP_ID": app_id,
        "HUBBUB_FACEBOOK_APP_SECRET": app_secret,
    }


def make_fb_world(fb_peer: FacebookPeer, monkeypatch: pytest.MonkeyPatch,
                  callbacks: tuple[str, ...] = (CALLBACK, HUB_CALLBACK)) -> FBWorld:
    app_id, app_secret = fb_peer.create_app(list(callbacks))
    for name, value in fb_env(fb_peer, app_id, app_secret).items():
        monkeypatch.setenv(name, value)
    graph.clear_pauses()
    return FBWorld(fb_peer, app_id, app_secret, FacebookConnector())


def live_posts(peer: FacebookPeer, page: FBPage) -> list[dict[str, object]]:
    return [p for p in peer.posts(page) if not p.get("deleted")]
