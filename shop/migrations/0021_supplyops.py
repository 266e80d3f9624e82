"""Fulfilment groups for orders placed before every order had them (supplyops): one per brand of each order's
lines, its lines moved in. Two statements per 1,000 groups and one update for all lines; reversible as a no-op."""

from django.db import migrations
from django.db.models import OuterRef, Subquery

BATCH = 1000


def backfill_fulfilment_groups(apps, schema_editor):
    OrderLine = apps.get_model("shop", "OrderLine")
    FulfilmentGroup = apps.get_model("shop", "FulfilmentGroup")
    ungrouped = OrderLine.objects.filter(fulfilment_group__isnull=True)
    pairs = ungrouped.values_list("order_id", "brand_id").distinct().order_by("order_id", "brand_id")
    batch = []
    for order_id, brand_id in pairs.iterator(chunk_size=BATCH):
        batch.append(FulfilmentGroup(order_id=order_id, brand_id=brand_id))
        if len(batch) == BATCH:
            FulfilmentGroup.objects.bulk_create(batch, ignore_conflicts=True)
            batch = []
    FulfilmentGroup.objects.bulk_create(batch, ignore_conflicts=True)
    ungrouped.update(fulfilment_group=Subquery(
        FulfilmentGroup.objects.filter(order_id=OuterRef("order_id"), brand_id=OuterRef("brand_id")).values("pk")[:1]))


class Migration(migrations.Migration):
    dependencies = [("shop", "0020_supplymoney")]

    operations = [migrations.RunPython(backfill_fulfilment_groups, migrations.RunPython.noop)]
