"""The LinkedIn connector when LinkedIn fails, against the LinkedIn stand-in: a timeout after
the post was stored (found, not posted again), a duplicate refusal naming the post (sent), an
expired and a revoked login, the daily limit (until midnight UTC), a missing permission named,
5xx, a picture still processing."""

from __future__ import annotations

import secrets
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from PIL import Image

from hubbub.networks.base import Draft, MediaFile
from hubbub.networks.errors import (
    AuthExpired,
    OutcomeUnknown,
    RateLimited,
    Rejected,
    Revoked,
    Transient,
)
from hubbub.networks.linkedin import media as li_media
from hubbub.networks.linkedin.failures import next_utc_midnight
from tests.integration.linkedin_support import SCOPES, LinkedInWorld, make_li_world
from tests.peers.linkedin.peer import LinkedInPeer


@pytest.fixture
def li_world(li_peer: LinkedInPeer, monkeypatch: pytest.MonkeyPatch) -> LinkedInWorld:
    return make_li_world(li_peer, monkeypatch)


def _draft(what: str = "post") -> Draft:
    return Draft(text=f"{what} (#{secrets.token_hex(3)}x)")


def _since() -> datetime:
    return datetime.now(UTC) - timedelta(seconds=5)


def _live(world: LinkedInWorld, author: str) -> list[dict[str, Any]]:
    return [p for p in world.peer.posts(author) if not p["deleted"]]


def _eventually(check: Any, seconds: float = 10.0) -> None:
    deadline = time.monotonic() + seconds
    while not check():
        assert time.monotonic() < deadline, "the stand-in never did it"
        time.sleep(0.05)


def test_a_timeout_after_the_post_was_stored_is_found_not_posted_again(
        li_world: LinkedInWorld, settings: Any) -> None:
    settings.HUBBUB_HTTP_TIMEOUT = 0.5
    account, draft, since = li_world.member_account(), _draft("lost"), _since()
    li_world.peer.fail_next("POST", "/rest/posts", "hold_after", seconds=2)
    prepared = li_world.connector.prepare(account, draft, "k")
    with pytest.raises(OutcomeUnknown):
        li_world.connector.publish(account, draft, "k", (), prepared)
    _eventually(lambda: _live(li_world, account.remote_id))
    settings.HUBBUB_HTTP_TIMEOUT = 5.0
    found = li_world.connector.find_published(account, draft, "k", since, prepared)
    [post] = _live(li_world, account.remote_id)
    assert found is not None
    assert found.remote_id == post["urn"]


def test_a_timeout_before_linkedin_acted_is_not_found(li_world: LinkedInWorld,
                                                      settings: Any) -> None:
    settings.HUBBUB_HTTP_TIMEOUT = 0.5
    account, draft, since = li_world.member_account(), _draft("slow"), _since()
    li_world.peer.fail_next("POST", "/rest/posts", "hold", seconds=2)
    with pytest.raises(OutcomeUnknown):
        li_world.connector.publish(account, draft, "k", ())
    settings.HUBBUB_HTTP_TIMEOUT = 5.0
    assert li_world.connector.find_published(account, draft, "k", since) is None
    li_world.connector.publish(account, draft, "k", ())
    assert len(_live(li_world, account.remote_id)) == 1


def test_a_duplicate_refusal_naming_the_post_counts_as_sent(li_world: LinkedInWorld) -> None:
    account, draft = li_world.member_account(), _draft("again")
    first = li_world.connector.publish(account, draft, "k1", ())
    again = li_world.connector.publish(account, draft, "k2", ())
    assert again.remote_id == first.remote_id
    assert again.url == first.url
    assert len(_live(li_world, account.remote_id)) == 1


def test_a_500_after_a_post_may_have_landed(li_world: LinkedInWorld) -> None:
    account = li_world.member_account()
    li_world.peer.fail_next("POST", "/rest/posts", "500")
    with pytest.raises(OutcomeUnknown):
        li_world.connector.publish(account, _draft(), "k", ())
    li_world.peer.fail_next("GET", "/rest/posts", "502")
    with pytest.raises(Transient):
        li_world.connector.fetch(account, "own")


def test_an_expired_login_without_refresh_is_revoked_with_a_sentence(
        li_world: LinkedInWorld) -> None:
    account = li_world.member_account()
    li_world.peer.expire_tokens()
    with pytest.raises(Revoked, match="reconnect"):
        li_world.connector.publish(account, _draft(), "k", ())
    assert li_world.connector.refresh_credentials(account) is None


def test_a_login_the_member_removed_is_revoked(li_world: LinkedInWorld) -> None:
    account = li_world.member_account()
    li_world.peer.revoke(li_world.members[account.remote_id], li_world.client_id)
    with pytest.raises(Revoked):
        li_world.connector.whoami(account)


def test_an_expired_login_with_a_refresh_token_is_renewed(
        li_peer: LinkedInPeer, monkeypatch: pytest.MonkeyPatch) -> None:
    world = make_li_world(li_peer, monkeypatch, refresh_tokens=True)
    account = world.member_account()
    assert account.credentials.get("refresh_token")
    world.peer.expire_tokens()
    with pytest.raises(AuthExpired):
        world.connector.publish(account, _draft(), "k", ())
    fresh = world.connector.refresh_credentials(account)
    assert fresh is not None
    assert fresh["access_token"] != account.credentials["access_token"]
    assert world.connector.credentials_expire_at(fresh) is not None
    renewed = type(account)(account.base_url, fresh, account.remote_id, account.handle)
    world.connector.publish(renewed, _draft("renewed"), "k", ())
    assert len(_live(world, account.remote_id)) == 1


def test_the_daily_limit_waits_until_midnight_utc(li_world: LinkedInWorld) -> None:
    account = li_world.member_account()
    li_world.peer.fail_next("POST", "/rest/posts", "429", limit="MEMBER")
    before = datetime.now(UTC)
    with pytest.raises(RateLimited) as caught:
        li_world.connector.publish(account, _draft(), "k", ())
    assert caught.value.retry_at in (next_utc_midnight(before),
                                     next_utc_midnight(datetime.now(UTC)))
    assert _live(li_world, account.remote_id) == []


def test_a_missing_permission_is_named(li_world: LinkedInWorld) -> None:
    without_write = tuple(s for s in SCOPES if s != "w_member_social")
    account = li_world.member_account(scopes=without_write)
    with pytest.raises(Rejected, match="w_member_social"):
        li_world.connector.publish(account, _draft(), "k", ())
    without_read = li_world.member_account("Reader", scopes=SCOPES)
    with pytest.raises(Rejected, match="r_member_social"):
        li_world.connector.fetch(without_read, "own")


def test_a_picture_still_processing_is_waited_for(li_world: LinkedInWorld, tmp_path: Path,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    li_world.peer.settings(processing_polls=3)
    path = tmp_path / "p.png"
    Image.new("RGB", (10, 10), "green").save(path)
    picture = MediaFile(str(path), "image/png", alt_text="green", size=path.stat().st_size)
    account = li_world.member_account()
    monkeypatch.setattr(li_media, "FIRST_PAUSE", 0.01)
    urn = li_world.connector.upload_media(account, picture)
    [image] = [i for i in li_world.peer.images() if i["id"] == urn]
    assert image["status"] == "AVAILABLE"
    li_world.peer.settings(processing_polls=50)
    second = li_media.upload  # a picture still processing after the wait is posted later
    with li_world.connector._api(account) as li:
        pending = second(li, account.remote_id, picture, wait_seconds=0.0)
    with pytest.raises(Transient, match="still processing"):
        li_world.connector.publish(account, Draft(text="pic", media=(picture,)), "k",
                                   (pending,))
    assert _live(li_world, account.remote_id) == []
