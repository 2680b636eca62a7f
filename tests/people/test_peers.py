"""People against the real servers: Ana writes on the Mastodon mock and on a Nostr relay under
the same name; the hub, reading both home timelines, suggests her as one person; confirmed, a
rule "priority: Ana" marks her items from both networks, those stored before the rule (as its
preview counted) and those arriving after, and nobody else's."""

from __future__ import annotations

import json
import time
from typing import Any

import pytest
from django.contrib.auth.models import User

from hubbub.connections.models import Connection
from hubbub.listening import apply
from hubbub.listening import services as rules
from hubbub.listening.conditions import spec_from
from hubbub.listening.models import ItemMark
from hubbub.networks.base import Account
from hubbub.networks.nostr import keys
from hubbub.people import suggest
from hubbub.timeline.models import Feed, Item
from hubbub.timeline.polling import poll_feed
from hubbub.timeline.selectors import ensure_feed
from tests.timeline.conftest import connection_of

pytestmark = pytest.mark.django_db(transaction=True)


def _priority_texts() -> list[str]:
    return sorted(m.item.text for m in ItemMark.objects.filter(priority=True)
                  .select_related("item"))


def test_priority_ana_on_mastodon_and_nostr(mastodon_peer: Any, nostr_peer: Any) -> None:
    user = User.objects.create_user("people-listener")
    # Mastodon: the reader follows Ana (display name "Ana Lima") and Bo.
    reader, ana_m, bo_m = (mastodon_peer.new_account() for _ in range(3))
    mastodon_peer.http.request(
        "PATCH", mastodon_peer.base_url + "/api/v1/accounts/update_credentials",
        headers={"Authorization": f"Bearer {ana_m.access_token}"},
        data={"display_name": "Ana Lima"}, timeout=10).raise_for_status()
    for followed in (ana_m, bo_m):
        mastodon_peer.follow(reader, followed)
    masto = Connection(user=user, network="mastodon", base_url=mastodon_peer.base_url,
                       remote_id=reader.id, handle=f"@{reader.username}@localhost")
    masto.credentials = {"access_token": reader.access_token}
    masto.save()
    masto_home = ensure_feed(masto, "home")
    # Nostr: the reader's contact list names Ana ("Ana Lima" in her kind-0 profile) and Bo.
    me, ana_n, bo_n = nostr_peer.keygen(), nostr_peer.keygen(), nostr_peer.keygen()
    start = int(time.time()) - 100
    assert nostr_peer.publish(nostr_peer.sign(
        ana_n, json.dumps({"name": "Ana Lima"}), kind=0, created_at=start)).ok
    assert nostr_peer.publish(nostr_peer.sign(
        me, "", kind=3, tags=[["p", ana_n.pk], ["p", bo_n.pk]], created_at=start)).ok
    account = Account(base_url=nostr_peer.url,
                      credentials={"secret_key_hex": me.sk, "relays": [nostr_peer.url]},
                      remote_id=me.pk, handle=keys.npub(me.pk))
    nostr_home = ensure_feed(connection_of(user, "nostr", account), "home")
    sent = [0]

    def write(text_m: str, text_n: str, bo: bool) -> None:
        mastodon_peer.post_as(ana_m, text_m)
        sent[0] += 1
        assert nostr_peer.publish(nostr_peer.sign(ana_n, text_n,
                                                  created_at=start + sent[0])).ok
        if bo:
            mastodon_peer.post_as(bo_m, "bo on mastodon")
            assert nostr_peer.publish(nostr_peer.sign(bo_n, "bo on nostr",
                                                      created_at=start + 50)).ok

    def read(count: int) -> None:
        for feed in (masto_home, nostr_home):
            poll_feed(Feed.objects.select_related("connection").get(pk=feed.pk))
        assert Item.objects.filter(connection__user=user).count() == count

    write("ana on mastodon", "ana on nostr", bo=True)
    read(4)
    # The hub suggests Ana's two accounts as one person; confirmed by hand.
    found = {s.key: s for s in suggest.suggestions(user)}
    ana_suggestion = found["name:ana lima"]
    assert ana_suggestion.networks == ["mastodon", "nostr"]
    assert {a.handle for a in ana_suggestion.accounts} == {
        f"{ana_m.username}@localhost", keys.npub(ana_n.pk)}
    ana = suggest.confirm(user, "name:ana lima", [a.value for a in ana_suggestion.accounts])
    assert ana.accounts.count() == 2
    # "priority: Ana, on every network": the preview counts what the rule then marks.
    spec = spec_from({"conditions": [{"kind": "person", "values": [ana.pk]}],
                      "actions": [{"kind": "priority"}]})
    preview = apply.preview(user.pk, spec, days=1)
    rules.save_rule(user, spec, name="priority: Ana", expires_at=None)
    apply.recompute(user.pk)
    assert _priority_texts() == ["ana on mastodon", "ana on nostr"]
    assert preview.matched == 2
    # What Ana writes afterwards is marked as it is stored.
    write("ana again on mastodon", "ana again on nostr", bo=False)
    read(6)
    assert _priority_texts() == ["ana again on mastodon", "ana again on nostr",
                                 "ana on mastodon", "ana on nostr"]
