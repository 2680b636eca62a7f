"""Drop the single-column indexes of Item.connection and FeedEntry.feed: the unique indexes
(connection, remote_id) and (feed, item) begin with those columns and serve every lookup they
served, and each ingested item paid a write to both.

Django would rebuild both tables on SQLite to change `db_index` (a copy of the whole timeline,
gigabytes for a long-lived hub), and do nothing on PostgreSQL; so the state changes as an
AlterField would, and the database only loses the two indexes, found by introspection (their
names were generated)."""

from typing import Any

import django.db.models.deletion
from django.db import migrations, models

TARGETS = (("timeline_item", "connection_id"), ("timeline_feedentry", "feed_id"))


def _single_column_indexes(schema_editor: Any, table: str, column: str) -> list[str]:
    connection = schema_editor.connection
    with connection.cursor() as cursor:
        found = connection.introspection.get_constraints(cursor, table)
    return [name for name, info in found.items()
            if info["index"] and not info["unique"] and not info["primary_key"]
            and info["columns"] == [column]]


def drop(apps: Any, schema_editor: Any) -> None:
    for table, column in TARGETS:
        for name in _single_column_indexes(schema_editor, table, column):
            schema_editor.execute(f"DROP INDEX {schema_editor.quote_name(name)}")


def restore(apps: Any, schema_editor: Any) -> None:
    for table, column in TARGETS:
        if not _single_column_indexes(schema_editor, table, column):
            name = schema_editor.quote_name(f"{table}_{column}_single")
            schema_editor.execute(
                f"CREATE INDEX {name} ON {schema_editor.quote_name(table)} "
                f"({schema_editor.quote_name(column)})")


class Migration(migrations.Migration):

    dependencies = [
        ('connections', '0001_initial'),
        ('timeline', '0002_item_digest'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name='feedentry',
                    name='feed',
                    field=models.ForeignKey(
                        db_index=False, on_delete=django.db.models.deletion.CASCADE,
                        related_name='entries', to='timeline.feed'),
                ),
                migrations.AlterField(
                    model_name='item',
                    name='connection',
                    field=models.ForeignKey(
                        db_index=False, on_delete=django.db.models.deletion.CASCADE,
                        related_name='items', to='connections.connection'),
                ),
            ],
            database_operations=[migrations.RunPython(drop, restore)],
        ),
    ]
