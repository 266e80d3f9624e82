"""The inventory service: every change to stock on hand goes through here, and so does the news of it.

Stock rows change in five ways — a sale takes units, a refund restocks them, staff set or adjust a
count, a checkout holds units and a hold is released or expires. Each way ends in ``stock_changed``,
which marks everything cached from those variants stale once the transaction commits (readers never
cache the old state, and a rolled-back change invalidates nothing it should not). ``F()`` updates fire
no model signal, which is why no other module may write ``Stock`` rows; ``tests/shop/test_inventory``
parses the code base to hold that line. Model saves (an admin edit of a stock record, a product or a
variant, a deal) reach the same function through the signal glue in ``connect_catalog_signals``.

Locks are taken in primary-key order, the order every other stock lock in the shop uses.
"""

from collections.abc import Iterable, Mapping

from django.db import transaction
from django.db.models import Case, F, IntegerField, Value, When
from django.db.models.signals import post_delete, post_save, pre_delete
from django.utils import timezone

from shop.models import Brand, Product, ProductAttribute, ProductImage, Promotion, Stock, Variant
from shop.services import write_batches
from shop.services.cache_versions import touch_products, touch_variants, touch_variants_on_commit


def stock_changed(variant_ids: Iterable[int], *, product_ids: Iterable[int] | None = None) -> None:
    """What every stock change ends with: cached availability of these variants is stale after commit.
    ``product_ids``: their products, when the caller has them loaded (spares a look-up after commit)."""
    touch_variants_on_commit(variant_ids, product_ids=product_ids)


def ensure_stock_records(product: Product) -> int:
    """Give every variant of ``product`` a stock record (0 on hand); returns how many were created."""
    variant_ids = set(product.variants.values_list("pk", flat=True))
    existing = set(Stock.objects.filter(variant_id__in=variant_ids).values_list("variant_id", flat=True))
    missing = [Stock(variant_id=variant_id, on_hand=0) for variant_id in sorted(variant_ids - existing)]
    Stock.objects.bulk_create(missing, ignore_conflicts=True)
    stock_changed(stock.variant_id for stock in missing)
    return len(missing)


@transaction.atomic
def set_stock_on_hand(variant: Variant, *, on_hand: int) -> Stock:
    """Set the absolute count after a stock take. The database refuses a negative count."""
    if on_hand < 0:
        raise ValueError("Stock on hand cannot be negative.")
    # Written by queries, not ``save()``: a model save would announce the change a second time through
    # ``_stock_saved_or_deleted`` (its signal glue is for admin edits); this announces it once, below.
    Stock.objects.bulk_create([Stock(variant=variant, on_hand=0)], ignore_conflicts=True)
    stock = Stock.objects.select_for_update().get(variant=variant)
    stock.on_hand, stock.updated_at = on_hand, timezone.now()
    Stock.objects.filter(pk=stock.pk).update(on_hand=on_hand, updated_at=stock.updated_at)
    stock_changed([variant.pk])
    return stock


@transaction.atomic
def adjust_stock_on_hand(variant: Variant, *, delta: int) -> None:
    """Add or remove units atomically in SQL; a removal below zero violates the check constraint."""
    Stock.objects.filter(variant=variant).update(on_hand=F("on_hand") + delta)
    stock_changed([variant.pk])


def take_sold_stock(quantities: Mapping[int, int], *, locked: Mapping[int, Stock],
                    product_ids: Iterable[int] | None = None) -> None:
    """Remove sold units from stock rows the caller has locked (``reservations.lock_stock``) and checked.
    ``product_ids``: the products of these variants, when the caller has them (``stock_changed``)."""
    if quantities:  # one statement for every line of the order
        ordered = sorted(quantities.items())
        # Sent with the caller's other writes when it batches them (the payment's).
        _take_units(stock_ids=[locked[variant_id].pk for variant_id, _quantity in ordered],
                    units=[quantity for _variant_id, quantity in ordered])
    stock_changed(quantities, product_ids=product_ids)


def _units_taken(*, stock_ids: list[int], units: list[int]):
    sold = Case(*(When(pk=stock_id, then=Value(count)) for stock_id, count in zip(stock_ids, units)),
                output_field=IntegerField())
    return Stock.objects.filter(pk__in=stock_ids), {"on_hand": F("on_hand") - sold}


_take_units = write_batches.compiled_update(Stock, _units_taken)  # compiled once per process and line count


def restock(quantities: Mapping[int, int]) -> dict[int, int]:
    """Put refunded units back on the shelf; returns what was restocked per variant.

    A variant whose stock record is gone (deleted in the admin) gets one again rather than losing
    the units. Call inside a transaction: the rows are locked in primary-key order.
    """
    quantities = {variant_id: quantity for variant_id, quantity in quantities.items() if quantity > 0}
    existing = set(Stock.objects.filter(variant_id__in=quantities).values_list("variant_id", flat=True))
    Stock.objects.bulk_create(
        [Stock(variant_id=variant_id, on_hand=0) for variant_id in sorted(set(quantities) - existing)],
        ignore_conflicts=True,
    )
    for stock in Stock.objects.select_for_update().filter(variant_id__in=quantities).order_by("pk"):
        Stock.objects.filter(pk=stock.pk).update(on_hand=F("on_hand") + quantities[stock.variant_id])
    stock_changed(quantities)
    return dict(sorted(quantities.items()))


def _product_saved_or_deleted(sender, instance: Product, **kwargs) -> None:
    touch_products([instance.pk])


def _variant_saved_or_deleted(sender, instance: Variant, **kwargs) -> None:
    touch_products([instance.product_id])


def _brand_saved_or_deleted(sender, instance: Brand, **kwargs) -> None:
    touch_products(Product.objects.filter(brand_id=instance.pk).values_list("pk", flat=True))  # its name shows


def _product_part_saved_or_deleted(sender, instance: ProductAttribute | ProductImage, **kwargs) -> None:
    touch_products([instance.product_id])  # attributes (comparison tables) and gallery images show


def _stock_saved_or_deleted(sender, instance: Stock, **kwargs) -> None:
    stock_changed([instance.variant_id])


def _promotion_saved_or_deleted(sender, instance: Promotion, **kwargs) -> None:
    touch_variants([instance.variant_id])  # a deal's price, window and cap show on its pages, like a price


def connect_catalog_signals() -> None:
    """Model saves and deletes (admin edits, imports) mark what they change stale, like the services do."""
    # Before the row goes: who shows a deleted product is found while its references still exist.
    pre_delete.connect(_product_saved_or_deleted, sender=Product, dispatch_uid="shop.inventory.product.pre_delete")
    for signal in (post_save, post_delete):
        signal.connect(_product_saved_or_deleted, sender=Product, dispatch_uid=f"shop.inventory.product.{id(signal)}")
        signal.connect(_variant_saved_or_deleted, sender=Variant, dispatch_uid=f"shop.inventory.variant.{id(signal)}")
        signal.connect(_stock_saved_or_deleted, sender=Stock, dispatch_uid=f"shop.inventory.stock.{id(signal)}")
        signal.connect(_promotion_saved_or_deleted, sender=Promotion,
                       dispatch_uid=f"shop.inventory.promotion.{id(signal)}")
        signal.connect(_brand_saved_or_deleted, sender=Brand, dispatch_uid=f"shop.inventory.brand.{id(signal)}")
        for part in (ProductAttribute, ProductImage):
            signal.connect(_product_part_saved_or_deleted, sender=part,
                           dispatch_uid=f"shop.inventory.{part.__name__}.{id(signal)}")
