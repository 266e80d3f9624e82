"""Every stock change goes through the inventory service, which marks cached availability stale."""

import ast
from datetime import timedelta
from pathlib import Path

import pytest
from django.utils import timezone

from shop.models import Order, OrderStatus, Stock, StockReservation
from shop.services.cache_versions import touch_products
from shop.services.checkout import confirm_payment
from shop.services.inventory import restock
from shop.services.refunds import refund_order
from shop.services.expiry import release_expired_reservations
from tests.shop.helpers import cart_with, checkout, on_hand, variant_with_stock

ROOT = Path(__file__).resolve().parents[2]
# The only modules that write stock rows and reservations with writes that fire no model signal.
STOCK_WRITERS = {"shop/services/inventory.py", "shop/services/reservations.py"}
_SIGNAL_FREE_WRITES = {"update", "bulk_create", "bulk_update", "delete"}


def _signal_free_stock_writes(path: Path) -> list[int]:
    """Lines where a chain starting at ``Stock``/``StockReservation`` ends in update/bulk_create/delete."""
    lines = []
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)):
            continue
        if node.func.attr not in _SIGNAL_FREE_WRITES:
            continue
        receiver = node.func.value
        while isinstance(receiver, (ast.Attribute, ast.Call)):
            receiver = receiver.func if isinstance(receiver, ast.Call) else receiver.value
        if isinstance(receiver, ast.Name) and receiver.id in {"Stock", "StockReservation"}:
            lines.append(node.lineno)
    return lines


def test_no_module_but_the_inventory_service_writes_stock_without_signals():
    offenders = {}
    for app in ("shop", "creators", "content", "media"):
        for path in (ROOT / app).rglob("*.py"):
            relative = path.relative_to(ROOT).as_posix()
            if "/migrations/" in relative or relative in STOCK_WRITERS:
                continue
            if found := _signal_free_stock_writes(path):
                offenders[relative] = found

    assert offenders == {}


def test_the_guard_sees_a_chained_update(tmp_path):
    probe = tmp_path / "probe.py"
    probe.write_text("Stock.objects.select_for_update().filter(pk=1).update(on_hand=0)\nStock.objects.get(pk=1)\n")

    assert _signal_free_stock_writes(probe) == [1]


@pytest.mark.django_db
def test_a_refund_with_restock_puts_units_back_and_marks_the_product_stale(
    shop_settings, django_capture_on_commit_callbacks, announced
):
    variant = variant_with_stock("A-1", price="10.00", on_hand=5)
    with django_capture_on_commit_callbacks(execute=True):
        order = confirm_payment(checkout(cart_with(("A-1", 3))).order)
    announced.clear()

    with django_capture_on_commit_callbacks(execute=True):
        refund_order(order, quantities={order.lines.get().pk: 2}, restock=True)

    assert on_hand("A-1") == 4
    assert announced == [[variant.product_id]]


@pytest.mark.django_db
def test_restock_recreates_a_deleted_stock_record_instead_of_losing_units(django_capture_on_commit_callbacks,
                                                                           announced):
    variant = variant_with_stock("A-1", on_hand=5)
    Stock.objects.get(variant=variant).delete()
    announced.clear()

    with django_capture_on_commit_callbacks(execute=True):
        restocked = restock({variant.pk: 2})

    assert restocked == {variant.pk: 2}
    assert on_hand("A-1") == 2
    assert announced == [[variant.product_id]]


@pytest.mark.django_db
def test_a_stock_record_saved_in_the_admin_marks_the_product_stale(django_capture_on_commit_callbacks, announced):
    variant = variant_with_stock("A-1", on_hand=5)
    stock = Stock.objects.get(variant=variant)
    announced.clear()

    with django_capture_on_commit_callbacks(execute=True):
        stock.on_hand = 1
        stock.save()  # what the stock edit form does

    assert announced == [[variant.product_id]]


@pytest.mark.django_db
def test_the_expiry_sweep_marks_variants_of_dropped_holds_stale(shop_settings, django_capture_on_commit_callbacks,
                                                               announced):
    variant = variant_with_stock("A-1", on_hand=5)
    order = checkout(cart_with(("A-1", 2))).order
    past = timezone.now() - timedelta(minutes=1)
    # A hold that ran out on an order that is no longer pending (cancelled elsewhere).
    Order.objects.filter(pk=order.pk).update(status=OrderStatus.CANCELLED)
    StockReservation.objects.filter(order=order).update(expires_at=past)
    announced.clear()

    with django_capture_on_commit_callbacks(execute=True):
        release_expired_reservations()

    assert StockReservation.objects.filter(order=order).count() == 0
    assert announced == [[variant.product_id]]


@pytest.mark.django_db
def test_touching_a_product_writes_nothing_to_the_cache_and_announces_it(announced, monkeypatch):
    """Nothing reads a per-product version, so a sale's commit writes none (the apps caching pages hear the event)."""
    from django.core.cache import caches

    product_id = variant_with_stock("A-1", price="10.00", on_hand=5).product_id
    announced.clear()
    written = []
    for method in ("set", "set_many", "add", "incr", "touch"):
        monkeypatch.setattr(type(caches["default"]), method,
                            lambda self, *args, method=method, **kwargs: written.append((method, args)))

    touch_products({product_id})

    assert (written, announced) == ([], [[product_id]])

