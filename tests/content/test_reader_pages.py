"""Issue 16 item 6: the storefront is a creator's shop; comparison tables and hotspots are Buy links;
live times carry their time zone."""

import re
from datetime import datetime, timezone

import pytest

from content.models import LiveSessionPage
from tests.factories import (
    comparison_table, make_creator, make_guide, make_image, make_product, product_card, shop_the_look, storefront_of,
)

pytestmark = pytest.mark.django_db


def _html(client, page) -> str:
    response = client.get(page.url, HTTP_HOST="localhost")
    assert response.status_code == 200
    return response.content.decode()


def test_the_storefront_shows_avatar_bio_a_grid_of_guides_and_featured_products_with_prices(client):
    creator = make_creator("pia")
    creator.bio = "I test desk lamps so you don't have to."
    creator.avatar = make_image("Pia")
    creator.save()
    lamp = make_product(title="Arc lamp", variants=[("LAMP-1", "89.00", 4)])
    chair = make_product(title="Desk chair", variants=[("CHAIR-1", "240.00", 0)])
    make_guide(creator, title="Desk setup", slug="desk", body=[product_card(lamp), product_card(chair), product_card(lamp)])

    html = _html(client, storefront_of(creator))

    assert re.search(r'<header class="storefront-header">\s*<img [^>]*alt=""', html)
    assert "I test desk lamps so you don&#x27;t have to." in html
    guides = html.split('id="guides-heading"')[1].split("</section>")[0]
    assert 'class="card-grid"' in guides and ">Desk setup</a>" in guides
    products = html.split('id="products-heading"')[1].split("</section>")[0]
    assert re.findall(r'<span class="card-product-title">([^<]+)</span>', products) == ["Arc lamp", "Desk chair"]
    assert '<span class="price">89.00 USD</span>' in products
    assert re.search(r'<a class="buy" href="/buy/LAMP-1/\?ref=[^"]+" aria-label="Buy Arc lamp">Buy</a>', products)
    assert "/buy/CHAIR-1/" not in products  # sold out: no Buy link


def test_a_comparison_table_has_a_buy_link_per_available_product(client):
    creator = make_creator("pia")
    lamp = make_product(title="Arc lamp", variants=[("LAMP-1", "89.00", 4)], attributes={"Height": "1.8 m"})
    gone = make_product(title="Old lamp", variants=[("LAMP-0", "20.00", 0)], attributes={"Height": "1.2 m"})
    guide = make_guide(creator, title="Lamps", slug="lamps", body=[comparison_table([lamp, gone], attributes=["Height"])])

    table = _html(client, guide).split('<table class="compare">')[1].split("</table>")[0]

    assert re.search(r'<a class="buy" href="/buy/LAMP-1/\?ref=[^"]+" aria-label="Buy Arc lamp">Buy</a>', table)
    assert "/buy/LAMP-0/" not in table


def test_hotspots_are_focusable_buy_links(client):
    creator = make_creator("pia")
    lamp = make_product(title="Arc lamp", variants=[("LAMP-1", "89.00", 4)])
    guide = make_guide(creator, title="Look", slug="look",
                       body=[shop_the_look(make_image(), [(lamp, None, "30", "40", "The lamp")])])

    look = _html(client, guide).split('<div class="look">')[1].split("</div>")[0]

    assert re.search(r'<a class="hotspot" style="left: 30(\.0+)?%; top: 40(\.0+)?%" href="/buy/LAMP-1/\?ref=[^"]+" '
                     r'aria-label="Buy The lamp, 89.00 USD">The lamp · 89.00 USD</a>', look)


def test_live_times_carry_their_time_zone(client):
    creator = make_creator("pia")
    session = LiveSessionPage(title="Lamp live", slug="lamp-live", creator=creator,
                              starts_at=datetime(2026, 12, 3, 18, 0, tzinfo=timezone.utc),
                              ends_at=datetime(2026, 12, 3, 19, 30, tzinfo=timezone.utc))
    storefront_of(creator).add_child(instance=session)
    session.save_revision().publish()

    html = _html(client, session)

    assert ('Live <time datetime="2026-12-03T18:00:00+00:00">Thu 3 Dec 2026, 18:00 UTC</time> – '
            '<time datetime="2026-12-03T19:30:00+00:00">19:30 UTC</time>') in html
