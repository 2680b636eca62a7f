"""The conversations of LinkedIn, Facebook, Threads and Instagram when the network fails: a
rate limit on the comments read answers RateLimited, a server error Transient, each from the
connector's existing error classes (the replies page says them as sentences)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from hubbub.networks.base import Draft
from hubbub.networks.errors import RateLimited, Transient
from tests.integration.facebook_support import make_fb_world
from tests.integration.instagram_support import make_ig_world
from tests.integration.linkedin_support import make_li_world
from tests.integration.threads_support import make_threads_world
from tests.peers.facebook.peer import FacebookPeer
from tests.peers.instagram.peer import InstagramPeer
from tests.peers.linkedin.peer import LinkedInPeer
from tests.peers.threads.peer import ThreadsPeer

FAILURES = [("rate limit", RateLimited), ("server error", Transient)]


@pytest.mark.parametrize(("what", "error"), FAILURES)
def test_facebook(fb_peer: FacebookPeer, monkeypatch: pytest.MonkeyPatch, what: str,
                  error: type[Exception]) -> None:
    world = make_fb_world(fb_peer, monkeypatch)
    account, _, _ = world.account()
    root = world.connector.publish(account, Draft("root"), "k", ())
    fb_peer.fail_next("GET", "/{object-id}/comments", "17" if what == "rate limit" else "503",
                      count=5)
    with pytest.raises(error):
        world.connector.conversation(account, root.remote_id)


@pytest.mark.parametrize(("what", "error"), FAILURES)
def test_threads(threads_peer: ThreadsPeer, monkeypatch: pytest.MonkeyPatch, settings: Any,
                 live_server: Any, tmp_path: Path, what: str, error: type[Exception]) -> None:
    world = make_threads_world(threads_peer, monkeypatch, settings, live_server.url,
                               tmp_path / "media")
    account, _ = world.account()
    root, _ = world.publish(account, Draft("root"))
    threads_peer.fail_next("GET", "/{media-id}/conversation",
                           "17" if what == "rate limit" else "503", count=5)
    with pytest.raises(error):
        world.connector.conversation(account, root.remote_id)


@pytest.mark.parametrize(("what", "error"), FAILURES)
def test_instagram(instagram_peer: InstagramPeer, monkeypatch: pytest.MonkeyPatch,
                   settings: Any, live_server: Any, tmp_path: Path, what: str,
                   error: type[Exception]) -> None:
    world = make_ig_world(instagram_peer, monkeypatch, settings, live_server.url,
                          tmp_path / "media")
    account = world.account()
    draft = Draft(text="root", media=(world.picture("r.jpg", (0, 90, 0)),))
    ids = tuple(world.connector.upload_media(account, m) for m in draft.media)
    prepared = {"stage": world.connector.stage(account, draft, ids, {})}
    root = world.connector.publish(account, draft, "k", ids, prepared)
    instagram_peer.fail_next("GET", "/{ig-media-id}/comments",
                             "4" if what == "rate limit" else "503", count=5)
    with pytest.raises(error):
        world.connector.conversation(account, root.remote_id)


@pytest.mark.parametrize(("what", "error"), FAILURES)
def test_linkedin(li_peer: LinkedInPeer, monkeypatch: pytest.MonkeyPatch, what: str,
                  error: type[Exception]) -> None:
    world = make_li_world(li_peer, monkeypatch)
    account = world.member_account()
    root = world.connector.publish(account, Draft("root"), "k", ())
    li_peer.fail_next("GET", "/rest/socialActions/{urn}/comments",
                      "429" if what == "rate limit" else "503", count=5)
    with pytest.raises(error):
        world.connector.conversation(account, root.remote_id)
