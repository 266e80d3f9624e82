"""Stock rules that don't depend on checkout: records exist for every variant, levels are exact."""

from django.db import transaction
from django.db.models import F

from shop.models import Product, Stock, Variant
from shop.services.cache_versions import touch_variants


def ensure_stock_records(product: Product) -> int:
    """Give every variant of ``product`` a stock record (0 on hand); returns how many were created."""
    variant_ids = set(product.variants.values_list("pk", flat=True))
    existing = set(Stock.objects.filter(variant_id__in=variant_ids).values_list("variant_id", flat=True))
    missing = [Stock(variant_id=variant_id, on_hand=0) for variant_id in sorted(variant_ids - existing)]
    Stock.objects.bulk_create(missing, ignore_conflicts=True)
    return len(missing)


@transaction.atomic
def set_stock_on_hand(variant: Variant, *, on_hand: int) -> Stock:
    """Set the absolute count after a stock take. The database refuses a negative count."""
    if on_hand < 0:
        raise ValueError("Stock on hand cannot be negative.")
    stock, _ = Stock.objects.select_for_update().get_or_create(variant=variant)
    stock.on_hand = on_hand
    stock.save(update_fields=["on_hand", "updated_at"])
    return stock


def adjust_stock_on_hand(variant: Variant, *, delta: int) -> None:
    """Add or remove units atomically in SQL; a removal below zero violates the check constraint."""
    Stock.objects.filter(variant=variant).update(on_hand=F("on_hand") + delta)
    touch_variants([variant.pk])  # update() fires no signal; cached pages showing it are stale
