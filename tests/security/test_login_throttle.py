"""Login throttling against someone who knows the owner's name: they slow themselves down,
never the owner. The clock is the throttle's, moved by the test."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from hubbub import cli
from hubbub.accounts import throttle
from hubbub.accounts.models import LoginFailure

pytestmark = pytest.mark.django_db

PASSWORD = "correct horse battery staple"
HOME = "198.51.100.20"  # the owner's usual address


@pytest.fixture
def owner(db: None) -> User:
    return User.objects.create_user("owner", password=PASSWORD, is_superuser=True)


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> list[datetime]:
    moment = [timezone.now()]
    monkeypatch.setattr(throttle, "clock", lambda: moment[0])
    return moment


def _login(client: Client, address: str, password: str = PASSWORD,
           username: str = "owner") -> Any:
    return client.post(reverse("accounts:login"), {"username": username, "password": password},
                       REMOTE_ADDR=address)


def _attack(address: str, clock: list[datetime], rounds: int) -> list[int]:
    """Wrong passwords from one address, as fast as it is let through: each round waits out
    whatever wait is in force (moving the clock), then tries again."""
    attacker = Client()
    statuses = []
    for _ in range(rounds):
        response = _login(attacker, address, password="guess")
        statuses.append(response.status_code)
        left = throttle.standing(throttle.Attempt("owner", address), now=clock[0]).wait
        if left is not None:
            clock[0] += timedelta(seconds=left.seconds_left)
    return statuses


def test_an_attacker_at_one_address_does_not_stop_the_owner_at_another(
    owner: User, clock: list[datetime]
) -> None:
    statuses = _attack("203.0.113.66", clock, rounds=60)
    assert statuses.count(429) >= 50  # the attacker waits after each guess past the free five
    # Meanwhile the owner, from home and a new browser (no device cookie), gets straight in.
    response = _login(Client(), HOME)
    assert response.status_code == 302
    assert response["Location"] == reverse("publishing:compose")


def test_a_burst_from_one_address_is_held_back_too(owner: User, clock: list[datetime]) -> None:
    statuses = [_login(Client(), "203.0.113.66", password="guess").status_code
                for _ in range(40)]
    assert statuses[:4] == [400] * 4
    assert set(statuses[4:]) == {429}
    # Only the free tries and the one that started the wait were ever checked and counted.
    assert LoginFailure.objects.count() == 5
    assert _login(Client(), HOME).status_code == 302


def test_the_owners_known_device_gets_in_while_their_name_waits_everywhere_else(
    owner: User, clock: list[datetime]
) -> None:
    browser = Client()
    assert _login(browser, HOME).status_code == 302
    browser.post(reverse("accounts:logout"))
    # Many addresses together guess the owner's name until it waits for every unknown device.
    for n in range(30):
        _login(Client(), f"203.0.113.{n + 1}", password="guess")
    assert _login(Client(), HOME).status_code == 429  # a new browser at home waits too
    stranger = _login(Client(), "192.0.2.99")
    assert stranger.status_code == 429
    assert b"Too many failed attempts; try again in" in stranger.content
    # The owner's own browser, with its device cookie, is judged apart and gets in.
    response = _login(browser, HOME)
    assert response.status_code == 302
    assert "_auth_user_id" in browser.session
    # ... also from another address (a phone on the move keeps its cookie).
    browser.post(reverse("accounts:logout"))
    assert _login(browser, "192.0.2.200").status_code == 302


def test_a_known_device_has_its_own_free_tries_and_waits(
    owner: User, settings: Any, clock: list[datetime]
) -> None:
    settings.HUBBUB_LOGIN_MAX_FAILURES = 3
    browser = Client()
    _login(browser, HOME)
    browser.post(reverse("accounts:logout"))
    first = _login(browser, HOME, password="typo")
    assert b"2 tries left before a 1-minute wait." in first.content
    _login(browser, HOME, password="typo")
    assert _login(browser, HOME, password="typo").status_code == 429
    assert _login(browser, HOME).status_code == 429
    # Those failures were the device's alone: a new browser at the same address is not held.
    assert _login(Client(), HOME).status_code == 302


def test_the_warning_comes_before_the_wait(owner: User, clock: list[datetime]) -> None:
    browser = Client()
    texts = [_login(browser, HOME, password="typo").content.decode() for _ in range(5)]
    assert "tries left" not in texts[0]
    assert "tries left" not in texts[1]
    assert "2 tries left before a 1-minute wait." in texts[2]
    assert "1 try left before a 1-minute wait." in texts[3]
    assert "Too many failed attempts; try again in 1 minute." in texts[4]


def test_hubbub_unlock_clears_the_users_waits(
    owner: User, clock: list[datetime], monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setattr(cli, "migrate", lambda verbosity=0: None)  # the test database is ready
    for n in range(30):
        _login(Client(), f"203.0.113.{n + 1}", password="guess")
    assert _login(Client(), HOME).status_code == 429
    counted = LoginFailure.objects.filter(username="owner").count()
    assert counted == 20  # the account's free tries from unknown devices; the rest waited
    assert cli.main(["unlock", "owner", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out == {"username": "owner", "address": None, "cleared_failures": counted}
    assert _login(Client(), HOME).status_code == 302


def test_hubbub_unlock_can_clear_an_address_and_names_mistakes(
    owner: User, clock: list[datetime], monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setattr(cli, "migrate", lambda verbosity=0: None)
    for n in range(25):  # guesses at many names from the owner's own (shared) address
        _login(Client(), HOME, password="guess", username=f"someone{n}")
    assert _login(Client(), HOME).status_code == 429
    assert cli.main(["unlock", "owner", "--address", HOME]) == 0
    assert "cleared 20 failed logins of owner and from 198.51.100.20" in capsys.readouterr().out
    assert _login(Client(), HOME).status_code == 302
    assert cli.main(["unlock", "nobody", "--json"]) == 2
    assert "No user named 'nobody'" in json.loads(capsys.readouterr().out)["error"]
    assert cli.main(["unlock", "owner", "--address", "not-an-ip"]) == 2
    assert "'not-an-ip' is not an IP address." in capsys.readouterr().err


def test_behind_a_trusted_proxy_each_visitor_is_counted_by_their_own_address(
    owner: User, settings: Any, clock: list[datetime]
) -> None:
    settings.HUBBUB_TRUSTED_PROXIES = ["10.0.0.0/8"]
    proxy = {"REMOTE_ADDR": "10.0.0.2"}
    attacker = Client()
    for _ in range(10):
        attacker.post(reverse("accounts:login"), {"username": "owner", "password": "guess"},
                      HTTP_X_FORWARDED_FOR="203.0.113.66", **proxy)
    assert LoginFailure.objects.filter(ip="203.0.113.66").count() == 5
    # The owner comes through the same proxy from their own address and gets in.
    response = Client().post(reverse("accounts:login"),
                             {"username": "owner", "password": PASSWORD},
                             HTTP_X_FORWARDED_FOR=HOME, **proxy)
    assert response.status_code == 302


def test_a_forwarded_header_from_anyone_else_is_not_a_way_around_the_waits(
    owner: User, clock: list[datetime]
) -> None:
    attacker = Client()
    statuses = [
        attacker.post(reverse("accounts:login"), {"username": "owner", "password": "guess"},
                      REMOTE_ADDR="203.0.113.66", HTTP_X_FORWARDED_FOR=f"192.0.2.{n}").status_code
        for n in range(10)
    ]
    assert statuses[5:] == [429] * 5
    assert set(LoginFailure.objects.values_list("ip", flat=True)) == {"203.0.113.66"}
