"""pytest fixtures for the Threads stand-in (registered in tests/conftest.py).

- `threads_peer`: the Threads API stand-in (tests/peers/threads/README.md), fresh state per
  test; fails the test at teardown if any request broke a rule Meta documents (a test that
  breaks one on purpose takes it with protocol_errors(clear=True)).
- `threads_standin`: the session's server behind it.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.peers.threads.peer import ThreadsPeer, start_threads_peer


@pytest.fixture(scope="session")
def threads_standin() -> Iterator[ThreadsPeer]:
    """The Threads stand-in (tests/peers/threads/README.md), one server for the session."""
    peer = start_threads_peer()
    try:
        yield peer
    finally:
        peer.close()


@pytest.fixture
def threads_peer(threads_standin: ThreadsPeer) -> Iterator[ThreadsPeer]:
    """The Threads stand-in with fresh state; fails the test if any request broke a rule Meta
    documents (take them on purpose with protocol_errors(clear=True))."""
    threads_standin.reset()
    yield threads_standin
    errors = threads_standin.protocol_errors()
    threads_standin.reset()
    assert not errors, "Threads protocol errors:\n" + "\n".join(map(str, errors))
