"""Helpers for the stand-in's own tests: a member with a token and a tiny Rest.li client."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest
import requests

from tests.peers.linkedin.peer import VERSION, LIMember, LinkedInPeer, encoded

CALLBACK = "http://127.0.0.1:8000/connections/linkedin/callback"
ALL_SCOPES = ["openid", "profile", "email", "w_member_social", "r_member_social",
              "w_organization_social", "r_organization_social", "rw_organization_admin"]


@dataclass
class Client:
    peer: LinkedInPeer
    member: LIMember
    token: str

    def call(self, method: str, path: str, *, version: str | None = VERSION,
             restli: str | None = "2.0.0", **kwargs: Any) -> requests.Response:
        headers = {"Authorization": f"Bearer {self.token}"}
        if version is not None:
            headers["LinkedIn-Version"] = version
        if restli is not None:
            headers["X-Restli-Protocol-Version"] = restli
        headers.update(kwargs.pop("headers", {}))
        kwargs.setdefault("timeout", 30)
        return requests.request(method, self.peer.base_url + path, headers=headers, **kwargs)

    def post(self, commentary: str, author: str | None = None, *,
             headers: dict[str, str] | None = None, **fields: Any) -> requests.Response:
        body = {"author": author or self.member.urn, "commentary": commentary,
                "visibility": "PUBLIC", "lifecycleState": "PUBLISHED",
                "distribution": {"feedDistribution": "MAIN_FEED", "targetEntities": [],
                                 "thirdPartyDistributionChannels": []},
                "isReshareDisabledByAuthor": False, **fields}
        return self.call("POST", "/rest/posts", json=body, headers=headers or {})

    def get_post(self, urn: str) -> requests.Response:
        return self.call("GET", f"/rest/posts/{encoded(urn)}")


def client_for(peer: LinkedInPeer, member: LIMember, scopes: list[str]) -> Client:
    app = peer.create_app(CALLBACK, scopes=ALL_SCOPES)
    return Client(peer, member, peer.token_for(member, app, scopes).access_token)


@pytest.fixture
def client(li_peer: LinkedInPeer) -> Client:
    return client_for(li_peer, li_peer.create_member("Ann Example"), ALL_SCOPES)
