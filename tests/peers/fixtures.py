"""pytest fixtures for the real local peers (registered in tests/conftest.py).

- `mastodon_peer` (session): a running mastodon-mock; see tests/peers/mastodon.py for helpers
  (new_account, reset, add_fault, clear_faults, statuses, post_as, follow, revoke, authorize).
- `mastodon_faults`: the same peer, with every fault cleared after the test (use it to inject).
- `mastodon_fault_proxy`: a FaultProxy in front of it (tests/peers/proxy.py), for answers lost
  after the server did the work.
- `x_peer`: the X API v2 stand-in (tests/peers/x/), fresh state per test, OpenAPI validation
  failures asserted at teardown; `x_standin` is the session's server behind it.
- `li_peer`: the LinkedIn stand-in (tests/peers/linkedin/), fresh state per test, requests that
  broke one of LinkedIn's documented rules asserted at teardown; `li_standin` is the session's
  server behind it.
- `fb_peer`: the Facebook Login + Graph API stand-in (tests/peers/facebook/), fresh state per
  test, requests that broke a rule Meta documents asserted at teardown; `fb_standin` is the
  session's server behind it.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.peers.facebook.peer import FacebookPeer, start_fb_peer
from tests.peers.linkedin.peer import LinkedInPeer, start_li_peer
from tests.peers.mastodon import MastodonPeer, start_mastodon_peer
from tests.peers.proxy import FaultProxy
from tests.peers.x.peer import XPeer, start_x_peer


@pytest.fixture(scope="session")
def mastodon_peer() -> Iterator[MastodonPeer]:
    """mastodon-mock running for the whole session (tests make their own accounts)."""
    peer = start_mastodon_peer()
    try:
        yield peer
    finally:
        peer.close()


@pytest.fixture
def mastodon_faults(mastodon_peer: MastodonPeer) -> Iterator[MastodonPeer]:
    """The session's peer; faults injected during the test are cleared afterwards."""
    mastodon_peer.clear_faults()
    yield mastodon_peer
    mastodon_peer.clear_faults()


@pytest.fixture
def mastodon_fault_proxy(mastodon_peer: MastodonPeer) -> Iterator[FaultProxy]:
    proxy = FaultProxy(mastodon_peer.port)
    try:
        yield proxy
    finally:
        proxy.close()


@pytest.fixture(scope="session")
def x_standin() -> Iterator[XPeer]:
    """The X API v2 stand-in (tests/peers/x/README.md), one server for the session."""
    peer = start_x_peer()
    try:
        yield peer
    finally:
        peer.close()


@pytest.fixture
def x_peer(x_standin: XPeer) -> Iterator[XPeer]:
    """The X stand-in with fresh state; fails the test if any request or answer broke X's
    OpenAPI document (a test that sends one on purpose takes it with
    validation_errors(clear=True))."""
    x_standin.reset()
    yield x_standin
    errors = x_standin.validation_errors()
    x_standin.reset()
    assert not errors, "X OpenAPI validation failures:\n" + "\n".join(map(str, errors))


@pytest.fixture(scope="session")
def li_standin() -> Iterator[LinkedInPeer]:
    """The LinkedIn stand-in (tests/peers/linkedin/README.md), one server for the session."""
    peer = start_li_peer()
    try:
        yield peer
    finally:
        peer.close()


@pytest.fixture
def li_peer(li_standin: LinkedInPeer) -> Iterator[LinkedInPeer]:
    """The LinkedIn stand-in with fresh state; fails the test if any request broke one of
    LinkedIn's documented rules (missing headers, URNs not encoded, malformed bodies...). A
    test that sends one on purpose takes the records with protocol_errors(clear=True)."""
    li_standin.reset()
    yield li_standin
    errors = li_standin.protocol_errors()
    li_standin.reset()
    assert not errors, "LinkedIn protocol errors:\n" + "\n".join(map(str, errors))


@pytest.fixture(scope="session")
def fb_standin() -> Iterator[FacebookPeer]:
    """The Facebook Login + Graph API stand-in (tests/peers/facebook/README.md)."""
    peer = start_fb_peer()
    try:
        yield peer
    finally:
        peer.close()


@pytest.fixture
def fb_peer(fb_standin: FacebookPeer) -> Iterator[FacebookPeer]:
    """The Facebook stand-in with fresh state; fails the test if any request broke a rule
    Meta documents (a test that breaks one on purpose takes it with
    protocol_errors(clear=True))."""
    fb_standin.reset()
    yield fb_standin
    errors = fb_standin.protocol_errors()
    fb_standin.reset()
    assert not errors, "Facebook protocol errors:\n" + "\n".join(map(str, errors))
