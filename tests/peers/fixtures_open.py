"""pytest fixtures for the open networks' real servers (a plugin: `-p tests.peers.fixtures_open`).

- `bluesky_peer` (session): the reference AT Protocol network (tests/peers/bluesky.py): PDS,
  AppView (on the local PostgreSQL), PLC, Ozone; `pds_url`, `appview_url`, `plc_url`, and
  helpers `create_account(handle_prefix)`, `follow(a, b)`, `post`, `create_record`,
  `get_record`, `timeline`, `appview_get`, `xrpc`/`xrpc_raw`; `tid()` and `wait_for()` in the
  module.
- `nostr_peer` (session): nostr-relay (tests/peers/nostr.py): `url` (ws://127.0.0.1:PORT),
  `query(filter)`, `publish(event)`, `keygen()`, `sign(keys, content, kind=, tags=)`.

Each server is installed when missing (the first Bluesky install takes a few minutes), started
once per test session on free loopback ports, and stopped at the end (SIGTERM, then SIGKILL of
its process group; temp folders wiped; the AppView's schemas dropped).

Without PostgreSQL on 127.0.0.1:5432, `bluesky_peer` skips, unless CI or HUBBUB_PEERS_REQUIRED
is set: then it fails.
"""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

from tests.peers.bluesky import BlueskyPeer, pg_url, postgres_reachable, start_bluesky_peer
from tests.peers.nostr import NostrPeer, start_nostr_peer


def _required() -> bool:
    return bool(os.environ.get("CI") or os.environ.get("HUBBUB_PEERS_REQUIRED"))


@pytest.fixture(scope="session")
def bluesky_peer() -> Iterator[BlueskyPeer]:
    if not postgres_reachable():
        message = f"the Bluesky AppView needs PostgreSQL at {pg_url()}, which does not answer"
        if _required():
            pytest.fail(message)
        pytest.skip(message)
    peer = start_bluesky_peer()
    try:
        yield peer
    finally:
        peer.close()


@pytest.fixture(scope="session")
def nostr_peer() -> Iterator[NostrPeer]:
    peer = start_nostr_peer()
    try:
        yield peer
    finally:
        peer.close()
