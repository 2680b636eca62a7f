"""Guesses sent all at once, from threads released together, get no more tries than the same
guesses one after another: each attempt is written down before its password is checked."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.db import connections
from django.test import Client
from django.urls import reverse

from hubbub.accounts.models import LoginFailure

PASSWORD = "correct horse battery staple"
GUESSES = 16


@pytest.mark.django_db(transaction=True)
def test_a_burst_of_parallel_guesses_gets_only_the_free_tries(settings: Any) -> None:
    settings.HUBBUB_LOGIN_MAX_FAILURES = 5
    # The hub's own hasher: checking a password takes a while, as it does for a real guess,
    # so the guesses really are in flight together (the tests' MD5 is over in microseconds).
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.Argon2PasswordHasher"]
    User.objects.create_user("owner", password=PASSWORD)
    barrier = threading.Barrier(GUESSES)

    def guess(n: int) -> int:
        try:
            client = Client()
            barrier.wait()
            response = client.post(reverse("accounts:login"),
                                   {"username": "owner", "password": f"guess {n}"},
                                   REMOTE_ADDR="203.0.113.66")
            return response.status_code
        finally:
            connections.close_all()

    with ThreadPoolExecutor(GUESSES) as pool:
        statuses = list(pool.map(guess, range(GUESSES)))

    assert set(statuses) <= {400, 429}, statuses
    # At most the free tries were checked: the fifth failure starts the wait, so at most four
    # answers say "do not match" and the rest are told to wait. (Fewer is fine: an attempt
    # still being checked counts against those beside it.)
    assert statuses.count(400) <= 4, statuses
    assert LoginFailure.objects.count() <= 5
    # The owner elsewhere is untouched by it.
    owner = Client().post(reverse("accounts:login"), {"username": "owner", "password": PASSWORD},
                          REMOTE_ADDR="198.51.100.20")
    assert owner.status_code == 302
