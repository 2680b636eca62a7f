"""Splitting a thread that names a Person (@[Ana Lima]): the name is never cut in two, and each
part is measured as it is sent on that network (Bluesky @ana.bsky.social, Nostr
nostr:npub1...), so the thread the composer proposes passes the checks it is sent through."""

from __future__ import annotations

from dataclasses import replace

import pytest
from django.contrib.auth.models import User
from django.utils import timezone

from hubbub.connections.models import Connection
from hubbub.networks.base import Draft
from hubbub.networks.nostr import keys
from hubbub.networks.registry import get_connector
from hubbub.people import services
from hubbub.publishing.customize import counter_for, split_for
from hubbub.publishing.mentions import PERSON_MENTION, people_of, write
from hubbub.publishing.outgoing import TargetCustom
from hubbub.publishing.target_drafts import check_targets
from tests.timeline.conftest import make_connection

pytestmark = pytest.mark.django_db

NPUB = keys.npub("e" * 64)


def _account(user: User, network: str, limit: int | None = None) -> Connection:
    connection = make_connection(user, network=network)
    # Limits as the network's defaults (or `limit`), read "now": no network is asked.
    caps = get_connector(network).default_capabilities()
    if limit is not None:
        caps = replace(caps, text_limit=limit)
    Connection.objects.filter(pk=connection.pk).update(
        capabilities_json=caps.to_json(), capabilities_fetched_at=timezone.now())
    connection.refresh_from_db()
    return connection


def _ana(user: User) -> None:
    ana = services.create_person(user, "Ana Lima")
    services.add_account(ana, "bluesky", "ana.bsky.social")
    services.add_account(ana, "nostr", NPUB)


def _fragments(part: str) -> str:
    return PERSON_MENTION.sub("", part)


def test_a_name_is_never_cut_and_parts_fit_as_sent_on_bluesky(alice: User) -> None:
    _ana(alice)
    sky = _account(alice, "bluesky")
    # Typed, "@[Ana Lima]" ends at 299 characters; sent, "@ana.bsky.social" would end at
    # 304, over Bluesky's 300.
    text = "word " * 57 + "hi @[Ana Lima] and more " + "words and more. " * 30
    parts = split_for(sky, text, "", numbered=False)
    assert len(parts) >= 2
    assert sum(len(PERSON_MENTION.findall(p)) for p in parts) == 1
    for part in parts:
        assert "@[" not in _fragments(part), part
        assert "Lima]" not in _fragments(part), part
    limit, count = counter_for(sky, "")
    people = people_of(alice.pk)
    assert all(count(write(p, sky, people).text) <= limit for p in parts)
    # Where the typed name would straddle the limit, it goes whole to the next part.
    straddling = "xxxxx " + "word " * 57 + "hi @[Ana Lima] and more " + "words and more. " * 30
    first, second, *_ = split_for(sky, straddling, "", numbered=False)
    assert first.endswith(" hi")
    assert second.startswith("@[Ana Lima] and more")
    # The proposed thread passes the checks the composer sends it through.
    custom = TargetCustom(text=text, parts=parts)
    assert check_targets(Draft(text=text), [sky], {sky.pk: custom}) == []


def test_a_long_written_mention_is_counted_on_nostr(alice: User) -> None:
    _ana(alice)
    nostr = _account(alice, "nostr", limit=300)  # a relay's limit (NIP-11)
    limit, count = counter_for(nostr, "")
    # Parts full of names: typed they are short, sent each is nostr:npub1... (69 characters).
    text = " ".join(["@[Ana Lima] said so."] * (limit // 10))
    parts = split_for(nostr, text, "", numbered=True)
    people = people_of(alice.pk)
    assert all(count(write(p, nostr, people).text) <= limit for p in parts)
    for part in parts:
        assert "@[" not in _fragments(part), part
        assert "Lima]" not in _fragments(part), part
    assert " ".join(p.rsplit(" ", 1)[0] for p in parts) == text  # nothing lost but the labels
