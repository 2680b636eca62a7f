"""pytest fixtures for the Blossom media server stand-in (tests/peers/blossom.py).

- `blossom_server` (session): the stand-in, one process for the session.
- `blossom_peer`: the same server with no blobs, default settings and an empty log.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.peers.blossom import BlossomPeer, start_blossom_peer


@pytest.fixture(scope="session")
def blossom_server() -> Iterator[BlossomPeer]:
    """The Blossom stand-in, one process for the session."""
    peer = start_blossom_peer()
    try:
        yield peer
    finally:
        peer.close()


@pytest.fixture
def blossom_peer(blossom_server: BlossomPeer) -> Iterator[BlossomPeer]:
    """The Blossom stand-in with no blobs, default settings and an empty log."""
    blossom_server.reset()
    yield blossom_server
    blossom_server.reset()
