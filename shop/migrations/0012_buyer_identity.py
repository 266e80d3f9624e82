"""Buyers are identified by a keyed hash of their normalised e-mail (shop.services.buyer_identity):
stored on every order, and replacing the lower-cased e-mail group-buy members were keyed by."""

from django.conf import settings
from django.db import migrations, models

from shop.services.buyer_identity import buyer_key


def key_existing_buyers(apps, schema_editor):
    Order = apps.get_model("shop", "Order")
    GroupMember = apps.get_model("shop", "GroupMember")
    keys = {}
    orders = list(Order.objects.only("pk", "email"))
    for order in orders:
        order.buyer_key = keys.setdefault(order.email, buyer_key(order.email))
    Order.objects.bulk_update(orders, ["buyer_key"], batch_size=1000)
    members = list(GroupMember.objects.select_related("order").only("pk", "order__email"))
    for member in members:
        member.buyer_key = keys.setdefault(member.order.email, buyer_key(member.order.email))
    GroupMember.objects.bulk_update(members, ["buyer_key"], batch_size=1000)


class Migration(migrations.Migration):

    dependencies = [
        ('shop', '0011_buyspeed'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.RemoveIndex(
            model_name='order',
            name='order_email_upper_status_idx',
        ),
        migrations.AddField(
            model_name='order',
            name='buyer_key',
            field=models.CharField(blank=True, editable=False, help_text='shop.services.buyer_identity.buyer_key of the e-mail: who the buyer is for per-buyer limits, kept when the e-mail is erased.', max_length=64),
        ),
        migrations.RunPython(key_existing_buyers, migrations.RunPython.noop),
        migrations.AlterField(
            model_name='groupmember',
            name='buyer_key',
            field=models.CharField(help_text='shop.services.buyer_identity.buyer_key of the order e-mail.', max_length=64),
        ),
        migrations.AddIndex(
            model_name='order',
            index=models.Index(fields=['buyer_key', 'status'], name='order_buyer_key_status_idx'),
        ),
    ]
