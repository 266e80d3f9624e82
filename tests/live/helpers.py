"""Builders for live-shopping tests: a published session page with a line-up of products."""

import json
from uuid import uuid4
from datetime import timedelta
from decimal import Decimal

from django.utils import timezone

from content.live.services import FlashDealRequest, pin_product, start_flash_deal, start_session
from content.models import LiveSessionPage
from shop.attribution import Attribution
from shop.models import Product
from shop.services.cart import add_to_cart
from shop.services.checkout import confirm_payment
from tests.factories import make_brand, make_creator, make_product, product_card, storefront_of
from tests.shop.helpers import cart_with, checkout


def make_session(creator=None, *, products: list[Product] | None = None, title: str = "Friday live") -> LiveSessionPage:
    """A published live session whose body features ``products`` (its line-up)."""
    creator = creator or make_creator()
    starts_at = timezone.now().replace(microsecond=0)
    page = LiveSessionPage(
        title=title, slug=f"live-{uuid4().hex[:12]}", starts_at=starts_at,
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


def paid_order(cart, *, email: str = "ada@example.com"):
    return confirm_payment(checkout(cart, email=email).order)


def two_brand_session(*, stock: int):
    """Rex's session showing Glow's lipstick (20.00) and Dew's serum (30.00), ``stock`` of each."""
    creator = make_creator("rex")
    glow, dew = make_brand("Glow"), make_brand("Dew")
    lipstick = make_product(title="Lipstick", brand=glow, variants=[("LIP-1", "20.00", stock)])
    serum = make_product(title="Serum", brand=dew, variants=[("SER-1", "30.00", stock)])
    return creator, glow, dew, lipstick, serum, make_session(creator, products=[lipstick, serum])


def session_with_sales(shop_settings):
    """Two brands' products in one session: a deal on the lipstick, a buy-link sale of each, an unpaid order."""
    creator, glow, dew, lipstick, serum, page = two_brand_session(stock=50)
    start_session(page)
    pin_product(page, product_id=lipstick.pk)
    deal = start_flash_deal(page, deal=flash(lipstick.variants.get(), price="12.00", unit_cap=10,
                                             per_buyer_limit=3)).promotion
    pin_product(page, product_id=serum.pk)
    from_page = Attribution(creator.pk, page.pk, "", None)

    deal_cart = cart_with()
    add_to_cart(deal_cart, sku="LIP-1", quantity=3, promotion_id=deal.pk)
    deal_order = paid_order(deal_cart, email="ada@example.com")                            # 3 × 12.00 at the deal
    paid_order(cart_with(("LIP-1", 1), ("SER-1", 2), attribution=from_page), email="bo@example.com")  # 20 + 60
    checkout(cart_with(("SER-1", 1), attribution=from_page), email="cy@example.com")  # unpaid: never counts
    paid_order(cart_with(("SER-1", 1)), email="di@example.com")                             # another page's sale
    return page, deal, deal_order, glow, dew


def session_of_size(size: int) -> LiveSessionPage:
    """A live session with ``size`` products, each pinned and with a running flash deal (query-count tests)."""
    creator = make_creator(f"size{size}")
    products = [make_product(title=f"Item {size}-{n}", variants=[(f"SKU-{size}-{n}", "20.00", 50)])
                for n in range(size)]
    page = make_session(creator, products=products, title=f"Size {size}")
    start_session(page)
    for product in products:
        pin_product(page, product_id=product.pk)
        start_flash_deal(page, deal=flash(product.variants.get(), price="12.00", unit_cap=5))
    return page
