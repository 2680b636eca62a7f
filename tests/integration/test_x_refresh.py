"""X's refresh tokens are single use and rotate. Two workers that find the same expired login
at once must not strand the connection: one spends the refresh token, the other takes the pair
it stored (networks/x/tokens.py). Against the X stand-in, which refuses a spent refresh token,
through the hub's own refresh path (timeline/polling.py refresh_credentials, as the poller and
the engine call it)."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.db import connection as db_connection

from hubbub.connections.models import Connection, Health
from hubbub.connections.services import account_for, save_connection
from hubbub.networks.errors import AuthExpired
from hubbub.networks.x import tokens
from hubbub.timeline.polling import refresh_credentials
from tests.integration.x_support import XWorld, make_x_world
from tests.peers.x.peer import XPeer, XUser

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def x_world(x_peer: XPeer, monkeypatch: pytest.MonkeyPatch) -> XWorld:
    return make_x_world(x_peer, monkeypatch)


def _connected(world: XWorld) -> tuple[Connection, XUser]:
    """An X account connected as `hubbub connect x --token ... --refresh-token ...` does."""
    user, issued = world.person()
    owner = User.objects.create_user(f"owner-{user.username}")
    connected = world.connector.connect_with_token(
        "", {"access_token": issued.access_token, "refresh_token": issued.refresh_token})
    return save_connection(owner, "x", connected), user


def _token_requests(world: XWorld) -> list[dict[str, Any]]:
    return [r for r in world.peer.requests() if r["path"] == "/2/oauth2/token"]


def _at_once(*calls: Callable[[], Any]) -> list[Any]:
    """Run the calls in threads released together; their results (or exceptions), in order."""
    barrier = threading.Barrier(len(calls))
    results: list[Any] = [None] * len(calls)

    def run(index: int, call: Callable[[], Any]) -> None:
        try:
            barrier.wait()
            results[index] = call()
        except Exception as exc:  # reported to the test
            results[index] = exc
        finally:
            db_connection.close()

    threads = [threading.Thread(target=run, args=(n, c)) for n, c in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    return results


def test_two_workers_refreshing_at_once_spend_the_token_once(x_world: XWorld) -> None:
    stale, _ = _connected(x_world)
    # As some developers report X doing: a spent refresh token used again kills the whole
    # chain, so a second spend would strand the connection for good.
    x_world.peer.settings(revoke_family_on_reuse=True)
    x_world.peer.expire_tokens()
    with pytest.raises(AuthExpired):
        x_world.connector.whoami(account_for(stale))
    # X takes a moment to answer, so the second worker arrives while the first is refreshing.
    x_world.peer.fail_next("POST", "/2/oauth2/token", "delay", seconds=1.0)
    first, second = (Connection.objects.get(pk=stale.pk) for _ in range(2))
    results = _at_once(lambda: refresh_credentials(x_world.connector, first),
                       lambda: refresh_credentials(x_world.connector, second))
    assert results == [True, True]
    assert len(_token_requests(x_world)) == 1  # one refresh reached X
    assert first.credentials["access_token"] == second.credentials["access_token"]
    stored = Connection.objects.get(pk=stale.pk)
    assert stored.credentials["refresh_token"] == first.credentials["refresh_token"]
    assert tokens.CLAIM not in stored.credentials
    assert stored.health == Health.OK
    # Not stranded: the stored login works, and renews again later.
    assert x_world.connector.whoami(account_for(stored)).remote_id == stale.remote_id
    x_world.peer.expire_tokens()
    assert refresh_credentials(x_world.connector, stored)
    assert x_world.connector.whoami(account_for(stored)).remote_id == stale.remote_id


def test_a_worker_holding_an_old_pair_takes_the_stored_one(x_world: XWorld) -> None:
    connection, _ = _connected(x_world)
    old = account_for(connection)
    x_world.peer.expire_tokens()
    assert refresh_credentials(x_world.connector, connection)  # one worker renews
    asked = len(_token_requests(x_world))
    # Another worker still holds the spent pair: it gets the stored one, asking X nothing.
    again = x_world.connector.refresh_credentials(old)
    assert again is not None
    assert again["access_token"] == Connection.objects.get(pk=connection.pk).credentials[
        "access_token"]
    assert len(_token_requests(x_world)) == asked


def test_a_refused_refresh_leaves_no_claim_behind(x_world: XWorld) -> None:
    connection, user = _connected(x_world)
    x_world.peer.revoke_app(user, x_world.client_id)
    assert not refresh_credentials(x_world.connector, connection)
    stored = Connection.objects.get(pk=connection.pk).credentials
    assert tokens.CLAIM not in stored
    assert stored["refresh_token"] == account_for(connection).credentials["refresh_token"]

