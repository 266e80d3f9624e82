"""``Cart.checkouts_started``. Schema only: the column keeps its database default, so carts the previous release
creates during the deploy get 0; carts made before are counted in ``0027_migsafety``, in batches."""
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("shop", "0023_disputes2")]

    operations = [
        migrations.AddField(
            model_name="cart",
            name="checkouts_started",
            field=models.PositiveIntegerField(default=0, db_default=0, editable=False),
        ),
    ]
