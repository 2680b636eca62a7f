"""The timeline's set-up (users, a made-up network, items) for the rules' tests, and a rules
cache emptied around each test; the inbox, People and catch-up tests take the same."""

from collections.abc import Iterator

import pytest

from hubbub.listening import effects
from tests.timeline.conftest import alice, bob, feed, scripted_network

__all__ = ["alice", "bob", "feed", "scripted_network"]


@pytest.fixture(autouse=True)
def fresh_rules_cache() -> Iterator[None]:
    """Compiled rules are cached per user id, and ids come back after a test's rollback."""
    effects.forget_all()
    yield
    effects.forget_all()
