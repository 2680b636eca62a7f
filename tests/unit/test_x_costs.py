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

PRICES = {"post_price": 0.005, "user_price": 0.010}


def test_a_quiet_feed_is_billed_its_first_page_a_day() -> None:
    """Polled every minute with nothing new: X deduplicates within a UTC day, so only the day's
    first page is billed, 10 posts and at most 10 authors: 30 x (10 x $0.005 + 10 x $0.010)."""
    posts, authors = costs.billed_per_day(10, 0, 0, older_history=True)
    cost = costs.feed_cost("home", poll_seconds=60, posts_per_day=posts,
                           authors_per_day=authors, page_size=10, **PRICES)
    assert cost.polls_per_day == 1440
    assert (cost.posts_per_day, cost.users_per_day) == (10, 10)
    assert cost.monthly_usd == 4.5


def test_new_posts_and_their_authors_add_up() -> None:
    assert costs.billed_per_day(10, 300, 40, older_history=True) == (310, 50)
    cost = costs.feed_cost("home", poll_seconds=60, posts_per_day=310, authors_per_day=50,
                           page_size=10, **PRICES)
    assert cost.monthly_usd == pytest.approx(30 * (310 * 0.005 + 50 * 0.010))


def test_a_feed_younger_than_a_day_counts_what_it_brought() -> None:
    assert costs.billed_per_day(10, 0, 0, older_history=False) == (10, 10)  # nothing yet
    assert costs.billed_per_day(10, 4, 2, older_history=False) == (10, 2)
    assert costs.billed_per_day(10, 25, 7, older_history=False) == (25, 7)


def test_a_slow_poll_cannot_bring_more_than_its_pages() -> None:
    """Every 10 minutes: 144 polls of 10 at most, whatever the feed's traffic."""
    cost = costs.feed_cost("home", poll_seconds=600, posts_per_day=100_000,
                           authors_per_day=100_000, page_size=10, **PRICES)
    assert (cost.posts_per_day, cost.users_per_day) == (1440, 1440)


def test_prices_and_the_default_cap_are_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    assert (costs.post_read_price(), costs.user_read_price()) == (0.005, 0.010)
    assert costs.cap_of({}) == 10.0
    monkeypatch.setenv("HUBBUB_X_PRICE_PER_POST_READ", "0.01")
    monkeypatch.setenv("HUBBUB_X_MONTHLY_READ_CAP_USD", "2.5")
    cost = costs.feed_cost("home", poll_seconds=60, posts_per_day=10, authors_per_day=0,
                           page_size=10)
    assert cost.monthly_usd == 3.0
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
    assert (fresh.feeds[0].posts_per_day, fresh.feeds[0].users_per_day) == (10, 10)
    _seen(home, 30, authors=3)  # its first day: what it brought
    assert (costs.estimate(connection.pk).feeds[0].posts_per_day,
            costs.estimate(connection.pk).feeds[0].users_per_day) == (30, 3)
    _seen(home, 5, authors=5, days_ago=2)  # older: the day's first page again, and the new
    known = costs.estimate(connection.pk)
    assert (known.feeds[0].posts_per_day, known.feeds[0].users_per_day) == (40, 13)
    assert known.monthly_usd == pytest.approx(30 * (40 * 0.005 + 13 * 0.010))


@pytest.mark.django_db
def test_the_cap_stops_reads_with_a_sentence_until_it_is_raised() -> None:
    costs.forget_checks()
    user = User.objects.create_user("ada")
    connection = _connection(user)
    home = Feed.objects.create(connection=connection, key="home", poll_interval=60)
    _column(user, home)
    monthly = costs.estimate(connection.pk).monthly_usd  # 30 x (10 x 0.005 + 10 x 0.01) = 4.5
    costs.set_monthly_cap(connection, monthly - 1)
    with pytest.raises(Rejected, match=r"over your cap of \$3\.50"):
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
def test_the_connections_page_sentences() -> None:
    user = User.objects.create_user("ada")
    connection = _connection(user)
    people = ("The People suggestions read at most 10 X profiles a day from it (at most "
              "$3.00 a month; HUBBUB_X_PROFILE_READS_PER_DAY), and none while it is over its "
              "cap.")
    assert costs.notes(_account(connection)) == (
        "No column reads this X account: reading it costs nothing now.", people)
    _column(user, Feed.objects.create(connection=connection, key="home", poll_interval=60))
    said, also = costs.notes(_account(connection))
    assert also == people
    assert said == ("Reading X costs money: the 1 feed your columns show from this account "
                    "would cost about $4.50 a month in X API reads at their current pace. The "
                    "columns pause if that passes the hub's default cap of $10.00 a month.")
    costs.set_monthly_cap(connection, 2)
    assert costs.notes(_account(Connection.objects.get(pk=connection.pk)))[1] == (
        "That is over your cap of $2.00 a month: its columns are paused until an X column is "
        "closed or the cap is raised.")


@pytest.mark.django_db
def test_accounts_not_stored_by_the_hub_are_not_capped() -> None:
    costs.check_cap(Account("https://api.x.com", {"access_token": "a"}, "1", "@a"), "home")
    assert costs.notes(Account("https://api.x.com", {"access_token": "a"}, "1", "@a")) == ()
