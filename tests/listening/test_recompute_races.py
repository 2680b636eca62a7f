"""The recompute against a deletion the network reports (PostgreSQL: two transactions at once).

A deletion does not take the person's turn (ingest takes it after storing its items: a deletion
taking it would deadlock with ingest), so it can commit between the recompute's second read of
a chunk and that chunk's write. The write then fails (the deleted item's ItemMark row breaks
the foreign key) and is done again, reading the chunk again; the rules version is applied."""

from __future__ import annotations

import dataclasses
import threading
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.db import OperationalError, connection
from django.utils import timezone

from hubbub.listening import apply, effects, services, words_index
from hubbub.listening.models import ListeningState
from hubbub.timeline import services as timeline_services
from hubbub.timeline import streaming
from hubbub.timeline.ingest import ingest
from hubbub.timeline.models import Feed, Item
from tests.listening.test_store import now_item, words_rule
from tests.waiting import came, until


@pytest.mark.postgresql(reason="SQLite's writers take turns by themselves")
@pytest.mark.django_db(transaction=True)
def test_a_deletion_committed_before_the_recompute_s_write_is_written_around(
        alice: User, feed: Feed, monkeypatch: pytest.MonkeyPatch) -> None:
    services.save_rule(alice, words_rule("coffee"), name="", expires_at=None)
    apply.recompute(alice.pk)
    ingest(feed, [now_item(1, "coffee time"), now_item(2, "coffee again")])
    assert Item.objects.filter(listening_mark__hidden_until__gt=timezone.now()).count() == 2
    network_connection = feed.connection
    real_write = effects.write
    removed: list[list[int]] = []
    failures: list[BaseException] = []
    writes = 0

    def delete() -> None:  # its own database connection: the network's deletion
        try:
            removed.append(timeline_services.remove_deleted(network_connection, "r1"))
        except BaseException as error:  # reported by the test's thread
            failures.append(error)
        finally:
            connection.close()

    def write_after_a_deletion(*args: Any, **kwargs: Any) -> None:
        # The recompute holds its turn and has read the chunk again: a deletion commits now.
        nonlocal writes
        writes += 1
        if writes == 1:
            deleter = threading.Thread(target=delete)
            deleter.start()
            until(lambda: not deleter.is_alive(), "the deletion to commit")
        real_write(*args, **kwargs)

    monkeypatch.setattr(effects, "write", write_after_a_deletion)
    services.bump(alice.pk)
    version = ListeningState.objects.get(user_id=alice.pk).version
    assert apply.recompute(alice.pk) == version
    assert not failures
    assert len(removed) == 1
    assert len(removed[0]) == 1
    assert writes == 2  # the chunk's write was done again
    assert list(Item.objects.values_list("remote_id", flat=True)) == ["r2"]
    assert Item.objects.filter(listening_mark__hidden_until__gt=timezone.now()).count() == 1
    state = ListeningState.objects.get(user_id=alice.pk)
    assert state.applied_version == state.version == version


@pytest.mark.postgresql(reason="SQLite's writers take turns by themselves")
@pytest.mark.django_db(transaction=True)
def test_a_deletion_that_meets_the_recompute_s_write_halfway_is_done_by_one_or_the_other(
        alice: User, feed: Feed, monkeypatch: pytest.MonkeyPatch) -> None:
    """The other timing: the deletion starts while the recompute's write has upserted the
    chunk's marks and not yet its words, and waits on the write's locks (both go marks, column
    entries, words). Had PostgreSQL found a deadlock it would abort one, and the loser is done
    again (the recompute's chunk; the deletion by the stream's `_remove_retrying`, run here).
    The item goes and the version is applied."""
    services.save_rule(alice, words_rule("coffee"), name="", expires_at=None)
    apply.recompute(alice.pk)
    ingest(feed, [now_item(1, "coffee time"), now_item(2, "coffee again")])
    marker = dataclasses.replace(now_item(1, ""), author_handle="")  # the stream's deletion
    network_connection = feed.connection
    real_words_write = words_index.write
    failures: list[BaseException] = []
    deletions = 0
    real_remove = timeline_services.remove_deleted

    def counted_remove(*args: Any, **kwargs: Any) -> list[int]:
        nonlocal deletions
        deletions += 1
        return real_remove(*args, **kwargs)

    def delete() -> None:  # its own database connection: the stream's deletion
        try:
            streaming._remove_retrying(network_connection, marker)
        except BaseException as error:  # reported by the test's thread
            failures.append(error)
        finally:
            connection.close()

    deleter = threading.Thread(target=delete)
    waiting = threading.Event()

    def blocked() -> bool:  # the deletion waits on a lock the recompute holds
        with connection.cursor() as cursor:
            cursor.execute("SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = "
                           "'Lock' AND datname = current_database()")
            return bool(cursor.fetchone()[0])

    def watch() -> None:  # its own connection: each query a fresh look at pg_stat_activity
        try:
            came(lambda: blocked() or not deleter.is_alive())
        finally:
            waiting.set()
            connection.close()

    def words_write_after_a_deletion_began(*args: Any, **kwargs: Any) -> None:
        if not deleter.is_alive() and deletions == 0:
            deleter.start()
            threading.Thread(target=watch).start()
            until(waiting.is_set, "the deletion to wait on the recompute's locks")
        real_words_write(*args, **kwargs)

    monkeypatch.setattr(streaming, "remove_deleted", counted_remove)
    monkeypatch.setattr(words_index, "write", words_write_after_a_deletion_began)
    services.bump(alice.pk)
    version = ListeningState.objects.get(user_id=alice.pk).version
    assert apply.recompute(alice.pk) == version
    until(lambda: not deleter.is_alive(), "the deletion to end")
    assert not failures
    assert deletions >= 1
    assert list(Item.objects.values_list("remote_id", flat=True)) == ["r2"]
    assert Item.objects.filter(listening_mark__hidden_until__gt=timezone.now()).count() == 1
    state = ListeningState.objects.get(user_id=alice.pk)
    assert state.applied_version == state.version == version


def _fail_with(code: str) -> None:
    """PostgreSQL raises an error of this SQLSTATE (as a deadlock or a failed serialization
    reaches the recompute: psycopg's error, wrapped by Django)."""
    with connection.cursor() as cursor:
        cursor.execute(f"DO $$ BEGIN RAISE EXCEPTION 'lost' USING ERRCODE = '{code}'; END $$")


@pytest.mark.postgresql(reason="its deadlock and serialization errors")
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("code", ["40P01", "40001"])
def test_a_chunk_write_aborted_by_a_deadlock_is_done_again(
        alice: User, feed: Feed, monkeypatch: pytest.MonkeyPatch, code: str) -> None:
    services.save_rule(alice, words_rule("coffee"), name="", expires_at=None)
    apply.recompute(alice.pk)
    ingest(feed, [now_item(1, "coffee time"), now_item(2, "tea")])
    real_write = effects.write
    writes = 0

    def aborted_once(*args: Any, **kwargs: Any) -> None:
        nonlocal writes
        writes += 1
        real_write(*args, **kwargs)
        if writes == 1:
            _fail_with(code)

    monkeypatch.setattr(effects, "write", aborted_once)
    services.bump(alice.pk)
    version = ListeningState.objects.get(user_id=alice.pk).version
    assert apply.recompute(alice.pk) == version
    assert writes == 2
    assert Item.objects.filter(listening_mark__hidden_until__gt=timezone.now()).count() == 1
    assert ListeningState.objects.get(user_id=alice.pk).applied_version == version


@pytest.mark.postgresql(reason="its deadlock and serialization errors")
@pytest.mark.django_db(transaction=True)
def test_other_errors_and_a_race_lost_every_time_end_the_recompute(
        alice: User, feed: Feed, monkeypatch: pytest.MonkeyPatch) -> None:
    """Bounded: a write that keeps losing fails after WRITE_ATTEMPTS, and an error that is no
    race (here a cancelled statement) is not tried again; the version stays unapplied."""
    services.save_rule(alice, words_rule("coffee"), name="", expires_at=None)
    apply.recompute(alice.pk)
    ingest(feed, [now_item(1, "coffee time")])
    writes = 0
    code = "40P01"

    def aborted(*args: Any, **kwargs: Any) -> None:
        nonlocal writes
        writes += 1
        _fail_with(code)

    monkeypatch.setattr(effects, "write", aborted)
    services.bump(alice.pk)
    with pytest.raises(OperationalError):
        apply.recompute(alice.pk)
    assert writes == apply.WRITE_ATTEMPTS
    writes = 0
    code = "57014"
    with pytest.raises(OperationalError):
        apply.recompute(alice.pk)
    assert writes == 1
    state = ListeningState.objects.get(user_id=alice.pk)
    assert state.applied_version < state.version
