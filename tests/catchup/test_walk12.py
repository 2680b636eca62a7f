"""Issue 12's walkthrough, the catch-up: columns named with their accounts on the page and in
the feed (#5), direct messages never in the token-only Atom feed (#6), and "Most engaged" not
saying that nothing has counts when the counted items are under Priority (#11)."""

from __future__ import annotations

import re
from datetime import timedelta
from html import unescape
from typing import Any

import feedparser
import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.utils import timezone

from hubbub.catchup import tokens
from hubbub.catchup.models import CatchUpState
from hubbub.catchup.services import state_for
from hubbub.connections.models import Connection
from hubbub.listening import apply
from hubbub.listening import services as rules
from hubbub.listening.conditions import spec_from
from hubbub.networks.nostr import keys
from hubbub.timeline.ingest import ingest
from hubbub.timeline.models import Feed, Item
from hubbub.timeline.polling import poll_feed
from hubbub.timeline.selectors import ensure_feed
from tests.timeline.conftest import make_column, make_connection, net_item


def _text(html: str) -> str:
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", html)).split()).replace(" :", ":")


def _since_three_hours(user: User) -> None:
    state_for(user)
    CatchUpState.objects.filter(user=user).update(since=timezone.now() - timedelta(hours=3))


def _rule(user: User, condition: dict[str, Any], action: str, name: str) -> None:
    rules.save_rule(user, spec_from({"conditions": [condition], "actions": [{"kind": action}]}),
                    name=name, expires_at=None)


@pytest.mark.django_db
def test_columns_are_named_with_their_accounts_on_the_page_and_in_the_feed(
        client: Client, alice: User) -> None:
    npub = keys.npub("7e" * 32)
    now = timezone.now()
    for n, handle in enumerate(("@ada@localhost", "@ada.test", npub)):
        feed = ensure_feed(make_connection(alice, handle=handle), "home")
        make_column(alice, [feed], title="Home")
        ingest(feed, [net_item(n, at=now - timedelta(minutes=10 + n), prefix=f"c{n}-",
                               text=f"news {n}", counts={"like": 5 + n})])
    _since_three_hours(alice)
    client.force_login(alice)
    page = _text(client.get("/catch-up/").content.decode())
    short = f"{npub[:9]}…{npub[-4:]}"
    for shown in ("Home · @ada@localhost (deck deck): 1 new item",
                  "Home · @ada.test (deck deck): 1 new item",
                  f"Home · {short} (deck deck): 1 new item"):
        assert shown in page
    assert "In the column “Home · @ada.test (deck deck)”" in page
    parsed = feedparser.parse(Client().get(f"/catch-up/feed/{tokens.make_token(alice)}.atom")
                              .content)
    assert not parsed.bozo
    assert parsed.feed.subtitle.endswith(
        f": Home · @ada@localhost (deck deck): 1; Home · @ada.test (deck deck): 1; "
        f"Home · {short} (deck deck): 1")
    assert "in the column “Home · @ada.test (deck deck)”" in parsed.entries[1].content[0].value


@pytest.mark.django_db
def test_a_direct_message_is_never_in_the_feed_but_counted(client: Client, alice: User,
                                                           feed: Feed) -> None:
    """Kind "direct" (a Nostr message, a Mastodon conversation) and a status of visibility
    "direct" read as a mention, each marked priority and with counts: on the page, not in
    the feed; the feed says how many it left out and the page says the feed leaves them out."""
    now = timezone.now()
    make_column(alice, [feed], title="Home")
    ingest(feed, [
        net_item(1, at=now - timedelta(minutes=30), text="public hello", counts={"like": 2}),
        net_item(2, at=now - timedelta(minutes=20), kind="direct", text="secret plan: 8pm",
                 counts={"like": 9}),
        net_item(3, at=now - timedelta(minutes=10), kind="mention", visibility="direct",
                 text="another secret", counts={"reply": 4}),
    ])
    _rule(alice, {"kind": "words", "values": ["secret"]}, "priority", "secrets first")
    apply.recompute(alice.pk)
    _since_three_hours(alice)
    client.force_login(alice)
    page = client.get("/catch-up/").content.decode()
    assert "secret plan: 8pm" in page  # the page is the signed-in person's own
    assert "A direct message is never in the feed" in _text(page)
    body = Client().get(f"/catch-up/feed/{tokens.make_token(alice)}.atom").content
    parsed = feedparser.parse(body)
    assert not parsed.bozo
    assert [e.title for e in parsed.entries] == ["Ann: public hello"]
    assert b"secret" not in body
    assert "(2 direct messages left out of this feed: read them in the hub)" in \
        parsed.feed.subtitle


@pytest.mark.django_db
def test_most_engaged_does_not_deny_the_counts_of_priority_items(
        client: Client, alice: User, feed: Feed) -> None:
    make_column(alice, [feed], title="Home")
    ingest(feed, [net_item(1, at=timezone.now() - timedelta(minutes=5), text="from Ana",
                           counts={"reply": 1}),
                  net_item(2, at=timezone.now() - timedelta(minutes=4), text="quiet")])
    _rule(alice, {"kind": "words", "values": ["ana"]}, "priority", "Ana first")
    apply.recompute(alice.pk)
    _since_three_hours(alice)
    client.force_login(alice)
    page = _text(client.get("/catch-up/").content.decode())
    assert "1 reply" in page
    assert "No new item has replies, reposts or likes yet." not in page
    assert "The new items with replies, reposts or likes are all under Priority above." in page
    # Nothing counted at all: the sentence is still the plain one.
    Item.objects.filter(text="from Ana").update(extra={})
    plain = _text(client.get("/catch-up/").content.decode())
    assert "No new item has replies, reposts or likes yet." in plain


@pytest.mark.django_db(transaction=True)
def test_a_mastodon_direct_message_stays_out_of_the_feed(mastodon_peer: Any) -> None:
    """Against the Mastodon mock: a friend's public post and her direct message, both read from
    the mentions feed and both priority by a rule naming her: the feed serves the post only."""
    user = User.objects.create_user("catcher")
    me, friend = mastodon_peer.new_account(), mastodon_peer.new_account()
    connection = Connection(user=user, network="mastodon", base_url=mastodon_peer.base_url,
                            remote_id=me.id, handle=f"@{me.username}@localhost")
    connection.credentials = {"access_token": me.access_token}
    connection.save()
    mentions = ensure_feed(connection, "mentions")
    make_column(user, [mentions], title="Mentions")
    _rule(user, {"kind": "author", "values": [f"@{friend.username}@localhost"]}, "priority",
          "friend first")
    apply.recompute(user.pk)
    mastodon_peer.post_as(friend, f"@{me.username} see you at the talk")
    mastodon_peer.post_as(friend, f"@{me.username} secret plan: 8pm", visibility="direct")
    poll_feed(Feed.objects.select_related("connection").get(pk=mentions.pk))
    assert Item.objects.filter(connection=connection).count() == 2
    body = Client().get(f"/catch-up/feed/{tokens.make_token(user)}.atom").content
    parsed = feedparser.parse(body)
    assert not parsed.bozo
    assert [e.title.split(": ", 1)[1] for e in parsed.entries] == [
        f"@{me.username} see you at the talk"]
    assert b"secret plan" not in body
    assert "(1 direct message left out of this feed: read it in the hub)" in parsed.feed.subtitle
    assert f"Mentions · @{me.username}@localhost (deck deck): 2" in parsed.feed.subtitle
