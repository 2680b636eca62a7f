"""Mastodon's search column against mastodon-mock: the column shows statuses posted on the
server, polling adds new ones, paging ends, and a failing search says so in the column."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User

from hubbub.networks.mastodon import connector as connector_module
from hubbub.timeline.feedkinds import available_kinds, feed_key
from hubbub.timeline.polling import poll_feed
from hubbub.timeline.selectors import column_page, ensure_feed
from tests.peers.mastodon import MastodonPeer
from tests.timeline.conftest import make_column
from tests.timeline.test_mastodon_reading import CONNECTOR, account_of, connection_of


def test_search_column_shows_matching_statuses_and_polls_new_ones(
        mastodon_peer: MastodonPeer, transactional_db: None) -> None:
    user = User.objects.create_user("searcher")
    alice, bob = mastodon_peer.new_account(), mastodon_peer.new_account()
    word = f"quokka{bob.id}"
    first = mastodon_peer.post_as(bob, f"a {word} at the beach")
    mastodon_peer.post_as(bob, "nothing to see")
    connection = connection_of(user, mastodon_peer, alice)
    assert "search" in available_kinds(connection)
    feed = ensure_feed(connection, feed_key(connection, "search", f"  {word} "))
    assert feed.key == f"search:{word}"
    column = make_column(user, [feed])
    assert poll_feed(feed).new_in_feed == 1
    [item] = column_page(column)
    assert item.remote_id == first["id"]
    assert word in item.text
    assert item.author_handle == f"@{bob.username}@localhost"
    second = mastodon_peer.post_as(bob, f"another {word}")
    assert poll_feed(feed).new_in_feed == 1  # the first is not stored twice
    assert [i.remote_id for i in column_page(column)] == [second["id"], first["id"]]


def test_search_paging_stops_where_the_server_ignores_max_id(
        mastodon_peer: MastodonPeer, monkeypatch: pytest.MonkeyPatch) -> None:
    """mastodon-mock answers the same statuses whatever max_id says (real Mastodon pages by
    it): what it lists after the cursor's status is the older page, and paging ends there
    instead of looping."""
    alice, bob = mastodon_peer.new_account(), mastodon_peer.new_account()
    word = f"wombat{bob.id}"
    posted = [mastodon_peer.post_as(bob, f"{word} {n}")["id"] for n in range(3)]
    monkeypatch.setattr(connector_module, "PAGE_SIZE", 2)
    account = account_of(mastodon_peer, alice)
    page = CONNECTOR.fetch(account, f"search:{word}")
    assert [i.remote_id for i in page.items] == posted[:0:-1]
    assert page.next_cursor == posted[1]
    older = CONNECTOR.fetch(account, f"search:{word}", page.next_cursor)
    assert older.items == ()  # the mock's limit of 2 repeats the first page: nothing older
    assert older.next_cursor is None


def test_failing_search_is_a_sentence_in_the_column(
        mastodon_faults: MastodonPeer, transactional_db: None) -> None:
    peer = mastodon_faults
    user = User.objects.create_user("unlucky")
    alice = peer.new_account()
    feed = ensure_feed(connection_of(user, peer, alice), "search:anything")
    peer.add_fault({"type": "status", "status": 503}, path="/api/v2/search")
    result = poll_feed(feed)
    assert result.error
    assert "503" in result.error or "unavailable" in result.error.lower()


def test_list_column_by_title_shows_its_members_posts(
        mastodon_peer: MastodonPeer, transactional_db: None) -> None:
    """A list named by its title (as Mastodon's pages show it) is looked up among the
    account's lists; by id it is read directly and streamed, by title it is polled."""
    from hubbub.networks.mastodon.streaming import can_stream

    user = User.objects.create_user("list-reader")
    alice, bob, carol = (mastodon_peer.new_account() for _ in range(3))
    mastodon_peer.follow(alice, bob)
    mastodon_peer.follow(alice, carol)
    made = mastodon_peer._api(alice.access_token, "POST", "/api/v1/lists",
                              data={"title": "Good Birds"})
    made.raise_for_status()
    listed = made.json()["id"]
    mastodon_peer._api(alice.access_token, "POST", f"/api/v1/lists/{listed}/accounts",
                       data={"account_ids[]": [bob.id]}).raise_for_status()
    in_list = mastodon_peer.post_as(bob, "a kea on the roof")
    mastodon_peer.post_as(carol, "not in the list")
    feed = ensure_feed(connection_of(user, mastodon_peer, alice), "list:good birds")
    column = make_column(user, [feed])
    assert poll_feed(feed).new_in_feed == 1
    assert [i.remote_id for i in column_page(column)] == [in_list["id"]]
    by_id = CONNECTOR.fetch(account_of(mastodon_peer, alice), f"list:{listed}")
    assert [i.remote_id for i in by_id.items] == [in_list["id"]]
    assert can_stream(f"list:{listed}")
    assert not can_stream("list:good birds")
    missing = poll_feed(ensure_feed(feed.connection, "list:Nope"))
    assert missing.error == ("Mastodon: this account has no list “Nope”; its lists are "
                             "“Good Birds”.")
