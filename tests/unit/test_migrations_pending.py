"""`hubbub serve` (and every command) runs Django's migrate only when a migration on disk is
not recorded as applied: the check must see every such migration."""

from __future__ import annotations

import pytest
from django.db import connection
from django.db.migrations.loader import MigrationLoader
from django.db.migrations.recorder import MigrationRecorder

from hubbub.cli_common import migrations_pending

pytestmark = pytest.mark.django_db


def test_a_migrated_database_has_nothing_pending() -> None:
    assert MigrationLoader(connection).applied_migrations  # the test database was migrated
    assert not migrations_pending()


@pytest.mark.parametrize("app", ["timeline", "auth", "django_tasks_database"])
def test_any_migration_not_recorded_is_pending(app: str) -> None:
    loader = MigrationLoader(connection)
    names = sorted(name for label, name in loader.disk_migrations if label == app)
    assert names, app
    recorder = MigrationRecorder(connection)
    for name in (names[0], names[-1]):
        recorder.record_unapplied(app, name)
        assert migrations_pending(), (app, name)
        recorder.record_applied(app, name)
        assert not migrations_pending()


def test_a_database_without_the_migrations_table_is_pending(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(MigrationRecorder, "has_table", lambda self: False)
    assert migrations_pending()
