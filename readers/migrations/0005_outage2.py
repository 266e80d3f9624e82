"""``0004_vouchers2`` again, safely for a rolling deploy: reward vouchers the previous release redeemed while this
release was rolled out (after 0004 ran) were created with ``reissue_unused = false``, so an unused one would not
leave its rest when spent. Marking them again is idempotent (a voucher already marked is left alone).

Not atomic: redemptions in key order, ``ENTRIES_PER_BATCH`` per transaction, so the voucher table is never
locked for the whole backfill (0004 ran one table-wide UPDATE inside the migration's transaction). A run
interrupted after some batches and run again ends as one run does."""

from django.db import migrations, transaction

VOUCHER_REF = "voucher:"
ENTRIES_PER_BATCH = 500


def mark_reward_vouchers_again(apps, schema_editor):
    alias = schema_editor.connection.alias
    RewardEntry = apps.get_model("readers", "RewardEntry")
    Voucher = apps.get_model("shop", "Voucher")
    redemptions = RewardEntry.objects.using(alias).filter(kind="redemption", source_ref__startswith=VOUCHER_REF)
    after = 0
    while True:
        batch = list(redemptions.filter(pk__gt=after).order_by("pk").values_list("pk", "source_ref")
                     [:ENTRIES_PER_BATCH])
        if not batch:
            return
        codes = [ref[len(VOUCHER_REF):] for _pk, ref in batch]
        with transaction.atomic(using=alias):
            Voucher.objects.using(alias).filter(code__in=codes, kind="fixed", reissue_unused=False).update(
                reissue_unused=True)
        after = batch[-1][0]


class Migration(migrations.Migration):
    atomic = False  # each batch commits on its own

    dependencies = [
        ("readers", "0004_vouchers2"),
    ]

    operations = [
        migrations.RunPython(mark_reward_vouchers_again, migrations.RunPython.noop),
    ]
