"""Links blocked before ``TrackedLink.blocked_at`` existed get it from their ``ShareBlock`` (and stay inactive)."""

from django.db import migrations


def mark_blocked_links(apps, schema_editor):
    TrackedLink = apps.get_model("creators", "TrackedLink")
    ShareBlock = apps.get_model("readers", "ShareBlock")
    for link_id, blocked_at in ShareBlock.objects.values_list("link_id", "blocked_at").iterator():
        TrackedLink.objects.filter(pk=link_id).update(active=False, blocked_at=blocked_at)


class Migration(migrations.Migration):

    dependencies = [
        ("creators", "0011_followups"),
        ("readers", "0002_readers3"),
    ]

    operations = [migrations.RunPython(mark_blocked_links, migrations.RunPython.noop)]
