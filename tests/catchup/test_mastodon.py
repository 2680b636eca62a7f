"""The catch-up against the Mastodon mock: items read from a real server's home timeline (and
their reply/favourite counts, as the server reports them) are counted per column since the
last visit, with a hide rule's items left out, a priority author first and the most favourited
next; after "Mark all caught up" only what the server sends afterwards counts, and the Atom
feed serves the same items."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import feedparser
import pytest
from django.contrib.auth.models import User
from django.test import Client

from hubbub.catchup import selectors, services, tokens
from hubbub.connections.models import Connection
from hubbub.listening import apply
from hubbub.listening import services as rules
from hubbub.listening.conditions import spec_from
from hubbub.timeline.models import Feed, Item
from hubbub.timeline.polling import poll_feed
from hubbub.timeline.selectors import ensure_feed
from tests.timeline.conftest import make_column
from tests.waiting import until

pytestmark = pytest.mark.django_db(transaction=True)


def test_catch_up_of_a_mastodon_home(mastodon_peer: Any) -> None:
    user = User.objects.create_user("catcher")
    reader = mastodon_peer.new_account()
    ana, ben, fan = (mastodon_peer.new_account() for _ in range(3))
    for writer in (ana, ben):
        mastodon_peer.follow(reader, writer)
    connection = Connection(user=user, network="mastodon", base_url=mastodon_peer.base_url,
                            remote_id=reader.id, handle=f"@{reader.username}@localhost")
    connection.credentials = {"access_token": reader.access_token}
    connection.save()
    home = ensure_feed(connection, "home")
    make_column(user, [home], title="Home")
    make_column(user, [], title="Empty")
    rules.save_rule(user, spec_from({"conditions": [{"kind": "words", "values": ["spoiler"]}],
                                     "actions": [{"kind": "hide"}]}),
                    name="no spoilers", expires_at=None)
    rules.save_rule(user, spec_from({"conditions": [{"kind": "author",
                                                     "values": [f"@{ana.username}@localhost"]}],
                                     "actions": [{"kind": "priority"}]}),
                    name="Ana first", expires_at=None)
    apply.recompute(user.pk)

    mastodon_peer.post_as(ana, "Ana says hello")
    popular = mastodon_peer.post_as(ben, "Ben's popular post")
    mastodon_peer.post_as(ben, "Ben's quiet post")
    mastodon_peer.post_as(ben, "a spoiler about the film")
    for path in (f"/api/v1/statuses/{popular['id']}/favourite",
                 f"/api/v1/statuses/{popular['id']}/reblog"):
        assert mastodon_peer._api(fan.access_token, "POST", path).ok
    mastodon_peer.post_as(fan, "@" + ben.username + " nice", in_reply_to_id=popular["id"])

    def read(count: int) -> None:
        poll_feed(Feed.objects.select_related("connection").get(pk=home.pk))
        assert Item.objects.filter(connection=connection).count() == count

    read(4)
    catch = selectors.catch_up(user, services.state_for(user).since)
    assert [(c.column.title, c.count) for c in catch.columns] == [("Home", 3), ("Empty", 0)]
    assert [f.item.text for f in catch.priority] == ["Ana says hello"]
    assert [f.item.text for f in catch.engaged] == ["Ben's popular post"]
    counts = catch.engaged[0].counts
    assert (counts["reply"], counts["repost"], counts["like"]) == (1, 1, 1)
    assert catch.uncounted == []

    # The Atom feed holds the same items, in the same order.
    token = tokens.make_token(user)
    body = Client().get(f"/catch-up/feed/{token}.atom").content
    parsed = feedparser.parse(body)
    assert not parsed.bozo
    assert [e.title.split(": ", 1)[1] for e in parsed.entries] == [
        "Ana says hello", "Ben's popular post"]

    # Caught up; what the server sends afterwards is all that counts.
    newest = max(Item.objects.filter(connection=connection).values_list("created_at", flat=True))
    services.mark_caught_up(user, newest)
    until(lambda: datetime.now(UTC) > newest + timedelta(seconds=1),
          "the server's clock (whole seconds) past the moment marked")
    mastodon_peer.post_as(ana, "Ana again")
    read(5)
    catch = selectors.catch_up(user, services.state_for(user).since)
    assert [c.count for c in catch.columns] == [1, 0]
    assert [f.item.text for f in catch.found] == ["Ana again"]
