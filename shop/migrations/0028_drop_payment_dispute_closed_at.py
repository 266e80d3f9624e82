"""Contract, second release: the ``shop_payment.dispute_closed_at`` column is dropped.

The field left the model in 0027 (state only) so that the release before it, which named the column in every
payment it loaded, could run beside 0027's during the deploy. Nothing since 0027 reads or writes it, so processes
of the previous release run beside this one unharmed. Database only: the migration state lost the field in 0027.

Reversible: going back re-adds the column as 0020 made it (nullable, empty), which is all the release before needs
(0023's reverse fills it from the disputes).

Named ``0028_tidy3`` when it shipped: ``replaces`` lets a database that recorded that name take this one as applied
(Django records the new name beside the old at the next ``migrate``) instead of dropping the column twice.
"""

from django.db import migrations, models


def dropped_column(apps) -> tuple[type, models.Field]:
    """The historical ``Payment`` and the dropped column as 0020 declared it, for the schema editor's own SQL on
    each database (``ALTER TABLE … DROP COLUMN`` on PostgreSQL and on SQLite)."""
    Payment = apps.get_model("shop", "Payment")
    field = models.DateTimeField(blank=True, null=True)
    field.set_attributes_from_name("dispute_closed_at")
    field.model = Payment
    return Payment, field


def drop_dispute_closed_at(apps, schema_editor):
    schema_editor.remove_field(*dropped_column(apps))


def add_dispute_closed_at_back(apps, schema_editor):
    schema_editor.add_field(*dropped_column(apps))


class Migration(migrations.Migration):

    replaces = [("shop", "0028_tidy3")]

    dependencies = [("shop", "0027_migsafety")]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[migrations.RunPython(drop_dispute_closed_at, add_dispute_closed_at_back)],
        ),
    ]
