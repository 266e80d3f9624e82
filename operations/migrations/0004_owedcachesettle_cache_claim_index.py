from django.db import migrations, models


class Migration(migrations.Migration):
    """An index on (cache, claim) for the unpaid-row probe and the claim (``operations.owed_settles``)."""

    dependencies = [
        ('operations', '0003_owedcachesettle_claim'),
    ]

    operations = [
        migrations.AddIndex(
            model_name='owedcachesettle',
            index=models.Index(fields=['cache', 'claim'], name='owed_settle_cache_claim'),
        ),
    ]
