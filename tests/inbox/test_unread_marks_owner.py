"""A rule's mark names its owner (ItemMark.user, the item's connection's user), and the unread
count reads only the person's own marks that add to the inbox, through the partial index on
(user, item): another person's marks, however many, are neither read nor counted. Before, the
count read every person's marks that add (and threw the others' away by the item's
connection), so on a hub of many people every page's navigation grew with all of them."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.contrib.auth.models import User
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

from hubbub.inbox.selectors import _unread_sql, entries, unread_count
from hubbub.listening import apply, services
from hubbub.listening.conditions import spec_from
from hubbub.listening.models import ItemMark
from hubbub.timeline.ingest import ingest
from hubbub.timeline.models import Feed, Item
from hubbub.timeline.selectors import ensure_feed
from tests.sqlite_steps import sqlite_steps
from tests.timeline.conftest import make_connection, net_item

INDEX = "itemmark_user_adds_to_inbox"
BEFORE = ("listening", "0006_itemmark_adds_to_inbox")
WITH_OWNER = ("listening", "0007_itemmark_user")


def _inbox_rule(user: User, word: str) -> None:
    services.save_rule(user, spec_from({
        "conditions": [{"kind": "words", "values": [word]}],
        "actions": [{"kind": "inbox"}]}), name=word, expires_at=None)


def _marked(user: User, feed: Feed, count: int, *, prefix: str) -> list[int]:
    """`count` items of `feed` with a mark of `user`'s that adds them to the inbox."""
    at = timezone.now() - timedelta(hours=1)
    ingest(feed, [net_item(n, at=at, prefix=prefix) for n in range(count)])
    ids = list(Item.objects.filter(remote_id__startswith=prefix, connection=feed.connection)
               .values_list("id", flat=True))
    ItemMark.objects.bulk_create([ItemMark(item_id=i, user=user, inbox=True) for i in ids])
    return ids


@pytest.mark.django_db
def test_the_rules_write_each_mark_with_its_item_s_owner(
        alice: User, bob: User, feed: Feed) -> None:
    """At ingest and by the recompute: every mark names the user of its item's connection, and
    each person counts their own rule's additions, never the other's."""
    bobs = ensure_feed(make_connection(bob), "home")
    _inbox_rule(alice, "release")
    _inbox_rule(bob, "release")
    at = timezone.now() - timedelta(minutes=1)
    ingest(feed, [net_item(1, at=at, text="the release is out"), net_item(2, at=at)])
    ingest(bobs, [net_item(n, at=at, prefix="b", text=f"release {n}") for n in range(3)])
    for user in (alice, bob):
        apply.recompute(user.pk)
    ingest(feed, [net_item(3, at=at, text="another release")])
    owners = {(m.item.remote_id, m.user_id) for m in ItemMark.objects.select_related("item")}
    assert owners == {("r1", alice.pk), ("r3", alice.pk), ("b0", bob.pk), ("b1", bob.pk),
                      ("b2", bob.pk)}
    assert sorted(i.remote_id for i in entries(alice)) == ["r1", "r3"]
    assert unread_count(alice) == 2
    assert unread_count(bob) == 3


@pytest.mark.django_db
def test_another_person_s_inbox_marks_never_count_and_mine_do(
        alice: User, bob: User, feed: Feed) -> None:
    """On either database (DATABASE_URL runs it on PostgreSQL)."""
    bobs = ensure_feed(make_connection(bob), "home")
    _marked(bob, bobs, 40, prefix="b")
    assert unread_count(alice) == 0
    assert unread_count(bob) == 40
    mine = _marked(alice, feed, 3, prefix="a")
    assert unread_count(alice) == 3
    assert unread_count(bob) == 40
    # A mark that no longer adds (the rule changed) takes the item out again.
    ItemMark.objects.filter(item_id=mine[0]).update(inbox=False)
    assert unread_count(alice) == 2


@pytest.mark.django_db
def test_another_person_s_many_inbox_marks_are_not_read(
        alice: User, bob: User, feed: Feed) -> None:
    if connection.vendor != "sqlite":
        pytest.skip("counts SQLite's steps")
    _marked(alice, feed, 5, prefix="a")
    bobs = ensure_feed(make_connection(bob), "home")
    with sqlite_steps() as few:
        assert unread_count(alice) == 5
    # 2,000 items of Bob's that his rules added to his inbox.
    _marked(bob, bobs, 2000, prefix="b")
    with sqlite_steps() as many:
        assert unread_count(alice) == 5
    # Reading every person's marks that add costs some 30 steps (thousands) more for 2,000.
    assert many[0] <= few[0] + 1, (few, many)
    assert unread_count(bob) == 1000  # the cap: his are counted, and only by him


def _plan(sql: str, params: list[object]) -> str:
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # The tables are small: the planner is asked whether it can use the index at all
            # (the partial index's condition matched by the query's), not whether it prefers it.
            cursor.execute("SET LOCAL enable_seqscan = off")
            cursor.execute(f"EXPLAIN {sql}", params)
            found = "\n".join(row[0] for row in cursor.fetchall())
            cursor.execute("SET LOCAL enable_seqscan = on")
            return found
        cursor.execute(f"EXPLAIN QUERY PLAN {sql}", params)
        return "\n".join(str(row[-1]) for row in cursor.fetchall())


@pytest.mark.django_db
def test_the_count_reads_the_person_s_marks_through_their_partial_index(
        alice: User, feed: Feed) -> None:
    _marked(alice, feed, 3, prefix="a")
    params: list[object] = [alice.pk, alice.pk, alice.pk,
                            connection.ops.adapt_datetimefield_value(timezone.now()),
                            "mention", "reply", "quote", "direct", True]
    plan = _plan(_unread_sql(connection.vendor), params)
    if connection.vendor == "sqlite":
        assert f"USING INDEX {INDEX} (user_id=?)" in plan or \
            f"USING COVERING INDEX {INDEX} (user_id=?)" in plan, plan
    else:
        assert INDEX in plan, plan


def _has_owner_column() -> bool:
    with connection.cursor() as cursor:
        columns = connection.introspection.get_table_description(cursor, "listening_itemmark")
    return any(c.name == "user_id" for c in columns)


@pytest.mark.django_db(transaction=True)
def test_the_migration_gives_existing_marks_their_owner(alice: User, bob: User) -> None:
    alices = ensure_feed(make_connection(alice), "home")
    bobs = ensure_feed(make_connection(bob), "home")
    mine = _marked(alice, alices, 3, prefix="a")
    his = _marked(bob, bobs, 2, prefix="b")
    ItemMark.objects.filter(item_id=his[0]).update(inbox=False, priority=True)
    try:
        MigrationExecutor(connection).migrate([BEFORE])  # back: the marks lose their owner
        assert not _has_owner_column()
        MigrationExecutor(connection).migrate([WITH_OWNER])
        assert _has_owner_column()
        owners = dict(ItemMark.objects.values_list("item_id", "user_id"))
        assert owners == {**dict.fromkeys(mine, alice.pk), **dict.fromkeys(his, bob.pk)}
        assert unread_count(alice) == 3
        assert unread_count(bob) == 1
    finally:
        executor = MigrationExecutor(connection)
        executor.migrate(executor.loader.graph.leaf_nodes())
