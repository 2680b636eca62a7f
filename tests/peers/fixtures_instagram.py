"""pytest fixtures for the Instagram stand-in (registered in tests/conftest.py).

- `instagram_peer`: the Instagram API with Instagram Login stand-in (tests/peers/instagram/),
  fresh state per test; a request that broke one of Meta's documented rules fails the test at
  teardown (a test that breaks one on purpose takes the records with
  protocol_errors(clear=True)). `instagram_standin` is the session's server behind it.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.peers.instagram.peer import InstagramPeer, start_instagram_peer


@pytest.fixture(scope="session")
def instagram_standin() -> Iterator[InstagramPeer]:
    """The Instagram stand-in (tests/peers/instagram/README.md), one server for the session."""
    peer = start_instagram_peer()
    try:
        yield peer
    finally:
        peer.close()


@pytest.fixture
def instagram_peer(instagram_standin: InstagramPeer) -> Iterator[InstagramPeer]:
    """The Instagram stand-in with fresh state; fails the test if any request broke a rule
    Meta documents."""
    instagram_standin.reset()
    yield instagram_standin
    errors = instagram_standin.protocol_errors()
    instagram_standin.reset()
    assert not errors, "Instagram protocol errors:\n" + "\n".join(map(str, errors))
