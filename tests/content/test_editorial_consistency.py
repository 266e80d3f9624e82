"""Products know where they are embedded; creators are warned about unbuyable products on their pages."""

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse
from wagtail.models import ReferenceIndex

from shop.models import Product, ProductStatus
from shop.services.inventory import set_stock_on_hand
from tests.factories import make_creator, make_guide, make_product, make_user, product_card, product_grid

pytestmark = pytest.mark.django_db


def test_the_product_admin_lists_every_page_that_embeds_it(client):
    product = make_product(title="Field Recorder")
    creator = make_creator("pia")
    card_guide = make_guide(creator, title="Recorders", body=[product_card(product)])
    grid_guide = make_guide(creator, title="Studio kit", body=[product_grid([(product, None, "")])])
    make_guide(creator, title="Unrelated", body=[product_card(make_product())])
    client.force_login(make_user("admin", is_superuser=True, is_staff=True))

    referencing = {reference.object_id for reference in ReferenceIndex.get_references_to(product)}
    usage = client.get(reverse(Product.snippet_viewset.get_url_name("usage"), args=[product.pk]))
    edit = client.get(reverse(Product.snippet_viewset.get_url_name("edit"), args=[product.pk]))

    assert referencing == {str(card_guide.pk), str(grid_guide.pk)}
    assert usage.status_code == 200
    html = usage.content.decode()
    assert "Recorders" in html and "Studio kit" in html and "Unrelated" not in html
    assert reverse(Product.snippet_viewset.get_url_name("usage"), args=[product.pk]) in edit.content.decode()


def test_creators_see_a_warning_on_pages_embedding_archived_or_sold_out_products(client):
    archived = make_product(title="Old Recorder")
    sold_out = make_product(title="Popular Mic", variants=[("MIC-1", "99.00", 4)])
    fine = make_product(title="Good Cable")
    creator = make_creator("pia")
    guide = make_guide(creator, body=[product_card(archived), product_card(sold_out), product_card(fine)])
    archived.status = ProductStatus.ARCHIVED
    archived.save()
    set_stock_on_hand(sold_out.variants.get(), on_hand=0)
    client.force_login(creator.user)

    response = client.get(reverse("wagtailadmin_pages:edit", args=[guide.pk]))

    assert response.status_code == 200
    warnings = [str(message) for message in get_messages(response.wsgi_request)] or [
        line for line in response.content.decode().splitlines() if "can't be bought" in line
    ]
    text = " ".join(warnings)
    assert "“Old Recorder” can't be bought: This product is no longer sold." in text.replace("&#x27;", "'").replace("&ldquo;", "“").replace("&rdquo;", "”")
    assert "Popular Mic" in text and "Sold out." in text
    assert "Good Cable" not in text


def test_no_warning_when_every_embedded_product_can_be_bought(client):
    creator = make_creator("pia")
    guide = make_guide(creator, body=[product_card(make_product(title="Good Cable"))])
    client.force_login(creator.user)

    response = client.get(reverse("wagtailadmin_pages:edit", args=[guide.pk]))

    assert response.status_code == 200
    assert "can't be bought" not in response.content.decode()
