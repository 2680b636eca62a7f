"""Shared set-up for the LinkedIn connector's tests against the LinkedIn stand-in
(tests/peers/linkedin, the `li_peer` fixture): the operator's app, members with tokens, and the
environment that points the hub at the stand-in (HUBBUB_LINKEDIN_API_URL / _AUTH_URL,
HUBBUB_LINKEDIN_CLIENT_ID / _SECRET)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pytest

from hubbub.connections.network_apps import spec_for
from hubbub.networks.base import Account
from hubbub.networks.linkedin.connector import LinkedInConnector
from tests.peers.linkedin.peer import LinkedInPeer

CALLBACK = "http://127.0.0.1:8000/connections/callback/linkedin/"
SCOPES = spec_for("linkedin").scopes
# What a member needs for the hub to read back its own posts (a restricted permission
# LinkedIn grants approved apps: without it find_published cannot look).
READ_MEMBER = "r_member_social"


@dataclass
class LinkedInWorld:
    peer: LinkedInPeer
    client_id: str
    client_secret: str
    connector: LinkedInConnector
    members: dict[str, Any] = field(default_factory=dict)  # URN -> the stand-in's member

    def member_account(self, name: str = "Ann Example",
                       scopes: tuple[str, ...] = (*SCOPES, READ_MEMBER)) -> Account:
        member = self.peer.create_member(name)
        self.members[member.urn] = member
        tokens = self.peer.token_for(member, (self.client_id, self.client_secret),
                                     list(scopes))
        return Account(base_url=self.peer.base_url,
                       credentials=credentials_of(tokens, author=member.urn),
                       remote_id=member.urn, handle=name)

    def page_account(self, name: str = "Acme") -> tuple[Account, Any]:
        member = self.peer.create_member(f"{name} admin")
        org = self.peer.create_organization(name, [member])
        tokens = self.peer.token_for(member, (self.client_id, self.client_secret), list(SCOPES))
        account = Account(base_url=self.peer.base_url,
                          credentials=credentials_of(tokens, author=org.urn, member=member.urn),
                          remote_id=org.urn, handle=name)
        return account, org


def credentials_of(tokens: Any, **extra: str) -> dict[str, Any]:
    stored: dict[str, Any] = {"access_token": tokens.access_token, **extra}
    if tokens.refresh_token:
        stored["refresh_token"] = tokens.refresh_token
    return stored


def li_env(peer: LinkedInPeer, client_id: str, client_secret: str) -> dict[str, str]:
    return {
        "HUBBUB_LINKEDIN_API_URL": peer.base_url,
        "HUBBUB_LINKEDIN_AUTH_URL": peer.base_url,
        "HUBBUB_LINKEDIN_CLIENT_ID": client_id,
        "HUBBUB_LINKEDIN_CLIENT_SECRET": client_secret,
    }


def make_li_world(peer: LinkedInPeer, monkeypatch: pytest.MonkeyPatch,
                  callbacks: tuple[str, ...] = (CALLBACK,),
                  refresh_tokens: bool = False) -> LinkedInWorld:
    client_id, secret = peer.create_app(list(callbacks), scopes=[*SCOPES, READ_MEMBER],
                                        refresh_tokens=refresh_tokens)
    for name, value in li_env(peer, client_id, secret).items():
        monkeypatch.setenv(name, value)
    return LinkedInWorld(peer, client_id, secret, LinkedInConnector())
