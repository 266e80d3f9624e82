from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("shop", "0016_supply2")]

    operations = [
        migrations.AddField(
            model_name="cartline",
            name="quoted_unit_price",
            field=models.DecimalField(blank=True, decimal_places=2, max_digits=12, null=True),
        ),
    ]
