"""Rules against the real servers: the Mastodon mock, the Bluesky dev network and a Nostr
relay. On each, a rule hides what it names and another sends an author's posts to a second
column, for what was stored before the rules (the preview's count is what the saved rule then
hides) and for what arrives afterwards."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.utils import timezone

from hubbub.connections.models import Connection
from hubbub.listening import apply, services
from hubbub.listening.conditions import spec_from
from hubbub.listening.models import ItemMark
from hubbub.networks.base import Account, Draft
from hubbub.networks.nostr import keys
from hubbub.timeline.models import Feed, Item
from hubbub.timeline.polling import poll_feed
from hubbub.timeline.selectors import column_page, ensure_feed
from tests.timeline.conftest import connection_of, make_column
from tests.waiting import until

pytestmark = pytest.mark.django_db(transaction=True)


def _texts(items: list[Item]) -> list[str]:
    """The texts shown, in a fixed order (posts made within one second may share a time)."""
    return sorted(i.text for i in items)


def _rules_hide_and_route(user: User, feed: Feed, post: Callable[[str], None],
                          arrive: Callable[[int], None], author: str) -> None:
    """`post(text)` writes on the network; `arrive(n)` returns once the feed holds n items."""
    home = make_column(user, [feed], title="home")
    routed = make_column(user, [], title="routed")
    post("Un café noir")
    post("plain tea")
    arrive(2)
    hide = spec_from({"conditions": [{"kind": "words", "values": ["CAFE"]}],
                      "actions": [{"kind": "hide"}]})
    route = spec_from({"conditions": [{"kind": "author", "values": [author]},
                                      {"kind": "words", "values": ["tea"]}],
                       "actions": [{"kind": "send_to", "column": routed.pk}]})
    preview = apply.preview(user.pk, hide, days=1)
    assert preview.matched == 1
    services.save_rule(user, hide, name="no coffee", expires_at=None)
    services.save_rule(user, route, name="tea to routed", expires_at=None)
    apply.recompute(user.pk)
    assert ItemMark.objects.filter(hidden_until__gt=timezone.now()).count() == preview.matched
    assert _texts(column_page(home)) == ["plain tea"]
    assert _texts(column_page(routed)) == ["plain tea"]
    # What arrives after the rules were made.
    post("CAFÉ au lait")
    post("more tea")
    arrive(4)
    assert _texts(column_page(home)) == ["more tea", "plain tea"]
    assert _texts(column_page(routed)) == ["more tea", "plain tea"]


def test_mastodon(mastodon_peer: Any) -> None:
    user = User.objects.create_user("masto-listener")
    reader, writer = mastodon_peer.new_account(), mastodon_peer.new_account()
    mastodon_peer.follow(reader, writer)
    connection = Connection(user=user, network="mastodon", base_url=mastodon_peer.base_url,
                            remote_id=reader.id, handle=f"@{reader.username}@localhost")
    connection.credentials = {"access_token": reader.access_token}
    connection.save()
    home = ensure_feed(connection, "home")

    def arrive(count: int) -> None:
        poll_feed(Feed.objects.select_related("connection").get(pk=home.pk))
        assert Item.objects.filter(connection=connection).count() == count

    def post(text: str) -> None:
        mastodon_peer.post_as(writer, text)

    _rules_hide_and_route(user, home, post, arrive, f"@{writer.username.upper()}@localhost")


def test_bluesky(bluesky_peer: Any) -> None:
    from tests.integration import bluesky_support as bluesky

    user = User.objects.create_user("sky-listener")
    reader, writer = bluesky.person(bluesky_peer, "lreader"), bluesky.person(bluesky_peer,
                                                                              "lwriter")
    bluesky_peer.follow(reader.seeded, writer.seeded)
    home = ensure_feed(connection_of(user, "bluesky", reader.account), "home")
    posted = [0]

    def post(text: str) -> None:
        posted[0] += 1
        bluesky.CONNECTOR.publish(writer.account, Draft(text), f"l{posted[0]}", ())

    def arrive(count: int) -> None:
        until(lambda: len(bluesky.CONNECTOR.fetch(reader.account, "home").items) >= count,
              "the posts in the reader's home")
        poll_feed(Feed.objects.select_related("connection").get(pk=home.pk))
        assert Item.objects.filter(network="bluesky").count() == count

    _rules_hide_and_route(user, home, post, arrive, writer.did)  # by DID, not the handle


def test_nostr(nostr_peer: Any) -> None:
    user = User.objects.create_user("nostr-listener")
    me = nostr_peer.keygen()
    account = Account(base_url=nostr_peer.url,
                      credentials={"secret_key_hex": me.sk, "relays": [nostr_peer.url]},
                      remote_id=me.pk, handle=keys.npub(me.pk))
    author = ensure_feed(connection_of(user, "nostr", account), "author")
    start = int(time.time()) - 100
    sent = [0]

    def post(text: str) -> None:
        sent[0] += 1
        assert nostr_peer.publish(nostr_peer.sign(me, text, created_at=start + sent[0])).ok

    def arrive(count: int) -> None:
        poll_feed(Feed.objects.select_related("connection").get(pk=author.pk))
        assert Item.objects.filter(network="nostr").count() == count

    _rules_hide_and_route(user, author, post, arrive, me.pk)  # the hex key: stored as npub
