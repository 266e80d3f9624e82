"""``OrderLineAttribution.order_line_id`` becomes the column of a relation to the line (``OrderLine.attribution``), so
reports join a line's decision once instead of running one subquery per attributed column.

State only: the column stays as it is (``order_line_id bigint NOT NULL UNIQUE``, no foreign key constraint), which
is what the relation, with ``db_constraint=False``, describes. Nothing runs on the database, so the previous release
keeps reading and writing the same column during a rolling deploy."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ("creators", "0014_migsafety"),
        ("shop", "0028_drop_payment_dispute_closed_at"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[],
            state_operations=[
                migrations.RemoveField(model_name="orderlineattribution", name="order_line_id"),
                migrations.AddField(
                    model_name="orderlineattribution",
                    name="order_line",
                    field=models.OneToOneField(db_constraint=False, on_delete=django.db.models.deletion.DO_NOTHING,
                                               related_name="attribution", to="shop.orderline"),
                    preserve_default=False,
                ),
            ],
        ),
    ]
