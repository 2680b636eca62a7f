"""The X connector when X fails, against the X stand-in: timeouts before and after the post was
made, 5xx after it was stored, rate limits, a 402 (no credits), a usage cap, an expired and a
revoked login, an access level without search, video processing that is slow or fails."""

from __future__ import annotations

import secrets
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from hubbub.networks.base import Draft, MediaFile
from hubbub.networks.errors import (
    AuthExpired,
    OutcomeUnknown,
    RateLimited,
    Rejected,
    Revoked,
    Transient,
)
from hubbub.networks.x import api as x_api
from tests.integration.x_support import XWorld, account_of, make_x_world
from tests.peers.x.peer import XPeer
from tests.unit.test_video_probe import make_mp4

pytestmark = pytest.mark.django_db


@pytest.fixture
def x_world(x_peer: XPeer, monkeypatch: pytest.MonkeyPatch) -> XWorld:
    return make_x_world(x_peer, monkeypatch)


def _draft(what: str = "post") -> Draft:
    return Draft(text=f"{what} {secrets.token_hex(4)}")


def _since() -> datetime:
    return datetime.now(UTC) - timedelta(seconds=5)


def _texts(world: XWorld, draft: Draft) -> list[dict[str, Any]]:
    return [p for p in world.peer.posts() if p["text"] == draft.text and not p["deleted"]]


def _eventually(check: Any, seconds: float = 10.0) -> None:
    deadline = time.monotonic() + seconds
    while not check():
        assert time.monotonic() < deadline, "the stand-in never did it"
        time.sleep(0.05)


def test_a_timeout_before_x_acted_is_unknown_then_not_found_then_sent_once(
        x_world: XWorld, settings: Any) -> None:
    settings.HUBBUB_HTTP_TIMEOUT = 0.5
    account, draft, since = x_world.account(), _draft("slow"), _since()
    x_world.peer.fail_next("POST", "/2/tweets", "hold", seconds=2)
    with pytest.raises(OutcomeUnknown):
        x_world.connector.publish(account, draft, "k", ())
    settings.HUBBUB_HTTP_TIMEOUT = 5.0  # the short wait was for the held publish only
    assert x_world.connector.find_published(account, draft, "k", since) is None
    published = x_world.connector.publish(account, draft, "k", ())
    assert [p["id"] for p in _texts(x_world, draft)] == [published.remote_id]


@pytest.mark.parametrize("kind", ["drop_after", "hold_after", "500", "502", "504"])
def test_a_post_whose_answer_was_lost_is_found_not_posted_again(
        x_world: XWorld, settings: Any, kind: str) -> None:
    settings.HUBBUB_HTTP_TIMEOUT = 1.0
    account, draft, since = x_world.account(), _draft(f"lost {kind}"), _since()
    x_world.peer.fail_next("POST", "/2/tweets", kind, seconds=3)
    with pytest.raises(OutcomeUnknown):
        x_world.connector.publish(account, draft, "k", ())
    found = x_world.connector.find_published(account, draft, "k", since)
    stored = _texts(x_world, draft)
    if kind in ("drop_after", "hold_after"):  # X made the post; the answer never came
        assert found is not None
        assert [p["id"] for p in stored] == [found.remote_id]
    else:  # a 5xx: either way, what find_published says is what X has
        assert [p["id"] for p in stored] == ([found.remote_id] if found else [])
    prepared = {"attempted_at": since.isoformat()}
    again = x_world.connector.publish(account, draft, "k", (), prepared)
    assert [p["id"] for p in _texts(x_world, draft)] == [again.remote_id]
    if found is not None:
        assert again.remote_id == found.remote_id


def test_503_is_passing_and_posts_nothing(x_world: XWorld) -> None:
    account, draft = x_world.account(), _draft()
    x_world.peer.fail_next("POST", "/2/tweets", "503")
    with pytest.raises(Transient):
        x_world.connector.publish(account, draft, "k", ())
    assert _texts(x_world, draft) == []


def test_429_says_when_from_the_reset_header(x_world: XWorld) -> None:
    account = x_world.account()
    reset = int(time.time()) + 600
    x_world.peer.fail_next("GET", "/2/users/{id}/timelines/reverse_chronological", "429",
                           reset=reset)
    with pytest.raises(RateLimited) as caught:
        x_world.connector.fetch(account, "home")
    assert abs(caught.value.retry_at.timestamp() - reset) < 5


def test_the_last_request_of_a_window_is_not_followed_by_a_refused_one(
        x_world: XWorld) -> None:
    """x-rate-limit-remaining 0: the next read waits for the reset instead of being sent."""
    account = x_world.account()
    x_world.peer.settings(rate_limits_enabled=True)
    x_world.peer.set_rate_limit("GET", "/2/users/{id}/mentions", 2)
    x_world.connector.fetch(account, "mentions")
    x_world.connector.fetch(account, "mentions")
    sent = len(x_world.peer.requests())
    with pytest.raises(RateLimited) as caught:
        x_world.connector.fetch(account, "mentions")
    assert caught.value.retry_at > datetime.now(UTC)
    assert len(x_world.peer.requests()) == sent  # nothing was sent to be refused
    x_world.connector.fetch(account, "home")  # another endpoint has its own window


@pytest.mark.parametrize(("kind", "words"), [
    ("402", "no API credits left"), ("usage_cap", "usage cap"),
])
def test_billing_refusals_stop_retries_with_a_sentence(
        x_world: XWorld, kind: str, words: str) -> None:
    account, draft = x_world.account(), _draft()
    x_world.peer.fail_next("POST", "/2/tweets", kind)
    with pytest.raises(Rejected, match=words):
        x_world.connector.publish(account, draft, "k", ())
    assert _texts(x_world, draft) == []


def test_an_expired_token_is_renewed_and_the_old_refresh_token_is_spent(
        x_world: XWorld) -> None:
    account = x_world.account()
    x_world.peer.expire_tokens()
    with pytest.raises(AuthExpired):
        x_world.connector.whoami(account)
    fresh = x_world.connector.refresh_credentials(account)
    assert fresh is not None
    assert fresh["access_token"] != account.credentials["access_token"]
    assert fresh["refresh_token"] != account.credentials["refresh_token"]
    renewed = type(account)(account.base_url, fresh, account.remote_id, account.handle)
    assert x_world.connector.whoami(renewed).remote_id == account.remote_id
    with pytest.raises(Revoked):  # single use: the old one is gone
        x_world.connector.refresh_credentials(account)


def test_a_token_known_to_have_expired_is_renewed_without_a_doomed_request(
        x_world: XWorld) -> None:
    past = (datetime.now(UTC) - timedelta(seconds=1)).isoformat()
    account = x_world.account(expires_at=past)
    sent = len(x_world.peer.requests())
    with pytest.raises(AuthExpired):
        x_world.connector.fetch(account, "home")
    assert len(x_world.peer.requests()) == sent


def test_a_login_without_offline_access_cannot_be_renewed(x_world: XWorld) -> None:
    scopes = ("tweet.read", "tweet.write", "users.read")
    account = x_world.account(scopes)
    assert "refresh_token" not in account.credentials
    assert x_world.connector.refresh_credentials(account) is None


def test_an_app_removed_by_the_person_is_revoked(x_world: XWorld) -> None:
    user, tokens = x_world.person()
    account = account_of(x_world.peer, user, tokens)
    x_world.peer.revoke_app(user, x_world.client_id)
    with pytest.raises(AuthExpired):
        x_world.connector.publish(account, _draft(), "k", ())
    with pytest.raises(Revoked):
        x_world.connector.refresh_credentials(account)


def test_search_outside_the_access_level_says_so(x_world: XWorld) -> None:
    account = x_world.account()
    x_world.peer.settings(access_level="free")
    with pytest.raises(Rejected, match="Your X access level does not include recent search"):
        x_world.connector.fetch(account, "search:hubbub")
    x_world.peer.settings(access_level="pay_per_use")
    x_world.connector.fetch(account, "search:hubbub")


@pytest.fixture
def clip(tmp_path: Path) -> MediaFile:
    """A 3 s, 640 x 360 MP4 (its headers; the samples are not a picture): 200 kB."""
    path = tmp_path / "clip.mp4"
    path.write_bytes(make_mp4(seconds=3, width=640, height=360, fps=25, mdat=bytes(200_000)))
    return MediaFile(str(path), "video/mp4", "a short clip", size=path.stat().st_size,
                     width=640, height=360, duration=3.0, frame_rate=25.0)


def test_video_is_uploaded_in_chunks_and_waited_for(
        x_world: XWorld, clip: MediaFile, monkeypatch: pytest.MonkeyPatch) -> None:
    from hubbub.networks.x import media

    monkeypatch.setattr(media, "CHUNK_BYTES", 64 * 1024)  # several appends
    account = x_world.account()
    x_world.peer.settings(processing_polls=2)
    media_id = x_world.connector.upload_media(account, clip)
    appends = [r for r in x_world.peer.requests() if r["path"].endswith("/append")]
    assert len(appends) == -(-clip.size // (64 * 1024))
    draft = Draft(text=f"video {secrets.token_hex(4)}", media=(clip,))
    published = x_world.connector.publish(account, draft, "k", (media_id,))
    [post] = _texts(x_world, draft)
    assert post["id"] == published.remote_id
    assert len(post["media_keys"]) == 1


def test_video_still_processing_waits_and_failed_processing_is_refused(
        x_world: XWorld, clip: MediaFile, monkeypatch: pytest.MonkeyPatch) -> None:
    from hubbub.networks.x import media

    monkeypatch.setattr(media, "PROCESSING_WAIT_SECONDS", 0.0)
    account = x_world.account()
    x_world.peer.settings(processing_polls=50)
    media_id = x_world.connector.upload_media(account, clip)
    draft = Draft(text=f"video {secrets.token_hex(4)}", media=(clip,))
    with pytest.raises(Transient, match="still processing"):
        x_world.connector.publish(account, draft, "k", (media_id,))
    assert _texts(x_world, draft) == []
    x_world.peer.settings(processing_polls=0, processing_fails=True)
    with pytest.raises(Rejected, match="could not process the video"):
        x_world.connector.upload_media(account, clip)


def test_the_api_origin_and_consent_page_come_from_the_environment(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("HUBBUB_X_API_URL", raising=False)
    monkeypatch.delenv("HUBBUB_X_AUTHORIZE_URL", raising=False)
    assert x_api.api_url() == "https://api.x.com"
    assert x_api.authorize_url() == "https://x.com/i/oauth2/authorize"
    monkeypatch.setenv("HUBBUB_X_API_URL", "http://127.0.0.1:9/")
    assert x_api.api_url() == "http://127.0.0.1:9"
    monkeypatch.setenv("HUBBUB_X_AUTHORIZE_URL", "javascript:alert(1)")
    with pytest.raises(Rejected, match="HUBBUB_X_AUTHORIZE_URL"):
        x_api.authorize_url()
