"""One notice an item: the copies that two feeds storing an item at once made go first (the
earliest of each stays, with its seen state), then the constraint that keeps it so."""

from django.conf import settings
from django.db import migrations, models
from django.db.models import Min


def drop_copies(apps, schema_editor):
    Notice = apps.get_model("listening", "Notice")
    first = (Notice.objects.values("user_id", "item_id").annotate(keep=Min("id"))
             .values_list("keep", flat=True))
    Notice.objects.exclude(id__in=list(first)).delete()


class Migration(migrations.Migration):

    dependencies = [
        ('listening', '0004_itemwords_digest'),
        ('timeline', '0004_stream_leases'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.RunPython(drop_copies, migrations.RunPython.noop),
        migrations.AddConstraint(
            model_name='notice',
            constraint=models.UniqueConstraint(fields=('user', 'item'), name='one_notice_an_item'),
        ),
    ]
