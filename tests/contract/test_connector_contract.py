"""The connector contract: every network's connector passes these against its real local server.

Each test gets `peer` (tests/contract/peers.py): the connector plus the server's own controls.
"""

from __future__ import annotations

import secrets
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from PIL import Image

from hubbub.networks.base import Draft, MediaFile, Published
from hubbub.networks.errors import OutcomeUnknown, RateLimited, Revoked, Transient


def _unique(text: str = "contract") -> str:
    return f"{text} {secrets.token_hex(4)}"


def _key() -> str:
    return secrets.token_hex(16)


def _since() -> datetime:
    return datetime.now(UTC) - timedelta(seconds=5)


def _attr(obj: Any, path: str) -> Any:
    for name in path.split("."):
        obj = getattr(obj, name)
    return obj


def test_whoami_names_the_account(peer: Any) -> None:
    account = peer.new_account()
    identity = peer.connector.whoami(account)
    assert identity.remote_id == account.remote_id
    assert identity.handle == account.handle


def test_capabilities_are_read_from_the_server(peer: Any) -> None:
    caps = peer.connector.capabilities(peer.new_account())
    for path, expected in peer.expected_capabilities.items():
        assert _attr(caps, path) == expected, path
    assert caps.to_json() == type(caps).from_json(caps.to_json()).to_json()


def test_validate_counts_against_the_limit(peer: Any) -> None:
    caps = peer.connector.capabilities(peer.new_account())
    at_limit = peer.connector.validate(Draft(text="a" * caps.text_limit), caps)
    assert at_limit.ok
    assert at_limit.remaining == 0
    over = peer.connector.validate(Draft(text="a" * (caps.text_limit + 3)), caps)
    assert [p.code for p in over.problems] == ["too_long"]
    assert over.problems[0].message == f"3 characters over the limit of {caps.text_limit}"
    assert [p.code for p in peer.connector.validate(Draft(text="  "), caps).problems] == ["empty"]


def test_publish_returns_the_post(peer: Any) -> None:
    account = peer.new_account()
    text = _unique()
    published = peer.connector.publish(account, Draft(text=text), _key(), ())
    assert isinstance(published, Published)
    assert published.remote_id
    assert published.url.startswith("http")
    assert [p["id"] for p in peer.server_posts(account)] == [published.remote_id]


def test_same_idempotency_key_publishes_once(peer: Any) -> None:
    account = peer.new_account()
    draft, key = Draft(text=_unique()), _key()
    first = peer.connector.publish(account, draft, key, ())
    again = peer.connector.publish(account, draft, key, ())
    assert again.remote_id == first.remote_id
    assert len(peer.server_posts(account)) == 1


def test_find_published_finds_the_post_and_nothing_else(peer: Any) -> None:
    account = peer.new_account()
    since = _since()
    draft, key = Draft(text=_unique("find me"), content_warning="spoilers"), _key()
    published = peer.connector.publish(account, draft, key, ())
    # With the key it was published with (networks with client-chosen keys look it up by key;
    # the others by content).
    found = peer.connector.find_published(account, draft, key, since)
    assert found is not None
    assert found.remote_id == published.remote_id
    never = Draft(text=_unique("never"))
    assert peer.connector.find_published(account, never, _key(), since) is None
    # Same text without the warning is another post.
    without_cw = Draft(text=draft.text)
    assert peer.connector.find_published(account, without_cw, _key(), since) is None


def test_upload_media_with_alt_text_and_publish(peer: Any, tmp_path: Path) -> None:
    account = peer.new_account()
    image = tmp_path / "dot.png"
    Image.new("RGB", (8, 8), (200, 30, 30)).save(image)
    media = MediaFile(
        path=str(image), mime_type="image/png", alt_text="A red square", size=image.stat().st_size
    )
    media_id = peer.connector.upload_media(account, media)
    draft = Draft(text=_unique("with a picture"), media=(media,))
    published = peer.connector.publish(account, draft, _key(), (media_id,))
    [post] = peer.server_posts(account)
    assert post["id"] == published.remote_id
    assert [m["description"] for m in post["media_attachments"]] == ["A red square"]


def test_delete_removes_the_post(peer: Any) -> None:
    account = peer.new_account()
    published = peer.connector.publish(account, Draft(text=_unique()), _key(), ())
    peer.connector.delete(account, published.remote_id)
    assert peer.server_posts(account) == []
    peer.connector.delete(account, published.remote_id)  # already gone: still fine


def test_fetch_home_returns_own_post(peer: Any) -> None:
    account = peer.new_account()
    text = _unique("home")
    published = peer.connector.publish(account, Draft(text=text), _key(), ())

    def own_post() -> list[Any]:  # some networks index reads a moment after the write
        page = peer.connector.fetch(account, "home")
        return [i for i in page.items if i.remote_id == published.remote_id]

    _eventually(own_post)
    [item] = own_post()
    assert item.text == text
    assert item.author_handle == account.handle
    assert item.created_at.tzinfo is not None


def test_revoked_token_raises_revoked(peer: Any) -> None:
    account = peer.new_account()
    peer.revoke(account)
    with pytest.raises(Revoked):
        peer.connector.whoami(account)
    with pytest.raises(Revoked):
        peer.connector.publish(account, Draft(text=_unique()), _key(), ())


@pytest.mark.parametrize("op", ["publish", "read"])
def test_server_error_is_transient(peer: Any, op: str) -> None:
    account = peer.new_account()
    peer.fail_next(op, 503, {"Retry-After": "30"})
    with pytest.raises(Transient) as caught:
        _do(peer, account, op)
    assert caught.value.retry_at is not None
    assert caught.value.retry_at > datetime.now(UTC)
    assert peer.server_posts(account) == []


@pytest.mark.parametrize("op", ["publish", "read"])
def test_rate_limit_gives_retry_time(peer: Any, op: str) -> None:
    account = peer.new_account()
    peer.rate_limit_next(op, 120)
    before = datetime.now(UTC)
    with pytest.raises(RateLimited) as caught:
        _do(peer, account, op)
    wait = caught.value.retry_at - before
    assert timedelta(seconds=100) < wait < timedelta(seconds=140)


def test_malformed_answer_to_publish_is_outcome_unknown(peer: Any) -> None:
    account = peer.new_account()
    peer.malformed_next("publish")
    with pytest.raises(OutcomeUnknown):
        _do(peer, account, "publish")


def test_malformed_answer_to_read_is_transient(peer: Any) -> None:
    account = peer.new_account()
    peer.malformed_next("read")
    with pytest.raises(Transient):
        _do(peer, account, "read")


def test_timeout_before_the_server_acted_then_retry_publishes_once(
    peer: Any, settings: Any
) -> None:
    settings.HUBBUB_HTTP_TIMEOUT = 0.5
    account = peer.new_account()
    since, draft, key = _since(), Draft(text=_unique("slow")), _key()
    peer.stall_next_unprocessed("publish", seconds=1.5)
    with pytest.raises(OutcomeUnknown):
        peer.connector.publish(account, draft, key, ())
    settings.HUBBUB_HTTP_TIMEOUT = 5.0  # the short wait was for the stalled publish only
    assert peer.connector.find_published(account, draft, key, since) is None
    published = peer.connector.publish(account, draft, key, ())
    time.sleep(1.5)  # let the stalled request run out: it must not have been processed
    assert [p["id"] for p in peer.server_posts(account)] == [published.remote_id]


@pytest.mark.parametrize("mode", ["hold", "drop"])
def test_answer_lost_after_the_server_acted_is_found_not_reposted(
    peer: Any, settings: Any, mode: str
) -> None:
    settings.HUBBUB_HTTP_TIMEOUT = 1.0
    account = peer.new_account()
    since, draft, key = _since(), Draft(text=_unique("lost answer")), _key()
    lossy = peer.lose_next_answer(account, "publish", mode)
    with pytest.raises(OutcomeUnknown):
        peer.connector.publish(lossy, draft, key, ())
    _eventually(lambda: peer.server_posts(account))  # a loaded machine may lag behind
    found = peer.connector.find_published(account, draft, key, since)
    assert found is not None
    [post] = peer.server_posts(account)
    assert post["id"] == found.remote_id
    # A retry with the same key, were the engine to make one, does not post twice.
    assert peer.connector.publish(account, draft, key, ()).remote_id == found.remote_id
    assert len(peer.server_posts(account)) == 1


def _eventually(check: Any, seconds: float = 5.0) -> None:
    deadline = time.monotonic() + seconds
    while not check():
        assert time.monotonic() < deadline, "the server never did it"
        time.sleep(0.05)


def _do(peer: Any, account: Any, op: str) -> None:
    if op == "publish":
        peer.connector.publish(account, Draft(text=_unique()), _key(), ())
    else:
        peer.connector.fetch(account, "home")
