"""Reward vouchers redeemed before vouchers kept their rest become money owed too (``Voucher.reissue_unused``):
an unused one then leaves its rest when it is spent, like one redeemed today. Vouchers already spent are left as
they were (nothing is issued for past orders)."""

from django.db import migrations

VOUCHER_REF = "voucher:"


def mark_reward_vouchers(apps, schema_editor):
    RewardEntry = apps.get_model("readers", "RewardEntry")
    Voucher = apps.get_model("shop", "Voucher")
    codes = [ref[len(VOUCHER_REF):] for ref in RewardEntry.objects.filter(
        kind="redemption", source_ref__startswith=VOUCHER_REF).values_list("source_ref", flat=True)]
    for start in range(0, len(codes), 500):
        Voucher.objects.filter(code__in=codes[start:start + 500], kind="fixed").update(reissue_unused=True)


class Migration(migrations.Migration):

    dependencies = [
        ("readers", "0003_followups"),
        ("shop", "0025_vouchers2"),
    ]

    operations = [
        migrations.RunPython(mark_reward_vouchers, migrations.RunPython.noop),
    ]
