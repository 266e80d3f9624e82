"""The creator's dashboard on the admin home page: earnings, 7/30-day figures, top pages and blocks,
warnings about unbuyable products and the next live sessions; a constant number of queries."""

import re
from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from content.models import LiveSessionPage
from creators.models import LinkTarget
from creators.services.attribution import attribute_order
from creators.services.ledger import accrue_commission
from creators.services.links import create_tracked_link, record_buy_link_click, record_click
from shop.models import ProductStatus, Stock
from tests.creators.helpers import LineSpec, make_order, mark_paid
from tests.factories import block, make_creator, make_guide, make_product, product_card, storefront_of

pytestmark = pytest.mark.django_db

PHONE = "Mozilla/5.0 (iPhone; CPU iPhone OS 18_0 like Mac OS X) Mobile/15E148"


def sale(creator, guide, product, *, block_id, price, at, click=None):
    order = make_order(LineSpec(product, unit_price=price, creator=creator, page_id=guide.pk, block_id=block_id,
                                click_id=click.pk if click else None, attributed_at=at), created_at=at)
    attribute_order(order)
    mark_paid(order, at=at)
    accrue_commission(order)
    return order


def text(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def section(body: str, marker: str) -> str:
    start = body.index(marker)
    return text(body[start:body.index("</table>", start)])


@pytest.fixture
def studio(site_tree):
    anna = make_creator("anna")
    boots = make_product(title="Trail Boots", variants=[("BOOT-1", "100.00", 5)])
    tent = make_product(title="Old Tent", variants=[("TENT-1", "50.00", 2)])
    stove = make_product(title="Camp Stove", variants=[("STOVE-1", "30.00", 1)])
    guide = make_guide(anna, title="Hiking kit", body=[product_card(boots) | {"id": "card-boots"},
                                                      product_card(tent) | {"id": "card-tent"},
                                                      product_card(stove) | {"id": "card-stove"}])
    now = timezone.now()
    link = create_tracked_link(anna, target_kind=LinkTarget.PRODUCT, product=boots, page=guide, block_id="card-boots")
    recent = [record_click(link, ip=f"203.0.113.{n}", user_agent=PHONE, now=now - timedelta(days=2)) for n in range(4)]
    older = record_click(link, ip="203.0.113.99", user_agent=PHONE, now=now - timedelta(days=20))
    sale(anna, guide, boots, block_id="card-boots", price="100.00", at=now - timedelta(days=2), click=recent[0])
    sale(anna, guide, boots, block_id="card-boots", price="100.00", at=now - timedelta(days=20), click=older)
    sale(anna, guide, stove, block_id="card-stove", price="30.00", at=now - timedelta(days=1))
    tent.status = ProductStatus.ARCHIVED
    tent.save()
    Stock.objects.filter(variant__product=stove).update(on_hand=0)
    starts_at = now + timedelta(days=3)
    session = LiveSessionPage(title="Friday live", slug="friday-live", starts_at=starts_at,
                              ends_at=starts_at + timedelta(hours=1), live=False)
    storefront_of(anna).add_child(instance=session)
    session.save_revision().publish()
    return anna, guide


def test_the_creator_sees_earnings_windows_top_blocks_warnings_and_sessions(studio, client):
    anna, guide = studio
    rate = anna.default_commission_rate
    client.force_login(anna.user)

    body = client.get("/admin/").content.decode()

    pending = (Decimal("230.00") * rate).quantize(Decimal("0.01"))
    assert section(body, "data-earnings").split("Paid")[1].split() == ["USD", str(pending), "0.00", "0.00"]
    windows = text(body[body.index("data-windows"):body.index("</table>", body.index("data-windows"))])
    week = (Decimal("130.00") * rate).quantize(Decimal("0.01"))
    # 7 days: 4 clicks, 2 orders (one came without a click), 50 % conversion; 30 days adds the older click and sale.
    assert f"Last 7 days 4 2 50.00 % {week} USD" in windows
    assert f"Last 30 days 5 3 60.00 % {pending} USD" in windows
    top_blocks = section(body, "data-top-blocks")
    assert top_blocks.index("Hiking kit › Trail Boots 5 2") < top_blocks.index("Hiking kit › Camp Stove 0 1")
    assert "Hiking kit 5 3" in section(body, "data-top-pages")
    warnings = text(body[body.index("data-warnings"):body.index("</ul>", body.index("data-warnings"))])
    assert "“Old Tent” can't be bought" in warnings and "“Camp Stove” can't be bought" in warnings
    assert "Trail Boots" not in warnings
    assert section(body, "data-links").split("Orders")[1].split()[1:] == ["—", "5", "2"]  # the link's clicks and orders
    assert "Friday live" in text(body[body.index("data-sessions"):body.index("</ul>", body.index("data-sessions"))])


def test_a_second_creator_sees_only_their_own_dashboard(studio, client):
    ben = make_creator("ben")
    client.force_login(ben.user)

    body = client.get("/admin/").content.decode()

    assert "Ben’s studio" in body
    assert "Hiking kit" not in body and "Old Tent" not in body and "Friday live" not in body
    assert "No commission yet" in body


def test_staff_get_no_creator_dashboard(studio, client, django_user_model):
    admin = django_user_model.objects.create_superuser("boss", "boss@example.com", "pass")
    client.force_login(admin)

    assert "data-creator-dashboard" not in client.get("/admin/").content.decode()


def test_the_dashboard_costs_the_same_queries_with_more_pages_and_blocks(studio, client, django_assert_num_queries):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    anna, guide = studio
    client.force_login(anna.user)
    client.get("/admin/")  # warm-up
    with CaptureQueriesContext(connection) as small:
        client.get("/admin/")
    for number in range(3):
        products = [make_product(title=f"Extra {number}-{n}") for n in range(3)]
        make_guide(anna, title=f"More {number}", body=[product_card(p) for p in products] + [block("heading", "Hi")])
        Stock.objects.filter(variant__product=products[0]).update(on_hand=0)

    with django_assert_num_queries(len(small.captured_queries)):
        body = client.get("/admin/").content.decode()

    assert "“Extra 2-0” can't be bought" in body


def test_the_dashboard_lists_the_creators_own_links_not_buy_buttons(site_tree, client):
    anna = make_creator("anna")
    boots = make_product(title="Trail Boots", variants=[("BOOT-1", "100.00", 5)])
    guide = make_guide(anna, title="Hiking kit", body=[product_card(boots) | {"id": "card-boots"}])
    create_tracked_link(anna, target_kind=LinkTarget.STOREFRONT, code="anna-bio", label="Insta bio")
    click = record_buy_link_click(creator_id=anna.pk, page_id=guide.pk, block_id="card-boots", product_id=boots.pk,
                                  ip="203.0.113.9", user_agent=PHONE)
    client.force_login(anna.user)

    links = section(client.get("/admin/").content.decode(), "data-links")

    assert click is not None
    assert links.split("Orders")[1].split() == ["/r/anna-bio/", "Insta", "bio", "0", "0"]
