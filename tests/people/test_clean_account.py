"""Issue 12's walkthrough #13: a Person's account that can never be any item's author is refused,
saying what the chosen network's accounts look like: an npub that does not decode, a Mastodon
"handle" without its server, a Bluesky one that is no domain. What the networks give is taken."""

from __future__ import annotations

import re

import pytest
from django.contrib.auth.models import User
from django.test import Client

from hubbub.listening.conditions import Invalid
from hubbub.networks.nostr import keys
from hubbub.people import services
from hubbub.people.models import Person, PersonAccount

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(("network", "handle", "said"), [
    ("nostr", "npub1notvalid", "“npub1notvalid” is not a valid Nostr key: give an npub"),
    ("nostr", "npub1" + "q" * 58, "is not a valid Nostr key"),  # the checksum is wrong
    ("nostr", "@ana@social.example", "is not a valid Nostr key"),
    ("mastodon", "Ana Lima", "A handle is one word"),
    ("mastodon", "ana", "“ana” is not a Mastodon account: give @name@server"),
    ("mastodon", "not_a_handle!!", "is not a Mastodon account"),
    ("bluesky", "ana", "“ana” is not a Bluesky account: give a handle such as ana.bsky.social"),
    ("bluesky", "ana!.bsky.social", "is not a Bluesky account"),
])
def test_what_is_no_account_of_the_network_is_refused(network: str, handle: str,
                                                      said: str) -> None:
    with pytest.raises(Invalid, match=re.escape(said)):
        services.clean_account(network, handle)


@pytest.mark.parametrize(("network", "handle", "kept"), [
    ("nostr", keys.npub("7e" * 32), keys.npub("7e" * 32)),
    ("nostr", "7e" * 32, keys.npub("7e" * 32)),  # a hex key, kept as its npub
    ("mastodon", "@Ana@Social.Example", "ana@social.example"),
    ("mastodon", "@ada@localhost", "ada@localhost"),
    ("mastodon", "ada@127.0.0.1:3000", "ada@127.0.0.1:3000"),
    ("bluesky", "@ana.bsky.social", "ana.bsky.social"),
    ("bluesky", "did:plc:abcdefghijklmnopqrstuvwx", "did:plc:abcdefghijklmnopqrstuvwx"),
    ("bluesky", "did:web:ana.example", "did:web:ana.example"),
])
def test_the_networks_accounts_are_taken(network: str, handle: str, kept: str) -> None:
    assert services.clean_account(network, handle) == (network, kept, "")


def test_the_person_page_says_why(client: Client) -> None:
    alice = User.objects.create_user("alice")
    ana = Person.objects.create(user=alice, name="Ana")
    client.force_login(alice)
    answer = client.post(f"/people/{ana.pk}/accounts/",
                         {"network": "nostr", "handle": "npub1notvalid"})
    assert answer.status_code == 400
    assert "is not a valid Nostr key" in answer.content.decode()
    assert not PersonAccount.objects.exists()
