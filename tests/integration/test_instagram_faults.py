"""The Instagram connector when things go wrong, against the Instagram stand-in: logins that
end or expire (and the weekly renewal), rate limits and the daily publishing limit, a picture
Instagram cannot fetch, containers still being prepared, and an answer lost after publishing,
settled by find_published so the post exists exactly once."""

from __future__ import annotations

import secrets
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from hubbub.networks.base import Account, Draft
from hubbub.networks.errors import (
    AuthExpired,
    OutcomeUnknown,
    RateLimited,
    Rejected,
    Revoked,
    Transient,
)
from tests.integration.instagram_support import IGWorld, make_ig_world
from tests.peers.instagram.peer import InstagramPeer

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def ig_world(instagram_peer: InstagramPeer, monkeypatch: pytest.MonkeyPatch, settings: Any,
             live_server: Any, tmp_path: Path) -> IGWorld:
    return make_ig_world(instagram_peer, monkeypatch, settings, live_server.url,
                         tmp_path / "media")


def _draft(world: IGWorld, text: str = "fault") -> Draft:
    name = secrets.token_hex(4)
    return Draft(text=f"{text} {name}", media=(world.picture(f"{name}.jpg", (60, 60, 160)),))


def _staged(world: IGWorld, account: Account, draft: Draft) -> tuple[tuple[str, ...],
                                                                       dict[str, Any]]:
    ids = tuple(world.connector.upload_media(account, m) for m in draft.media)
    return ids, {"stage": world.connector.stage(account, draft, ids, {})}


def _posts(world: IGWorld) -> list[str]:
    return [m["id"] for m in world.peer.media() if not m.get("parent_id")]


# --- logins -----------------------------------------------------------------------------------

def test_an_expired_login_cannot_be_renewed_and_asks_to_reconnect(ig_world: IGWorld) -> None:
    account = ig_world.account()
    draft = _draft(ig_world)
    ids = (ig_world.connector.upload_media(account, draft.media[0]),)
    ig_world.peer.expire_tokens()
    with pytest.raises(AuthExpired):
        ig_world.connector.stage(account, draft, ids, {})
    with pytest.raises(Revoked, match="reconnect Instagram"):
        ig_world.connector.refresh_credentials(account)


def test_a_changed_password_is_revoked_saying_so(ig_world: IGWorld) -> None:
    user = ig_world.person()
    account = ig_world.account(user)
    ig_world.peer.change_password(user)
    with pytest.raises(Revoked, match="password"):
        ig_world.connector.fetch(account, "own")


def test_a_week_old_login_is_renewed_before_it_is_used(ig_world: IGWorld) -> None:
    account = ig_world.account(age_seconds=8 * 86400)
    old = dict(account.credentials)
    old["issued_at"] = (datetime.now(UTC) - timedelta(days=8)).isoformat()
    account = Account(account.base_url, old, account.remote_id, account.handle)
    with pytest.raises(AuthExpired, match="renewed"):
        ig_world.connector.fetch(account, "own")
    fresh = ig_world.connector.refresh_credentials(account)
    assert fresh is not None
    assert fresh["access_token"] != old["access_token"]
    assert fresh["user_id"] == old["user_id"]
    renewed = Account(account.base_url, fresh, account.remote_id, account.handle)
    assert ig_world.connector.fetch(renewed, "own").items == ()
    expires = ig_world.connector.credentials_expire_at(fresh)
    assert expires is not None
    assert expires > datetime.now(UTC) + timedelta(days=59)


# --- limits ------------------------------------------------------------------------------------

@pytest.mark.parametrize("kind", ["4", "17", "32", "613"])
def test_rate_limits_wait(ig_world: IGWorld, kind: str) -> None:
    account = ig_world.account()
    ig_world.peer.fail_next("GET", f"/{account.remote_id}/media", kind)
    with pytest.raises(RateLimited) as caught:
        ig_world.connector.fetch(account, "own")
    assert caught.value.retry_at > datetime.now(UTC)


def test_the_daily_limit_read_from_the_api_stops_a_post_before_instagram_would(
        ig_world: IGWorld) -> None:
    ig_world.peer.settings(publish_quota=1)
    account = ig_world.account()
    first = _draft(ig_world, "first")
    ids, prepared = _staged(ig_world, account, first)
    ig_world.connector.publish(account, first, "k1", ids, prepared)
    second = _draft(ig_world, "second")
    ids, prepared = _staged(ig_world, account, second)
    with pytest.raises(RateLimited, match="1 posts") as caught:
        ig_world.connector.publish(account, second, "k2", ids, prepared)
    # Tried again when the first post turns 24 hours old and frees its slot.
    [post] = ig_world.peer.media()
    made = datetime.fromisoformat(post["timestamp"].replace("+0000", "+00:00"))
    assert abs(caught.value.retry_at - (made + timedelta(days=1))) < timedelta(seconds=2)
    assert len(_posts(ig_world)) == 1
    assert not [r for r in ig_world.peer.requests()
                if r["path"].endswith("/media_publish") and r["status"] >= 400]


def test_instagrams_own_refusal_at_the_limit_is_rate_limited(ig_world: IGWorld) -> None:
    account = ig_world.account()
    draft = _draft(ig_world)
    ids, prepared = _staged(ig_world, account, draft)
    ig_world.peer.fail_next("POST", f"/{account.remote_id}/media_publish", "2207042")
    with pytest.raises(RateLimited, match="24 hours"):
        ig_world.connector.publish(account, draft, "k", ids, prepared)
    assert _posts(ig_world) == []


# --- pictures and containers ---------------------------------------------------------------------

def test_a_picture_instagram_cannot_fetch_is_rejected_in_words(ig_world: IGWorld,
                                                                settings: Any) -> None:
    account = ig_world.account()
    draft = _draft(ig_world)
    ids = (ig_world.connector.upload_media(account, draft.media[0]),)
    settings.PUBLIC_URL = "http://127.0.0.1:9"  # nothing listens there
    # Instagram fetches while it makes the container, so making it is refused.
    with pytest.raises(Rejected, match="could not fetch the picture") as caught:
        ig_world.connector.stage(account, draft, ids, {})
    assert "names this machine" in str(caught.value)
    assert _posts(ig_world) == []


def test_a_fetch_failure_answered_at_once_is_rejected_too(ig_world: IGWorld) -> None:
    account = ig_world.account()
    draft = _draft(ig_world)
    ids = (ig_world.connector.upload_media(account, draft.media[0]),)
    ig_world.peer.fail_next("POST", f"/{account.remote_id}/media", "2207052")
    with pytest.raises(Rejected, match="HUBBUB_PUBLIC_URL"):
        ig_world.connector.stage(account, draft, ids, {})


def test_a_container_still_in_progress_is_retried_later_with_the_same_container(
        ig_world: IGWorld) -> None:
    ig_world.peer.settings(in_progress_reads=6)
    account = ig_world.account()
    draft = _draft(ig_world)
    ids, prepared = _staged(ig_world, account, draft)
    with pytest.raises(Transient, match="still preparing"):
        ig_world.connector.publish(account, draft, "k", ids, prepared)
    published = ig_world.connector.publish(account, draft, "k", ids, prepared)
    assert _posts(ig_world) == [published.remote_id]
    assert len(ig_world.peer.containers()) == 1


# --- a lost answer -------------------------------------------------------------------------------

@pytest.mark.parametrize("kind", ["drop_after", "500"])
def test_a_lost_answer_after_publishing_is_settled_by_find_published_once(
        ig_world: IGWorld, kind: str) -> None:
    account = ig_world.account()
    since = datetime.now(UTC) - timedelta(seconds=5)
    draft = _draft(ig_world)
    ids, prepared = _staged(ig_world, account, draft)
    ig_world.peer.fail_next("POST", f"/{account.remote_id}/media_publish", kind)
    with pytest.raises(OutcomeUnknown):
        ig_world.connector.publish(account, draft, "k", ids, prepared)
    found = ig_world.connector.find_published(account, draft, "k", since, prepared)
    posts = _posts(ig_world)
    if kind == "drop_after":
        assert found is not None
        assert posts == [found.remote_id]
    else:  # a 500 before anything was done: not found, and the retry publishes it once
        assert found is None
        assert posts == []
    again = ig_world.connector.publish(account, draft, "k", ids, prepared)
    assert _posts(ig_world) == [again.remote_id]


def test_a_request_that_never_arrived_is_not_found_and_then_sent(ig_world: IGWorld) -> None:
    account = ig_world.account()
    since = datetime.now(UTC) - timedelta(seconds=5)
    draft = _draft(ig_world)
    ids, prepared = _staged(ig_world, account, draft)
    ig_world.peer.fail_next("POST", f"/{account.remote_id}/media_publish", "drop")
    with pytest.raises((OutcomeUnknown, Transient)):
        ig_world.connector.publish(account, draft, "k", ids, prepared)
    assert ig_world.connector.find_published(account, draft, "k", since, prepared) is None
    published = ig_world.connector.publish(account, draft, "k", ids, prepared)
    assert _posts(ig_world) == [published.remote_id]


def test_a_picture_instagram_refuses_after_fetching_it_is_rejected_saying_why(
        ig_world: IGWorld) -> None:
    account = ig_world.account()
    tall = ig_world.picture("tall.jpg", (10, 10, 10), size=(400, 600))
    draft = Draft(text="too tall", media=(tall,))
    ids, prepared = _staged(ig_world, account, draft)
    with pytest.raises(Rejected, match="shape"):
        ig_world.connector.publish(account, draft, "k", ids, prepared)
    assert _posts(ig_world) == []


def test_the_business_use_case_limit_waits(ig_world: IGWorld) -> None:
    account = ig_world.account()
    ig_world.peer.fail_next("GET", "/{ig-user-id}/media", "80002")
    with pytest.raises(RateLimited) as caught:
        ig_world.connector.fetch(account, "own")
    assert caught.value.retry_at > datetime.now(UTC)


def test_a_publish_refused_as_not_ready_is_retried_not_doubted(ig_world: IGWorld) -> None:
    account = ig_world.account()
    draft = _draft(ig_world)
    ids, prepared = _staged(ig_world, account, draft)
    ig_world.peer.fail_next("POST", "/{ig-user-id}/media_publish", "2207027")
    with pytest.raises(Transient, match="did not publish"):
        ig_world.connector.publish(account, draft, "k", ids, prepared)
    published = ig_world.connector.publish(account, draft, "k", ids, prepared)
    assert _posts(ig_world) == [published.remote_id]


def test_a_bad_picture_refused_at_once_is_rejected_saying_why(ig_world: IGWorld) -> None:
    ig_world.peer.settings(image_errors="sync")
    account = ig_world.account()
    wide = ig_world.picture("wide.jpg", (10, 10, 10), size=(800, 300))
    draft = Draft(text="too wide", media=(wide,))
    ids = (ig_world.connector.upload_media(account, wide),)
    with pytest.raises(Rejected, match="shape"):
        ig_world.connector.stage(account, draft, ids, {})


def test_me_wrapped_in_a_data_list_is_read_too(ig_world: IGWorld) -> None:
    ig_world.peer.settings(me_answer="data")
    user = ig_world.person()
    account = ig_world.account(user)
    assert account.remote_id == user.id
    assert ig_world.connector.whoami(account).handle == f"@{user.username}"
