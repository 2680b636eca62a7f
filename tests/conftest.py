"""Shared test set-up. Peer servers and their fixtures live in tests/peers/."""

from __future__ import annotations

from tests import loopback

pytest_plugins = ["tests.peers.fixtures", "tests.peers.fixtures_open", "tests.browser.fixtures",
                  "tests.peers.fixtures_instagram", "tests.peers.fixtures_threads",
                  "tests.peers.blossom_fixtures"]


def pytest_sessionstart() -> None:
    loopback.install()  # and every hub process a test starts (tests/hubmain.py)
