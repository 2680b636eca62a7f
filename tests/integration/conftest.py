"""Fixtures the integration tests share: the hub's owner, a client signed in as them, and a
fault proxy in front of the Nostr relay. A module that needs another owner (a transactional
one, a second person) defines its own, which takes precedence here."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from django.contrib.auth.models import User
from django.test import Client

from tests.peers.nostr import NostrPeer
from tests.peers.nostr_faults import NostrFaultProxy


@pytest.fixture
def owner(db: None) -> User:
    return User.objects.create_user("owner", password="a-long-enough-password")


@pytest.fixture
def client_in(owner: User) -> Client:
    client = Client()
    client.force_login(owner)
    return client


@pytest.fixture
def proxy(nostr_peer: NostrPeer) -> Iterator[NostrFaultProxy]:
    """A fault proxy in front of the Nostr relay (tests/peers/nostr_faults.py)."""
    fault_proxy = NostrFaultProxy(nostr_peer.port)
    try:
        yield fault_proxy
    finally:
        fault_proxy.close()
