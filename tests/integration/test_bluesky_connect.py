"""Connecting a Bluesky account against the real dev-env network: app password -> session,
finding the PDS from the handle, and what a person sees when something is wrong."""

from __future__ import annotations

import json
import socket
from typing import Any

import pytest

from hubbub.networks.base import Account, Draft
from hubbub.networks.errors import NotFound, RateLimited, Rejected, Revoked, Transient
from tests.contract.peers_bluesky import rate_limit_headers
from tests.integration.bluesky_support import CONNECTOR, person
from tests.peers.bluesky import BlueskyPeer
from tests.peers.http_faults import HttpFaultProxy, Respond


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_connect_stores_the_session_never_the_password(bluesky_peer: BlueskyPeer) -> None:
    seeded = bluesky_peer.create_account("conn")
    connected = CONNECTOR.connect_with_token(
        bluesky_peer.pds_url + "/", {"handle": f"@{seeded.handle.upper()}",
                                     "app_password": f" {seeded.app_password} "},
    )
    assert connected.base_url == bluesky_peer.pds_url
    assert set(connected.credentials) == {"accessJwt", "refreshJwt", "did", "handle", "service"}
    assert connected.credentials["did"] == seeded.did
    assert connected.credentials["service"] == bluesky_peer.pds_url  # from the DID document
    assert seeded.app_password not in json.dumps(connected.credentials)
    assert connected.identity.remote_id == seeded.did
    assert connected.identity.handle == f"@{seeded.handle}"
    assert connected.identity.profile_url == f"https://bsky.app/profile/{seeded.handle}"


def test_without_a_service_the_handles_pds_is_looked_up(
    bluesky_peer: BlueskyPeer, settings: Any
) -> None:
    # handle -> DID with com.atproto.identity.resolveHandle, DID -> DID document at the PLC
    # directory -> #atproto_pds. Here the resolver and the directory are the local network's.
    settings.HUBBUB_BLUESKY_RESOLVER_URL = bluesky_peer.pds_url
    settings.HUBBUB_BLUESKY_PLC_URL = bluesky_peer.plc_url
    seeded = bluesky_peer.create_account("resolve")
    connected = CONNECTOR.connect_with_token(
        "", {"handle": seeded.handle, "app_password": seeded.app_password})
    assert connected.base_url == bluesky_peer.pds_url
    assert connected.identity.remote_id == seeded.did
    with pytest.raises(Rejected, match=r"No Bluesky account has the handle @nobody\.test"):
        CONNECTOR.connect_with_token("", {"handle": "nobody.test", "app_password": "x"})


def test_wrong_app_password(bluesky_peer: BlueskyPeer) -> None:
    seeded = bluesky_peer.create_account("wrong")
    with pytest.raises(Revoked, match="Bluesky refused that handle or app password"):
        CONNECTOR.connect_with_token(
            bluesky_peer.pds_url, {"handle": seeded.handle, "app_password": "aaaa-bbbb-cccc-dddd"})


def test_the_accounts_own_password_is_refused(bluesky_peer: BlueskyPeer) -> None:
    seeded = bluesky_peer.create_account("main")
    with pytest.raises(Rejected, match="not an app password"):
        CONNECTOR.connect_with_token(
            bluesky_peer.pds_url, {"handle": seeded.handle, "app_password": seeded.password})


@pytest.mark.parametrize(
    ("credentials", "message"),
    [
        ({"handle": "", "app_password": "x"}, "is not a Bluesky handle"),
        ({"handle": "not a handle", "app_password": "x"}, "is not a Bluesky handle"),
        ({"handle": "alice.test", "app_password": "  "}, "Enter an app password"),
    ],
)
def test_missing_or_malformed_input(
    bluesky_peer: BlueskyPeer, credentials: dict[str, str], message: str
) -> None:
    with pytest.raises(Rejected, match=message):
        CONNECTOR.connect_with_token(bluesky_peer.pds_url, credentials)


def test_wrong_addresses_say_what_went_wrong(bluesky_peer: BlueskyPeer, settings: Any) -> None:
    creds = {"handle": "alice.test", "app_password": "aaaa-bbbb-cccc-dddd"}
    closed = f"http://localhost:{_closed_port()}"
    with pytest.raises(Transient, match=f"No Bluesky server answered at {closed}: the connection "
                                        "was refused"):
        CONNECTOR.connect_with_token(closed, creds)
    with pytest.raises(NotFound, match="the host name could not be resolved"):
        CONNECTOR.connect_with_token("pds.does-not-exist.example", creds)
    # The PLC directory is a web server, not a PDS.
    with pytest.raises(NotFound, match=r"answered HTTP 404 to com\.atproto\.server\.createSession"):
        CONNECTOR.connect_with_token(bluesky_peer.plc_url, creds)
    settings.HUBBUB_ALLOW_PRIVATE_NETWORKS = []
    with pytest.raises(Rejected, match=r"cannot be used: Refusing to connect to 127\.0\.0\.1"):
        CONNECTOR.connect_with_token(bluesky_peer.pds_url, creds)


def test_sign_in_rate_limit(bluesky_peer: BlueskyPeer) -> None:
    proxy = HttpFaultProxy(bluesky_peer.pds_url)
    try:
        body = json.dumps({"error": "RateLimitExceeded", "message": "Rate Limit Exceeded"})
        proxy.arm("POST", "/xrpc/com.atproto.server.createSession",
                  Respond(429, rate_limit_headers(300), body.encode()))
        with pytest.raises(RateLimited, match="limits sign-ins: try again after"):
            CONNECTOR.connect_with_token(
                proxy.base_url, {"handle": "alice.test", "app_password": "aaaa-bbbb-cccc-dddd"})
    finally:
        proxy.close()


def test_one_sign_in_then_the_session_is_reused(bluesky_peer: BlueskyPeer) -> None:
    """createSession is rate-limited (30 per 5 minutes): only connect calls it."""
    proxy = HttpFaultProxy(bluesky_peer.pds_url)
    try:
        alice = person(bluesky_peer, "once", base_url=proxy.base_url)
        account = alice.account
        CONNECTOR.whoami(account)
        CONNECTOR.capabilities(account)
        published = CONNECTOR.publish(account, Draft("once"), "k-once", ())
        CONNECTOR.fetch(account, "home")
        CONNECTOR.find_published(account, Draft("once"), "k-once", published.created_at)  # type: ignore[arg-type]
        fresh = CONNECTOR.refresh_credentials(account)
        assert fresh is not None
        CONNECTOR.whoami(Account(account.base_url, fresh, account.remote_id, account.handle))
        sign_ins = [p for _, p in proxy.seen
                    if p.startswith("/xrpc/com.atproto.server.createSession")]
        assert len(sign_ins) == 1
    finally:
        proxy.close()


def test_disconnect_ends_the_session(bluesky_peer: BlueskyPeer) -> None:
    alice = person(bluesky_peer, "bye")
    CONNECTOR.disconnect(alice.account)
    with pytest.raises(Revoked, match="ended this Bluesky login"):
        CONNECTOR.refresh_credentials(alice.account)
