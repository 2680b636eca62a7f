"""What the open X columns cost, and the cap that stops them (networks/x/costs.py)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.contrib.auth.models import User
from django.utils import timezone

from hubbub.connections.models import Connection
from hubbub.networks.base import Account
from hubbub.networks.errors import Rejected
from hubbub.networks.x import costs
from hubbub.timeline.models import Column, Deck, Feed, FeedEntry, Item


def test_a_quiet_feed_costs_its_first_page_a_day() -> None:
    """Polled every minute with nothing new: X deduplicates within a UTC day, so only the first
    page of each day is billed: 20 posts and at most 20 authors."""
    cost = costs.feed_cost("home", poll_seconds=60, new_posts_per_day=0, new_authors_per_day=0,
                           page_size=20, post_price=0.005, user_price=0.010)
    assert cost.polls_per_day == 1440
    assert (cost.posts_per_day, cost.users_per_day) == (20, 20)
    assert cost.monthly_usd == 9.0  # 30 days x (20 x $0.005 + 20 x $0.010)


def test_new_posts_and_their_authors_add_up() -> None:
    cost = costs.feed_cost("home", poll_seconds=60, new_posts_per_day=300,
                           new_authors_per_day=40, page_size=20, post_price=0.005,
                           user_price=0.010)
    assert (cost.posts_per_day, cost.users_per_day) == (320, 60)
    assert cost.monthly_usd == pytest.approx(30 * (320 * 0.005 + 60 * 0.010))


def test_a_slow_poll_cannot_bring_more_than_its_pages() -> None:
    """Every 10 minutes: 144 polls of 20 at most, whatever the feed's traffic."""
    cost = costs.feed_cost("home", poll_seconds=600, new_posts_per_day=100_000,
                           new_authors_per_day=100_000, page_size=20, post_price=0.005,
                           user_price=0.010)
    assert cost.posts_per_day == 144 * 20
    assert cost.users_per_day == 144 * 20


def test_prices_and_the_default_cap_are_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    assert (costs.post_read_price(), costs.user_read_price()) == (0.005, 0.010)
    monkeypatch.setenv("HUBBUB_X_PRICE_PER_POST_READ", "0.01")
    monkeypatch.setenv("HUBBUB_X_MONTHLY_READ_CAP_USD", "2.5")
    cost = costs.feed_cost("home", poll_seconds=60, new_posts_per_day=0, new_authors_per_day=0,
                           page_size=20, user_price=0.0)
    assert cost.monthly_usd == 30 * 20 * 0.01
    assert costs.cap_of({}) == 2.5
    assert costs.cap_of({costs.CAP_KEY: 40}) == 40.0


# --- from the hub's own rows --------------------------------------------------------------------


def _connection(user: User, grant: str = "g1") -> Connection:
    connection = Connection(user=user, network="x", base_url="https://api.x.com",
                            remote_id="1500000000000000001", handle="@ada_dev")
    connection.credentials = {"access_token": "a", "refresh_token": "r", "grant_id": grant}
    connection.save()
    return connection


def _account(connection: Connection) -> Account:
    return Account(connection.base_url, connection.credentials, connection.remote_id,
                   connection.handle)


def _column(user: User, feed: Feed) -> None:
    deck = Deck.objects.create(user=user, name="d")
    Column.objects.create(deck=deck, title=feed.key).feeds.set([feed])


def _seen(feed: Feed, n: int, *, authors: int, days_ago: float = 0.1) -> None:
    when = timezone.now() - timedelta(days=days_ago)
    for i in range(n):
        item = Item.objects.create(connection=feed.connection, network="x",
                                   remote_id=f"{feed.pk}-{days_ago}-{i}", kind="post",
                                   created_at=when, author_handle=f"@a{i % authors}")
        Item.objects.filter(pk=item.pk).update(ingested_at=when)
        FeedEntry.objects.create(feed=feed, item=item, created_at=when)


@pytest.mark.django_db
def test_the_estimate_counts_feeds_in_columns_from_what_they_brought() -> None:
    user = User.objects.create_user("ada")
    connection = _connection(user)
    home = Feed.objects.create(connection=connection, key="home", poll_interval=60)
    Feed.objects.create(connection=connection, key="mentions", poll_interval=60)  # no column
    _column(user, home)
    fresh = costs.estimate(connection.pk)
    assert [f.key for f in fresh.feeds] == ["home"]
    # Less than a day of history: a full page a day is assumed on top of the first page.
    assert fresh.feeds[0].posts_per_day == 40
    _seen(home, 5, authors=5, days_ago=2)  # older history: now what the last day brought counts
    _seen(home, 30, authors=3)
    known = costs.estimate(connection.pk)
    assert (known.feeds[0].posts_per_day, known.feeds[0].users_per_day) == (50, 23)
    assert known.monthly_usd == pytest.approx(30 * (50 * 0.005 + 23 * 0.010))


@pytest.mark.django_db
def test_the_cap_stops_reads_with_a_sentence_until_it_is_raised(
        monkeypatch: pytest.MonkeyPatch) -> None:
    costs.forget_checks()
    user = User.objects.create_user("ada")
    connection = _connection(user)
    home = Feed.objects.create(connection=connection, key="home", poll_interval=60)
    _column(user, home)
    monthly = costs.estimate(connection.pk).monthly_usd  # 30 * (40 * 0.005 + 40 * 0.01) = 18
    costs.set_monthly_cap(connection, monthly - 1)
    with pytest.raises(Rejected, match=r"over your cap of \$17\.00"):
        costs.check_cap(_account(connection), "home")
    costs.set_monthly_cap(connection, monthly + 1)
    costs.check_cap(_account(connection), "home")  # raised: reads go on
    stored = Connection.objects.get(pk=connection.pk).credentials
    assert stored["refresh_token"] == "r"  # the cap lives beside the tokens, which stay
    costs.set_monthly_cap(connection, 0)  # 0: no cap
    costs.check_cap(_account(connection), "home")
    with pytest.raises(ValueError, match="0 or more"):
        costs.set_monthly_cap(connection, -1)


@pytest.mark.django_db
def test_accounts_not_stored_by_the_hub_are_not_capped() -> None:
    costs.check_cap(Account("https://api.x.com", {"access_token": "a"}, "1", "@a"), "home")
