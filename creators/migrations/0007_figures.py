from django.db import migrations
from django.db.models import Min


def store_page_events_once(apps, schema_editor):
    """A page's events were stored once per brand the page features, so reports spanning several brands
    counted them once per brand. Keep one row of each, under no brand (what ``event_facts`` now writes),
    and let the next rollup rebuild the rolled-up days (it also adds views of pages featuring no brand)."""
    DailyPerformance = apps.get_model("creators", "DailyPerformance")
    ReportDirtyDay = apps.get_model("creators", "ReportDirtyDay")
    per_brand = DailyPerformance.objects.filter(product_id__isnull=True, brand_id__isnull=False).order_by()
    kept = per_brand.values("day", "creator_id", "page_id", "block_id", "currency").annotate(first=Min("pk"))
    kept_ids = [row["first"] for row in kept]
    per_brand.exclude(pk__in=kept_ids).delete()
    DailyPerformance.objects.filter(pk__in=kept_ids).update(brand_id=None)
    days = DailyPerformance.objects.order_by().values_list("day", flat=True).distinct()
    ReportDirtyDay.objects.bulk_create([ReportDirtyDay(day=day) for day in days], ignore_conflicts=True)


class Migration(migrations.Migration):

    dependencies = [
        ("creators", "0006_reader"),
    ]

    operations = [
        migrations.RunPython(store_page_events_once, migrations.RunPython.noop),
    ]
