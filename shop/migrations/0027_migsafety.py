"""Rolling-deploy safety for shop 0023 and 0024.

- ``Payment.dispute_closed_at`` leaves the model (contract; nothing has read or written it since 0023). Its column
  stays in the database for this release: app processes of the previous release still name it in every payment
  they load while this release is rolled out. The release after drops the column (``DROP COLUMN``, no state
  change).
- ``Cart.checkouts_started``, ``Voucher.reissue_unused`` and ``Voucher.remainder_source`` keep their database
  defaults (carts and vouchers the previous release creates get 0, false and '') also on a database that ran 0024 or 0025 before they kept them
  (PostgreSQL).
- Carts made before 0024 are counted (their orders are the checkouts they started) in batches of carts, each in
  its own transaction: not atomic, so no lock is held on the cart table for the length of the backfill.
  Idempotent: a cart's count becomes the larger of its count and its number of orders, so a run interrupted and
  run again ends the same, and a checkout counted meanwhile is kept.
"""

from django.db import migrations, transaction
from django.db.models import Count, F, OuterRef, Subquery
from django.db.models.functions import Greatest

CARTS_PER_BATCH = 1000


# Columns the previous release leaves out of its inserts, and their database defaults.
DATABASE_DEFAULTS = {("Cart", "checkouts_started"): "0", ("Voucher", "reissue_unused"): "false",
                     ("Voucher", "remainder_source"): "''"}


def keep_database_defaults(apps, schema_editor):
    """A database that ran 0024 or 0025 before they kept these defaults gets them (PostgreSQL; SQLite databases are
    not deployed while an earlier release runs). Idempotent."""
    connection = schema_editor.connection
    if connection.vendor != "postgresql":
        return
    quote = connection.ops.quote_name
    with connection.cursor() as cursor:
        for (model, column), default in DATABASE_DEFAULTS.items():
            cursor.execute(f"ALTER TABLE {quote(apps.get_model('shop', model)._meta.db_table)} "
                           f"ALTER COLUMN {quote(column)} SET DEFAULT {default}")


def count_checkouts(apps, schema_editor):
    """Carts made before the count: their orders are the checkouts they started. Carts with orders, in key order,
    ``CARTS_PER_BATCH`` per transaction."""
    alias = schema_editor.connection.alias
    Cart = apps.get_model("shop", "Cart")
    Order = apps.get_model("shop", "Order")
    orders = (Order.objects.using(alias).filter(cart_id=OuterRef("pk")).order_by().values("cart_id")
              .annotate(n=Count("pk")).values("n"))
    after = 0
    while True:
        cart_ids = list(Order.objects.using(alias).filter(cart_id__gt=after).order_by("cart_id")
                        .values_list("cart_id", flat=True).distinct()[:CARTS_PER_BATCH])
        if not cart_ids:
            return
        with transaction.atomic(using=alias):
            Cart.objects.using(alias).filter(pk__in=cart_ids).update(
                checkouts_started=Greatest(F("checkouts_started"), Subquery(orders)))
        after = cart_ids[-1]


class Migration(migrations.Migration):
    atomic = False  # each batch of the backfill commits on its own; the other operations are idempotent

    dependencies = [("shop", "0026_voucher_lapsed")]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[migrations.RemoveField(model_name="payment", name="dispute_closed_at")],
        ),
        migrations.RunPython(keep_database_defaults, migrations.RunPython.noop),
        migrations.RunPython(count_checkouts, migrations.RunPython.noop),
    ]
