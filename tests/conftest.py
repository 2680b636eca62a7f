"""Shared test set-up. Peer servers and their fixtures live in tests/peers/."""

from __future__ import annotations

import pytest

from tests import loopback

pytest_plugins = ["tests.peers.fixtures", "tests.peers.fixtures_open", "tests.browser.fixtures",
                  "tests.peers.fixtures_instagram", "tests.peers.fixtures_threads",
                  "tests.peers.blossom_fixtures"]


def pytest_sessionstart() -> None:
    loopback.install()  # and every hub process a test starts (tests/hubmain.py)


def pytest_runtest_setup(item: pytest.Item) -> None:
    """A test marked `postgresql` (a race SQLite's one writer cannot have) skips on SQLite, the
    default run's database; tests/test_postgresql_only.py runs them all on PostgreSQL."""
    marker = item.get_closest_marker("postgresql")
    if marker is None:
        return
    from django.db import connection

    if connection.vendor != "postgresql":
        pytest.skip(f"PostgreSQL: {marker.kwargs.get('reason', 'only there')}")
