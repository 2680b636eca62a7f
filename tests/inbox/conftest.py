"""The inbox's set-up: the timeline's users and made-up network, the rules cache fresh."""

from collections.abc import Iterator

import pytest

from hubbub.listening import effects
from tests.timeline.conftest import alice, bob, feed, scripted_network

__all__ = ["alice", "bob", "feed", "scripted_network"]


@pytest.fixture(autouse=True)
def _fresh_rules_cache() -> Iterator[None]:
    effects.forget_all()
    yield
    effects.forget_all()
