"""Sessions against the real PDS: an expired access token (400 ExpiredToken) is refreshed once
with refreshSession, by the engine, and the new session is stored; a refresh the PDS refuses
means the account needs reconnecting.

How the token expires here: the PDS's access tokens live 120 minutes (not configurable in
dev-env). The tests take the account's real token, move `exp` into the past and sign it again
with dev-env's JWT secret, i.e. with the PDS's own key: the PDS rejects it exactly as it rejects
a token that aged out (jose JWTExpired -> 400 ExpiredToken). Nothing in the connector is faked.
"""

from __future__ import annotations

import json
import time
from dataclasses import replace

import pytest
from django.contrib.auth.models import User

from hubbub.connections.models import Connection, Health
from hubbub.connections.services import account_for, save_connection
from hubbub.networks.base import Connected, Draft
from hubbub.networks.bluesky.mapping import jwt_claims
from hubbub.networks.bluesky.tid import is_tid
from hubbub.networks.errors import AuthExpired, Revoked
from hubbub.publishing import engine
from hubbub.publishing.models import DeliveryState
from hubbub.publishing.services import create_post
from tests.integration.bluesky_support import CONNECTOR, expired_copy, person
from tests.peers.bluesky import BlueskyPeer

S = DeliveryState


def _posts(peer: BlueskyPeer, did: str) -> list[str]:
    body = peer.xrpc("GET", "com.atproto.repo.listRecords",
                     params={"repo": did, "collection": "app.bsky.feed.post"})
    return [r["value"]["text"] for r in body["records"]]


def test_an_expired_token_asks_for_one_refresh(bluesky_peer: BlueskyPeer) -> None:
    alice = person(bluesky_peer, "expire")
    stale = expired_copy(alice.account)
    prepared = CONNECTOR.prepare(stale, Draft("after refresh"), "key-1")
    with pytest.raises(AuthExpired, match="expired"):
        CONNECTOR.publish(stale, Draft("after refresh"), "key-1", (), prepared)
    with pytest.raises(AuthExpired):
        CONNECTOR.fetch(stale, "home")
    with pytest.raises(AuthExpired):
        CONNECTOR.whoami(stale)
    # Checking whether a post was made needs no session at all.
    assert CONNECTOR.find_published(stale, Draft(""), "key-1", None, prepared) is None  # type: ignore[arg-type]

    fresh = CONNECTOR.refresh_credentials(stale)
    assert fresh is not None
    assert set(fresh) == {"accessJwt", "refreshJwt", "did", "handle", "service"}
    assert fresh["accessJwt"] != stale.credentials["accessJwt"]
    assert fresh["refreshJwt"] != stale.credentials["refreshJwt"]  # rotated
    assert jwt_claims(fresh["accessJwt"])["exp"] > time.time() + 3600
    renewed = replace(stale, credentials=fresh)
    published = CONNECTOR.publish(renewed, Draft("after refresh"), "key-1", (), prepared)
    assert CONNECTOR.find_published(renewed, Draft(""), "key-1", None, prepared) == published  # type: ignore[arg-type]
    assert _posts(bluesky_peer, alice.did) == ["after refresh"]


def test_a_token_the_pds_cannot_verify_also_gets_one_refresh(bluesky_peer: BlueskyPeer) -> None:
    alice = person(bluesky_peer, "garbled")
    header, claims, signature = str(alice.account.credentials["accessJwt"]).split(".")
    wrong = "A" * len(signature) if signature != "A" * len(signature) else "B" * len(signature)
    garbled = replace(alice.account, credentials={
        **alice.account.credentials, "accessJwt": f"{header}.{claims}.{wrong}"})
    with pytest.raises(AuthExpired, match=r"could not be verified"):
        CONNECTOR.publish(garbled, Draft("x"), "k-garbled", ())
    fresh = CONNECTOR.refresh_credentials(garbled)
    assert fresh is not None
    CONNECTOR.publish(replace(garbled, credentials=fresh), Draft("x"), "k-garbled", ())
    assert _posts(bluesky_peer, alice.did) == ["x"]


def test_two_workers_refreshing_at_once_both_get_a_session(bluesky_peer: BlueskyPeer) -> None:
    """The PDS accepts a just-used refresh token again for a grace period and answers with the
    same new session: two workers that both saw ExpiredToken do not lock each other out."""
    alice = person(bluesky_peer, "twice")
    first = CONNECTOR.refresh_credentials(alice.account)
    second = CONNECTOR.refresh_credentials(alice.account)
    assert first is not None
    assert second is not None
    assert first["refreshJwt"] == second["refreshJwt"]


def test_a_revoked_app_password_works_until_the_token_expires(bluesky_peer: BlueskyPeer) -> None:
    alice = person(bluesky_peer, "revoke")
    owner = bluesky_peer.login(alice.handle, alice.seeded.password)  # the account's own login
    bluesky_peer.xrpc("POST", "com.atproto.server.revokeAppPassword", token=owner["accessJwt"],
                      json_body={"name": "hubbub-tests"})
    assert CONNECTOR.whoami(alice.account).remote_id == alice.did  # access tokens are stateless
    stale = expired_copy(alice.account)
    with pytest.raises(AuthExpired):
        CONNECTOR.whoami(stale)
    with pytest.raises(Revoked, match="Reconnect the account with an app password"):
        CONNECTOR.refresh_credentials(stale)


# --- through the delivery engine --------------------------------------------------------------


@pytest.fixture
def owner(db: None) -> User:
    return User.objects.create_user("owner", password="a-long-enough-password")


def _connect_stale(owner: User, peer: BlueskyPeer, prefix: str) -> tuple[Connection, str]:
    alice = person(peer, prefix)
    stale = expired_copy(alice.account)
    connected = Connected(
        base_url=stale.base_url, credentials=stale.credentials,
        identity=CONNECTOR.whoami(alice.account),
    )
    return save_connection(owner, "bluesky", connected), alice.did


@pytest.mark.django_db
def test_the_engine_refreshes_once_and_stores_the_new_session(
    bluesky_peer: BlueskyPeer, owner: User
) -> None:
    connection, did = _connect_stale(owner, bluesky_peer, "engine")
    stale_token = connection.credentials["accessJwt"]
    post = create_post(user=owner, text="sent after a refresh", connections=[connection])
    delivery = post.deliveries.get()
    engine.process(delivery.pk)

    delivery.refresh_from_db()
    assert delivery.state == S.SENT
    assert delivery.remote_id.startswith(f"at://{did}/app.bsky.feed.post/")
    rkey = delivery.remote_id.rsplit("/", 1)[1]
    assert is_tid(rkey)
    assert rkey in json.dumps(delivery.prepared)  # the key prepared before the first call
    assert delivery.remote_url == f"https://bsky.app/profile/{did}/post/{rkey}"
    connection.refresh_from_db()
    assert connection.credentials["accessJwt"] != stale_token
    assert jwt_claims(connection.credentials["accessJwt"])["exp"] > time.time()
    assert connection.health == Health.OK
    assert _posts(bluesky_peer, did) == ["sent after a refresh"]


@pytest.mark.django_db
def test_a_refused_refresh_leaves_the_post_waiting_for_a_reconnect(
    bluesky_peer: BlueskyPeer, owner: User
) -> None:
    connection, did = _connect_stale(owner, bluesky_peer, "signedout")
    CONNECTOR.disconnect(account_for(connection))  # signs out: the refresh token is revoked
    post = create_post(user=owner, text="never sent", connections=[connection])
    delivery = post.deliveries.get()
    engine.process(delivery.pk)

    delivery.refresh_from_db()
    connection.refresh_from_db()
    assert delivery.state == S.SCHEDULED
    assert delivery.error_kind == "revoked"
    assert connection.health == Health.NEEDS_RECONNECT
    assert connection.health_detail  # the engine's words; the connector's are in its log
    assert _posts(bluesky_peer, did) == []
