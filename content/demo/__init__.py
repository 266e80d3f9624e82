"""Demo data for `make demo`: a small but complete kolshop (catalog, people, pages). Idempotent."""

from dataclasses import dataclass

from django.db import transaction

from content.demo.catalog import load_catalog
from content.demo.pages import load_pages
from content.demo.people import DemoLogin, load_people
from content.demo.sales import load_sales
from content.services.site_tree import ensure_site_tree


@dataclass
class DemoSummary:
    logins: list[DemoLogin]
    products: int
    guides: int
    sales: int


@transaction.atomic
def load_demo() -> DemoSummary:
    _, creator_index = ensure_site_tree()
    products = load_catalog()
    people = load_people(creator_index=creator_index)
    guides = load_pages(people=people, products=products)
    sales = load_sales()
    return DemoSummary(logins=people.logins, products=len(products), guides=guides, sales=sales)
