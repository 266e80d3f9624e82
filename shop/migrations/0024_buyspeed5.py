from django.db import migrations, models
from django.db.models import Count, OuterRef, Subquery


def count_checkouts(apps, schema_editor):
    """Carts made before the count: their orders are the checkouts they started."""
    Cart = apps.get_model("shop", "Cart")
    Order = apps.get_model("shop", "Order")
    orders = (Order.objects.filter(cart_id=OuterRef("pk")).order_by().values("cart_id")
              .annotate(n=Count("pk")).values("n"))
    Cart.objects.filter(pk__in=Order.objects.filter(cart__isnull=False).values("cart_id")).update(
        checkouts_started=Subquery(orders))


class Migration(migrations.Migration):
    dependencies = [("shop", "0023_disputes2")]

    operations = [
        migrations.AddField(
            model_name="cart",
            name="checkouts_started",
            field=models.PositiveIntegerField(default=0, editable=False),
        ),
        migrations.RunPython(count_checkouts, migrations.RunPython.noop),
    ]
