"""The rules' tests' set-up (tests/listening/conftest.py) for the catch-up tests: users, a made-up
network, items, and the rules cache emptied around each test."""

from tests.listening.conftest import alice, bob, feed, fresh_rules_cache, scripted_network

__all__ = ["alice", "bob", "feed", "fresh_rules_cache", "scripted_network"]
