"""A mark's owner: ItemMark.user, the user of the marked item's connection, so that the inbox's
unread count reads the person's own marks that add to the inbox (the partial index
itemmark_user_adds_to_inbox on (user, item)) instead of every person's (itemmark_adds_to_inbox
on item, which it replaces).

The column is added empty, filled from each mark's item in one UPDATE (SQL both databases
take), and then made NOT NULL. The old index is dropped before SQLite copies the table to make
the column NOT NULL (one index fewer to build). Backwards, the owners go with the column."""

from typing import Any

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


def fill_owners(apps: Any, schema_editor: Any) -> None:
    q = schema_editor.quote_name
    marks = q(apps.get_model("listening", "ItemMark")._meta.db_table)
    items = q(apps.get_model("timeline", "Item")._meta.db_table)
    connections = q(apps.get_model("connections", "Connection")._meta.db_table)
    schema_editor.execute(
        f"UPDATE {marks} SET user_id = (SELECT c.user_id FROM {items} i "  # noqa: S608
        f"JOIN {connections} c ON c.id = i.connection_id WHERE i.id = {marks}.item_id) "
        "WHERE user_id IS NULL")


class Migration(migrations.Migration):

    dependencies = [
        ('listening', '0006_itemmark_adds_to_inbox'),
        ('timeline', '0004_stream_leases'),
        ('connections', '0001_initial'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddField(
            model_name='itemmark',
            name='user',
            field=models.ForeignKey(db_index=False, null=True, on_delete=django.db.models.deletion.CASCADE, related_name='listening_marks', to=settings.AUTH_USER_MODEL),
        ),
        migrations.RunPython(fill_owners, migrations.RunPython.noop),
        migrations.RemoveIndex(
            model_name='itemmark',
            name='itemmark_adds_to_inbox',
        ),
        migrations.AlterField(
            model_name='itemmark',
            name='user',
            field=models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.CASCADE, related_name='listening_marks', to=settings.AUTH_USER_MODEL),
        ),
        migrations.AddIndex(
            model_name='itemmark',
            index=models.Index(condition=models.Q(('inbox', True)), fields=['user', 'item'], name='itemmark_user_adds_to_inbox'),
        ),
    ]
