import pytest
from django.urls import reverse
from wagtail.test.utils.form_data import nested_form_data, rich_text, streamfield

from shop.services.inventory import set_stock_on_hand
from tests.factories import make_creator, make_guide, make_product

pytestmark = pytest.mark.django_db


def test_the_admin_preview_shows_live_price_and_stock(client):
    product = make_product(title="Field Recorder", variants=[("REC-1", "349.00", 12)])
    creator = make_creator("pia")
    guide = make_guide(creator, publish=False)
    client.force_login(creator.user)
    preview_url = reverse("wagtailadmin_pages:preview_on_edit", args=[guide.pk])
    form = nested_form_data({
        "title": "Recorders", "slug": guide.slug, "summary": "",
        "body": streamfield([("product_card", {"product": product.pk, "variant": "", "note": rich_text("")})]),
    })

    response = client.post(preview_url, form)
    assert response.json() == {"is_valid": True, "is_available": True}
    first = client.get(preview_url).content.decode()
    set_stock_on_hand(product.variants.get(), on_hand=2)
    second = client.get(preview_url).content.decode()

    assert "Field Recorder" in first and "349.00 USD" in first and "In stock" in first
    assert "Only 2 left" in second
