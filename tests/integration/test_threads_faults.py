"""The Threads connector when things go wrong, against the Threads stand-in: tokens the
network no longer takes, rate limits and the daily publishing limit, images Threads cannot
fetch, containers still being prepared, and publishes whose answer is lost (settled by the
stored container, exactly once)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from hubbub.networks.base import Draft
from hubbub.networks.errors import (
    AuthExpired,
    ConnectorError,
    OutcomeUnknown,
    RateLimited,
    Rejected,
    Revoked,
    Transient,
)
from tests.integration.threads_support import ThreadsWorld, make_threads_world, since, unique
from tests.peers.threads.peer import ThreadsPeer

pytestmark = pytest.mark.django_db(transaction=True)
PUBLISH = "/{user-id}/threads_publish"


@pytest.fixture
def world(threads_peer: ThreadsPeer, monkeypatch: pytest.MonkeyPatch, settings: Any,
          live_server: Any, tmp_path: Path) -> ThreadsWorld:
    return make_threads_world(threads_peer, monkeypatch, settings, live_server.url,
                              tmp_path / "media")


def _staged(world: ThreadsWorld, account: Any, draft: Draft) -> tuple[tuple[str, ...],
                                                                        dict[str, Any]]:
    ids = tuple(world.connector.upload_media(account, m) for m in draft.media)
    prepared = world.connector.prepare(account, draft, "k")
    prepared["stage"] = world.connector.stage(account, draft, ids, prepared)
    return ids, prepared


# --- tokens ---------------------------------------------------------------------------------------

def test_a_changed_password_or_a_removed_app_asks_to_reconnect(world: ThreadsWorld) -> None:
    account, user = world.account()
    world.peer.change_password(user)
    with pytest.raises(Revoked, match=r"password .* was changed.*reconnect Threads"):
        world.publish(account, Draft(text=unique("never")))
    account, user = world.account()
    world.peer.deauthorize(user, world.app_id)
    with pytest.raises(Revoked, match="app was removed"):
        world.connector.fetch(account, "own")
    assert world.peer.posts() == []


def test_an_expired_token_cannot_be_renewed(world: ThreadsWorld) -> None:
    account, user = world.account()
    world.peer.expire_tokens(user)
    with pytest.raises(AuthExpired, match="expired"):
        world.publish(account, Draft(text=unique("never")))
    with pytest.raises(Rejected, match="renew"):
        world.connector.refresh_credentials(account)


# --- limits ---------------------------------------------------------------------------------------

def test_a_rate_limit_holds_until_meta_s_estimate(world: ThreadsWorld) -> None:
    account, _ = world.account()
    world.peer.fail_next("GET", "/{user-id}/threads", "17")
    with pytest.raises(RateLimited, match="limiting calls") as caught:
        world.connector.fetch(account, "own")
    assert caught.value.retry_at > datetime.now(UTC)


def test_the_daily_limit_is_read_and_no_post_is_attempted(world: ThreadsWorld) -> None:
    account, user = world.account()
    world.peer.use_quota(user, "posts", 250)
    draft = Draft(text=unique("one too many"))
    ids, prepared = _staged(world, account, draft)
    with pytest.raises(RateLimited, match="250 of its 250 posts") as caught:
        world.connector.publish(account, draft, "k", ids, prepared)
    assert caught.value.retry_at > datetime.now(UTC)
    assert world.live_posts(user) == []
    paths = [r["path"] for r in world.peer.requests()]
    assert any(p.endswith("/threads_publishing_limit") for p in paths)
    assert not any(p.endswith("/threads_publish") for p in paths)
    # Replies have their own limit.
    other = world.peer.post_as(world.person(), "Ask me")
    reply = Draft(text=unique("a reply"), in_reply_to=other["id"])
    world.publish(account, reply)
    assert len(world.live_posts(user)) == 1


# --- images ---------------------------------------------------------------------------------------

def test_an_image_threads_cannot_fetch_is_refused_in_words(world: ThreadsWorld,
                                                           settings: Any) -> None:
    account, user = world.account()
    draft = Draft(text=unique("unreachable"), media=(world.picture("r.png"),))
    settings.PUBLIC_URL = "http://127.0.0.1:9"  # nothing answers there
    with pytest.raises(Rejected, match="could not fetch or read the post's image") as caught:
        world.publish(account, draft)
    assert "names this machine" in caught.value.message  # reachability, said
    assert world.live_posts(user) == []
    assert world.connector.account_notes(account)


def test_an_image_of_a_shape_threads_refuses(world: ThreadsWorld) -> None:
    account, user = world.account()
    draft = Draft(text=unique("too wide"), media=(world.picture("w.png", size=(330, 30)),))
    with pytest.raises(Rejected, match="aspect ratio"):
        world.publish(account, draft)
    assert world.live_posts(user) == []


def test_without_a_public_address_images_are_refused_at_once(world: ThreadsWorld,
                                                             settings: Any) -> None:
    account, _ = world.account()
    picture = world.picture("r.png")
    settings.PUBLIC_URL = ""
    with pytest.raises(Rejected, match="HUBBUB_PUBLIC_URL"):
        world.connector.upload_media(account, picture)
    assert world.peer.containers() == []


# --- containers and lost answers -----------------------------------------------------------------

def test_a_container_still_in_progress_is_published_on_a_later_try(world: ThreadsWorld) -> None:
    account, user = world.account()
    world.peer.settings(in_progress_reads=5)
    draft = Draft(text=unique("patience"))
    ids, prepared = _staged(world, account, draft)
    with pytest.raises(Transient, match="still preparing") as caught:
        world.connector.publish(account, draft, "k", ids, prepared)
    assert caught.value.retry_at is not None
    published = world.connector.publish(account, draft, "k", ids, prepared)
    assert [p["id"] for p in world.live_posts(user)] == [published.remote_id]
    assert len(world.peer.containers(user)) == 1


@pytest.mark.parametrize("fault", [{"kind": "drop_after"}, {"kind": "2", "after": True}])
def test_a_publish_whose_answer_is_lost_is_settled_once(world: ThreadsWorld,
                                                        fault: dict[str, Any]) -> None:
    account, user = world.account()
    draft = Draft(text=unique("did it land?"), media=(world.picture("p.png"),))
    ids, prepared = _staged(world, account, draft)
    world.peer.fail_next("POST", PUBLISH, **fault)
    with pytest.raises(OutcomeUnknown):
        world.connector.publish(account, draft, "k", ids, prepared)
    found = world.connector.find_published(account, draft, "k", since(), prepared)
    assert found is not None
    [post] = world.live_posts(user)
    assert found.remote_id == post["id"]
    # A retry publishes nothing more: the stored container says it was published.
    again = world.connector.publish(account, draft, "k", ids, prepared)
    assert again.remote_id == post["id"]
    assert len(world.live_posts(user)) == 1
    assert len(world.peer.containers(user)) == 1


def test_a_publish_that_never_left_is_retried_with_the_same_container(world: ThreadsWorld) -> None:
    account, user = world.account()
    draft = Draft(text=unique("second time lucky"))
    ids, prepared = _staged(world, account, draft)
    world.peer.fail_next("POST", PUBLISH, "drop")
    with pytest.raises(ConnectorError):
        world.connector.publish(account, draft, "k", ids, prepared)
    assert world.connector.find_published(account, draft, "k", since(), prepared) is None
    published = world.connector.publish(account, draft, "k", ids, prepared)
    assert [p["id"] for p in world.live_posts(user)] == [published.remote_id]
    assert len(world.peer.containers(user)) == 1
