from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('publishing', '0006_delivery_visibility_override'),
    ]

    operations = [
        migrations.AddField(
            model_name='delivery',
            name='written',
            field=models.JSONField(blank=True, null=True),
        ),
    ]
