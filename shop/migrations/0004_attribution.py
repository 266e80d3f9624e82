"""Attribution as raw facts: the shop keeps each buy link's token and when it was followed; the
decision (voucher over link, window) is the creators app's alone, so ``attribution_source`` goes."""

from django.db import migrations, models
from django.db.models import F


def to_raw_facts(apps, schema_editor):
    CartLine = apps.get_model("shop", "CartLine")
    OrderLine = apps.get_model("shop", "OrderLine")
    # A voucher-sourced line had the voucher's creator copied into creator_id: the voucher is on the order.
    OrderLine.objects.filter(attribution_source="voucher").update(creator_id=None, page_id=None, block_id="",
                                                                   click_id=None)
    # Until now a cart line's link time was when the product went into the cart.
    CartLine.objects.filter(creator_id__isnull=False).update(attributed_at=F("added_at"))


class Migration(migrations.Migration):

    dependencies = [
        ('shop', '0003_report_facts'),
    ]

    operations = [
        migrations.AddField(
            model_name='cartline',
            name='attributed_at',
            field=models.DateTimeField(blank=True, help_text='When the last buy link was followed.', null=True),
        ),
        migrations.AddField(
            model_name='orderline',
            name='attributed_at',
            field=models.DateTimeField(blank=True, help_text='When the buy link was followed.', null=True),
        ),
        migrations.AlterField(
            model_name='orderline',
            name='creator_id',
            field=models.BigIntegerField(blank=True, help_text="The buy link's creator (raw).", null=True),
        ),
        migrations.RunPython(to_raw_facts, migrations.RunPython.noop),
        migrations.RemoveField(
            model_name='orderline',
            name='attribution_source',
        ),
    ]
