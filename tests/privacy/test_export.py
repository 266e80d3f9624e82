"""Export: one zip, a JSON and a CSV per section, everything about the person and nothing about others."""

import csv
import io
import json
import time
import zipfile
from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from creators.models import Click, TrackedLink
from privacy.registry import registered_sections
from privacy.services.export import export_archive
from shop.models import Cart, CartLine, Order, OrderLine, OrderStatus
from tests.factories import make_creator, make_product
from tests.privacy.helpers import ADA

pytestmark = pytest.mark.django_db


def ada_orders(count: int, *, lines_per_order: int = 2) -> list[Order]:
    """``count`` delivered orders of Ada's, each with lines, a cart and a click, written in bulk."""
    product = make_product(title="=Lamp", variants=[("EXP-1", "10.00", 5), ("EXP-2", "20.00", 5)])
    variants = list(product.variants.order_by("sku"))
    creator = make_creator("expo")
    link = TrackedLink.objects.create(code="expo-link", creator=creator, target_kind="product", product=product)
    now = timezone.now()
    clicks = Click.objects.bulk_create(
        Click(link=link, creator=creator, clicked_at=now, visitor_hash=f"v{n}", referrer="https://news.example/",
              ua_class="desktop") for n in range(count))
    carts = Cart.objects.bulk_create(Cart() for _ in range(count))
    CartLine.objects.bulk_create(CartLine(cart=cart, variant=variants[0], quantity=1) for cart in carts)
    orders = Order.objects.bulk_create(
        Order(email=ADA.email, buyer_key=ADA.subject.key, cart=cart, currency="USD", subtotal=Decimal("30.00"),
              total=Decimal("30.00"), status=OrderStatus.FULFILLED, fulfilment_method="shipping",
              shipping_name=ADA.name, shipping_line1=ADA.line1, shipping_city=ADA.city,
              shipping_postal_code=ADA.postal_code, shipping_country="GB", paid_at=now - timedelta(days=40))
        for cart in carts)
    OrderLine.objects.bulk_create(
        OrderLine(order=order, variant=variants[n % 2], sku=variants[n % 2].sku, product_title=product.title,
                  brand_id=product.brand_id, unit_price=Decimal("10.00"), currency="USD", quantity=1,
                  line_total=Decimal("10.00"), click_id=click.pk)
        for order, click in zip(orders, clicks) for n in range(lines_per_order))
    return orders


def read(archive: bytes) -> dict:
    files = zipfile.ZipFile(io.BytesIO(archive))
    return {name: files.read(name).decode() for name in files.namelist()}


def test_the_archive_holds_every_section_as_json_and_csv_and_only_her_rows():
    orders = ada_orders(2)
    Order.objects.create(email="someone.else@example.com", buyer_key="b" * 64, currency="USD",
                         subtotal=Decimal("1.00"), total=Decimal("1.00"), fulfilment_method="shipping")

    files = read(export_archive(ADA.subject))

    expected = {"manifest.json"} | {f"{section.name}.{ext}" for section in registered_sections()
                                     if section.export for ext in ("json", "csv")}
    assert set(files) == expected
    manifest = json.loads(files["manifest.json"])["sections"]
    assert (manifest["orders"], manifest["order_lines"], manifest["carts"], manifest["clicks"],
            manifest["voucher_uses"], manifest["group_buys"], manifest["data_subject_requests"]) == (2, 4, 2, 2, 0, 0, 0)
    rows = list(csv.DictReader(io.StringIO(files["orders.csv"])))
    assert [(row["number"], row["email"], row["shipping_name"], row["shipping_postal_code"]) for row in rows] == [
        (order.number, ADA.email, ADA.name, ADA.postal_code) for order in orders]
    assert json.loads(files["order_lines.json"])[0]["product_title"] == "=Lamp"
    assert list(csv.DictReader(io.StringIO(files["order_lines.csv"])))[0]["product_title"] == "'=Lamp"
    assert "someone.else" not in "".join(files.values())


def test_an_empty_subject_gets_empty_sections():
    files = read(export_archive(ADA.subject))

    assert json.loads(files["orders.json"]) == []
    assert files["orders.csv"] == "\r\n"


def test_a_subject_with_1000_orders_is_exported_in_under_60_seconds():
    ada_orders(1000)

    started = time.monotonic()
    files = read(export_archive(ADA.subject))
    elapsed = time.monotonic() - started

    assert len(json.loads(files["orders.json"])) == 1000
    assert len(list(csv.DictReader(io.StringIO(files["order_lines.csv"])))) == 2000
    assert elapsed < 60
