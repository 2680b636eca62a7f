"""Fixtures the integration tests of the composer and the engine share: the hub's owner, and a
client signed in as them. A module that needs another owner (a transactional one, a second
person) defines its own, which takes precedence here."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User
from django.test import Client


@pytest.fixture
def owner(db: None) -> User:
    return User.objects.create_user("owner", password="a-long-enough-password")


@pytest.fixture
def client_in(owner: User) -> Client:
    client = Client()
    client.force_login(owner)
    return client
