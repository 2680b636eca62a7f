"""Direct answers attempted before `written` existed went out as typed (the code of then sent
`text` unchanged): that is their frozen text, so Send again sends the very same words under
the same key instead of writing their @[Name]s anew (a Nostr retry must remake the same
message, and a changed text is a second one)."""

from django.db import migrations
from django.db.models import F


def freeze_as_typed(apps, schema_editor):
    Answer = apps.get_model("inbox", "Answer")
    Answer.objects.filter(direct=True, written="", post__isnull=True).exclude(
        state="new").update(written=F("text"))


class Migration(migrations.Migration):

    dependencies = [
        ("inbox", "0002_answer_written"),
    ]

    operations = [
        migrations.RunPython(freeze_as_typed, migrations.RunPython.noop),
    ]
