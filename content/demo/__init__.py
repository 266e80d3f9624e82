"""Demo data for `make demo`: a small but complete kolshop (catalog, people, pages). Idempotent."""

from dataclasses import dataclass

from django.db import transaction

from content.demo.catalog import load_catalog
from content.demo.pages import load_pages
from content.demo.people import DemoLogin, load_people
from content.demo.sales import load_sales
from django.conf import settings

from content.services.site_tree import ensure_site_tree, point_site_at
from shop.payments.registry import get_gateway


class DemoUnavailable(Exception):
    """The demo can't be loaded with these settings; nothing was written."""


@dataclass
class DemoSummary:
    logins: list[DemoLogin]
    products: int
    guides: int
    sales: int


def check_demo_gateway() -> None:
    """Demo sales are paid on the server (no card, no network); Stripe's buyers pay in the browser."""
    gateway = get_gateway()
    if not gateway.confirms_on_server:
        raise DemoUnavailable(
            f"The demo pays its sales on the server, which the {gateway.name!r} payment gateway can't do. "
            "Load it with the dummy gateway: KOLSHOP_PAYMENT_GATEWAY=dummy."
        )


def load_demo() -> DemoSummary:
    check_demo_gateway()  # before the first write
    return _load_demo()


@transaction.atomic
def _load_demo() -> DemoSummary:
    _, creator_index = ensure_site_tree()
    point_site_at(settings.KOLSHOP_SITE_URL)  # HOST/PORT of `make demo` (settings/dev.py)
    products = load_catalog()
    people = load_people(creator_index=creator_index)
    guides = load_pages(people=people, products=products)
    sales = load_sales()
    return DemoSummary(logins=people.logins, products=len(products), guides=guides, sales=sales)
