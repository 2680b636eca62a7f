"""The rules' Language condition on every network that says a post's language: a Mastodon
status's `language` (the mock) and a Nostr note's NIP-32 `l` label in the ISO-639-1 namespace
(the relay), as Bluesky's `langs` already were (tests/listening/test_networks.py). Before, only
Bluesky's were stored, so a rule `language: de` hid nothing on the other two."""

from __future__ import annotations

import time
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.utils import timezone

from hubbub.connections.models import Connection
from hubbub.listening import apply, services
from hubbub.listening.conditions import spec_from
from hubbub.listening.models import ItemMark
from hubbub.networks.base import Account
from hubbub.networks.nostr import keys
from hubbub.timeline.models import Feed, Item
from hubbub.timeline.polling import poll_feed
from hubbub.timeline.selectors import ensure_feed
from tests.timeline.conftest import connection_of

pytestmark = pytest.mark.django_db(transaction=True)

GERMAN = spec_from({"conditions": [{"kind": "language", "values": ["de"]}],
                    "actions": [{"kind": "hide"}]})


def _hidden_texts(user: User) -> list[str]:
    """What the German rule hides, once saved and applied to what is stored."""
    assert apply.preview(user.pk, GERMAN, days=1).matched == 1
    services.save_rule(user, GERMAN, name="no German", expires_at=None)
    apply.recompute(user.pk)
    return sorted(ItemMark.objects.filter(hidden_until__gt=timezone.now())
                  .values_list("item__text", flat=True))


def test_a_mastodon_status_language_is_seen_by_the_rule(mastodon_peer: Any) -> None:
    user = User.objects.create_user("masto-lang")
    reader, writer = mastodon_peer.new_account(), mastodon_peer.new_account()
    mastodon_peer.follow(reader, writer)
    connection = Connection(user=user, network="mastodon", base_url=mastodon_peer.base_url,
                            remote_id=reader.id, handle=f"@{reader.username}@localhost")
    connection.credentials = {"access_token": reader.access_token}
    connection.save()
    home = ensure_feed(connection, "home")
    mastodon_peer.post_as(writer, "Guten Morgen", language="de")
    mastodon_peer.post_as(writer, "Good morning", language="en")
    mastodon_peer.post_as(writer, "No language said")
    poll_feed(Feed.objects.select_related("connection").get(pk=home.pk))
    assert Item.objects.filter(connection=connection).count() == 3
    assert Item.objects.get(text="Guten Morgen").extra["langs"] == ["de"]
    assert _hidden_texts(user) == ["Guten Morgen"]


def test_a_nostr_language_label_is_seen_by_the_rule(nostr_peer: Any) -> None:
    user = User.objects.create_user("nostr-lang")
    me = nostr_peer.keygen()
    account = Account(base_url=nostr_peer.url,
                      credentials={"secret_key_hex": me.sk, "relays": [nostr_peer.url]},
                      remote_id=me.pk, handle=keys.npub(me.pk))
    author = ensure_feed(connection_of(user, "nostr", account), "author")
    start = int(time.time()) - 100
    notes = [
        ("Guten Morgen", [["L", "ISO-639-1"], ["l", "de", "ISO-639-1"]]),
        ("Good morning", [["l", "en", "ISO-639-1"]]),
        ("A German label of another namespace", [["l", "de", "ugc"]]),
        ("No label", []),
    ]
    for n, (text, tags) in enumerate(notes):
        assert nostr_peer.publish(nostr_peer.sign(me, text, tags=tags,
                                                  created_at=start + n)).ok
    poll_feed(Feed.objects.select_related("connection").get(pk=author.pk))
    assert Item.objects.filter(network="nostr").count() == 4
    assert Item.objects.get(text="Guten Morgen").extra["langs"] == ["de"]
    assert _hidden_texts(user) == ["Guten Morgen"]
