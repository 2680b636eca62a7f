from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('publishing', '0007_delivery_written'),
    ]

    operations = [
        migrations.AddField(
            model_name='delivery',
            name='quote_of',
            field=models.CharField(blank=True, default='', max_length=500),
        ),
        migrations.AddField(
            model_name='delivery',
            name='quote_url',
            field=models.CharField(blank=True, default='', max_length=1000),
        ),
    ]
