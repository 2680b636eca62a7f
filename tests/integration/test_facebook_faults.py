"""Facebook's failures against the stand-in, each to the contract's kind: a timeout after the
post was stored (found, not posted again), 190 and its subcodes, the rate-limit codes with
their usage headers, a blocked Page, server errors before and after a post."""

from __future__ import annotations

import secrets
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from hubbub.networks.base import Draft
from hubbub.networks.errors import OutcomeUnknown, RateLimited, Rejected, Revoked, Transient
from tests.integration.facebook_support import FBWorld, live_posts, make_fb_world
from tests.peers.facebook.peer import FacebookPeer


@pytest.fixture
def fb_world(fb_peer: FacebookPeer, monkeypatch: pytest.MonkeyPatch) -> FBWorld:
    return make_fb_world(fb_peer, monkeypatch)


def _draft(text: str = "fault") -> Draft:
    return Draft(text=f"{text} {secrets.token_hex(4)}")


def _since() -> datetime:
    return datetime.now(UTC) - timedelta(seconds=5)


@pytest.mark.parametrize("kind", ["hold_after", "drop_after"])
def test_an_answer_lost_after_the_post_was_stored_is_found_not_reposted(
        fb_world: FBWorld, settings: Any, kind: str) -> None:
    settings.HUBBUB_HTTP_TIMEOUT = 1.0
    account, _, page = fb_world.account()
    since, draft = _since(), _draft("lost answer")
    prepared = fb_world.connector.prepare(account, draft, "k")
    fb_world.peer.fail_next("POST", "/{page-id}/feed", kind, seconds=3)
    with pytest.raises(OutcomeUnknown):
        fb_world.connector.publish(account, draft, "k", (), prepared)
    [stored] = live_posts(fb_world.peer, page)
    found = fb_world.connector.find_published(account, draft, "k", since, prepared)
    assert found is not None
    assert found.remote_id == stored["id"]
    # Were the engine to send it again, Facebook's duplicate refusal is matched to the post.
    assert fb_world.connector.publish(account, draft, "k", (), prepared).remote_id == stored["id"]
    assert len(live_posts(fb_world.peer, page)) == 1


def test_a_request_that_never_reached_facebook_is_not_found(fb_world: FBWorld,
                                                            settings: Any) -> None:
    settings.HUBBUB_HTTP_TIMEOUT = 0.5
    account, _, page = fb_world.account()
    since, draft = _since(), _draft("never there")
    fb_world.peer.fail_next("POST", "/{page-id}/feed", "drop")
    with pytest.raises((OutcomeUnknown, Transient)):
        fb_world.connector.publish(account, draft, "k", ())
    settings.HUBBUB_HTTP_TIMEOUT = 5.0  # the short wait was for the dropped publish only
    assert fb_world.connector.find_published(account, draft, "k", since) is None
    assert live_posts(fb_world.peer, page) == []


def test_a_changed_password_and_a_removed_app_say_what_to_do(fb_world: FBWorld) -> None:
    account, user, _ = fb_world.account()
    fb_world.peer.change_password(user)
    with pytest.raises(Revoked, match="password"):
        fb_world.connector.publish(account, _draft(), "k", ())
    account, user, _ = fb_world.account()
    fb_world.peer.deauthorize(user, fb_world.app_id)
    with pytest.raises(Revoked, match="removed"):
        fb_world.connector.whoami(account)


@pytest.mark.parametrize(("subcode", "words"), [(463, "expired"), (460, "password"),
                                                (458, "removed"), (467, "no longer accepts")])
def test_every_190_subcode_asks_to_reconnect(fb_world: FBWorld, subcode: int,
                                             words: str) -> None:
    account, _, page = fb_world.account()
    fb_world.peer.fail_next("POST", "/{page-id}/feed", "190", subcode=subcode)
    with pytest.raises(Revoked, match=words) as caught:
        fb_world.connector.publish(account, _draft(), "k", ())
    assert "reconnect Facebook on the Connections page" in caught.value.message
    assert live_posts(fb_world.peer, page) == []


@pytest.mark.parametrize("code", ["4", "17", "32", "613"])
def test_rate_limits_wait_and_the_next_call_waits_in_the_hub(fb_world: FBWorld,
                                                             code: str) -> None:
    account, _, page = fb_world.account()
    fb_world.peer.fail_next("POST", "/{page-id}/feed", code)
    before = datetime.now(UTC)
    with pytest.raises(RateLimited) as caught:
        fb_world.connector.publish(account, _draft(), "k", ())
    assert caught.value.retry_at > before
    assert code in caught.value.message
    seen = len(fb_world.peer.requests())
    # The answer said the usage is at 100%: the hub does not call again before the time.
    with pytest.raises(RateLimited):
        fb_world.connector.fetch(account, "own")
    assert len(fb_world.peer.requests()) == seen
    assert live_posts(fb_world.peer, page) == []


def test_a_blocked_page_is_rejected_saying_so(fb_world: FBWorld) -> None:
    account, _, page = fb_world.account()
    fb_world.peer.block_page(page)
    with pytest.raises(Rejected, match="blocked"):
        fb_world.connector.publish(account, _draft(), "k", ())
    fb_world.peer.block_page(page, blocked=False)
    fb_world.connector.publish(account, _draft(), "k2", ())
    assert len(live_posts(fb_world.peer, page)) == 1


def test_a_missing_permission_is_named(fb_world: FBWorld) -> None:
    account, _, _ = fb_world.account()
    fb_world.peer.fail_next("POST", "/{page-id}/feed", "200")
    with pytest.raises(Rejected, match="publish to the Page"):
        fb_world.connector.publish(account, _draft(), "k", ())


@pytest.mark.parametrize(("kind", "error"), [("503", Transient), ("2", OutcomeUnknown),
                                             ("500", OutcomeUnknown)])
def test_server_errors_before_and_after_a_post(fb_world: FBWorld, kind: str,
                                               error: type[Exception]) -> None:
    account, _, _ = fb_world.account()
    fb_world.peer.fail_next("POST", "/{page-id}/feed", kind)
    with pytest.raises(error):
        fb_world.connector.publish(account, _draft(), "k", ())
    fb_world.peer.fail_next("GET", "/{page-id}/posts", kind)
    with pytest.raises(Transient):
        fb_world.connector.fetch(account, "own")
