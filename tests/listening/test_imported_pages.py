"""The "Import mutes and filters" form: listed on the Rules page for one's own Mastodon, Bluesky
and Nostr accounts; a POST with CSRF; another person's account, another network or a
30-digit id is a 404; a network that does not answer shows its sentence and changes nothing."""

from __future__ import annotations

import socket

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.urls import reverse

from hubbub.connections.models import Connection
from hubbub.listening import imported
from hubbub.listening.models import Rule
from hubbub.networks.mutes import Found, Muted
from hubbub.networks.nostr import mutes as nostr_mutes

pytestmark = pytest.mark.django_db


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


def _masto(user: User, base_url: str = "http://127.0.0.1:9",
           handle: str = "@me@masto.example") -> Connection:
    connection = Connection(user=user, network="mastodon", base_url=base_url, remote_id="1",
                            handle=handle)
    connection.credentials = {"access_token": "t"}
    connection.save()
    return connection


def _web(user: User, *, enforce_csrf_checks: bool = False) -> Client:
    client = Client(enforce_csrf_checks=enforce_csrf_checks)
    client.force_login(user)
    return client


def test_the_rules_page_lists_only_ones_own_importable_accounts(alice: User, bob: User) -> None:
    _masto(alice)
    Connection.objects.create(user=alice, network="x", base_url="https://x.example",
                              remote_id="2", handle="@me_on_x")
    _masto(bob, handle="@bob@masto.example")
    page = _web(alice).get(reverse("listening:rules")).content.decode()
    assert "Import mutes and filters from @me@masto.example" in page
    assert "@me_on_x" not in page
    assert "@bob@masto.example" not in page


def test_csrf_owner_and_bad_ids(alice: User, bob: User) -> None:
    mine, theirs = _masto(alice), _masto(bob)
    url = reverse("listening:import_mutes", args=[mine.pk])
    assert _web(alice, enforce_csrf_checks=True).post(url).status_code == 403
    assert _web(alice).get(url).status_code == 405
    web = _web(alice)
    assert web.post(reverse("listening:import_mutes", args=[theirs.pk])).status_code == 404
    assert web.post(f"/rules/import-mutes/{'9' * 30}/").status_code == 404
    other = Connection.objects.create(user=alice, network="x", base_url="https://x.example",
                                      remote_id="2", handle="@me_on_x")
    assert web.post(reverse("listening:import_mutes", args=[other.pk])).status_code == 404
    assert not Rule.objects.exists()


def test_a_network_that_does_not_answer_changes_nothing(alice: User) -> None:
    connection = _masto(alice, f"http://127.0.0.1:{_closed_port()}")
    earlier = Rule.objects.create(user=alice, name=imported.prefix(connection) + "2 muted words",
                                  conditions=[{"kind": "words", "values": ["a", "b"],
                                               "negate": False}],
                                  actions=[{"kind": "hide"}])
    response = _web(alice).post(reverse("listening:import_mutes", args=[connection.pk]))
    assert response.status_code == 200
    page = response.content.decode()
    assert "Nothing was imported" in page
    assert "Mastodon said:" in page
    assert list(Rule.objects.all()) == [earlier]


def test_long_values_are_skipped_and_many_split_into_rules(alice: User) -> None:
    """What was read becomes rules of at most 200 values each; a megabyte keyword is skipped."""
    connection = _masto(alice)
    found = Found(entries=[Muted("words", "x" * 1_000_000, "filter keyword")]
                  + [Muted("author", f"@p{n}@masto.example", "muted account") for n in range(450)])
    planned, report = imported._plan(connection, found)
    assert any("longer than 300 characters" in s for s in report.skipped)
    assert report.total == 450
    names = sorted(name for _, name in planned)
    prefix = imported.prefix(connection)
    assert names == [prefix + "200 muted accounts (part 1 of 3)",
                     prefix + "200 muted accounts (part 2 of 3)",
                     prefix + "50 muted accounts (part 3 of 3)"]


def test_a_nostr_list_with_odd_tags() -> None:
    found = nostr_mutes.from_event({"tags": [["p", "not-a-key"], ["p"], "junk", ["t", ""],
                                             ["word", "  spoiler "], ["p", "AB" * 32]],
                                    "content": "encrypted?iv=x"})
    assert [(m.kind, m.value) for m in found.entries] == [("words", "spoiler"),
                                                          ("author", "ab" * 32)]
    assert any("not a Nostr public key" in s for s in found.skipped)
    assert any("private (encrypted) entries" in s for s in found.skipped)
    assert nostr_mutes.from_event(None).entries == []
