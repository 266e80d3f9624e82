"""Builders for live-shopping tests: a published session page with a line-up of products."""

import json
from datetime import timedelta
from decimal import Decimal

from django.utils import timezone

from content.live.services import FlashDealRequest
from content.models import LiveSessionPage
from shop.models import Product
from tests.factories import make_creator, make_product, product_card, storefront_of


def make_session(creator=None, *, products: list[Product] | None = None, title: str = "Friday live") -> LiveSessionPage:
    """A published live session whose body features ``products`` (its line-up)."""
    creator = creator or make_creator()
    starts_at = timezone.now().replace(microsecond=0)
    page = LiveSessionPage(
        title=title, slug=f"live-{timezone.now().timestamp():.0f}-{Product.objects.count()}", starts_at=starts_at,
        ends_at=starts_at + timedelta(hours=1), live=False,
        body=json.dumps([product_card(product) for product in (products or [])]),
    )
    page.owner = creator.user
    storefront_of(creator).add_child(instance=page)
    page.save_revision(user=creator.user).publish()
    page.refresh_from_db()
    return page


def lipstick(sku: str = "LIP-1", *, price: str = "20.00", on_hand: int = 50) -> Product:
    return make_product(title=f"Lipstick {sku}", variants=[(sku, price, on_hand)])


def flash(variant, *, price: str = "12.00", unit_cap: int = 100, per_buyer_limit: int = 2,
          seconds: int = 300, countdown: int = 0) -> FlashDealRequest:
    return FlashDealRequest(variant_id=variant.pk, price=Decimal(price), unit_cap=unit_cap,
                            per_buyer_limit=per_buyer_limit, duration=timedelta(seconds=seconds),
                            countdown=timedelta(seconds=countdown))
