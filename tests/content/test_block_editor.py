"""The block-aware editor's server side: product and image previews scoped like the choosers, the
variant chooser linked to the block's product, and the editor script on the page editor."""

import pytest

from shop.models import ProductStatus, Stock
from tests.creators.test_creator_media_collections import upload_image
from tests.factories import add_product_image, logged_in, make_creator, make_guide, make_image, make_product

pytestmark = pytest.mark.django_db


@pytest.fixture
def anna(site_tree):
    return make_creator("anna")


def test_a_creator_previews_a_product_with_image_price_stock_variants_and_attributes(anna, django_assert_num_queries):
    boots = make_product(title="Trail Boots", variants=[("BOOT-42", "120.00", 7), ("BOOT-43", "110.00", 0)],
                         attributes={"Weight": "900 g", "Waterproof": "Yes"})
    add_product_image(boots, make_image("Boots photo"))
    client = logged_in(anna.user)
    url = f"/admin/content/product-preview/{boots.pk}/"
    client.get(url)  # warm-up (renditions are made once)

    with django_assert_num_queries(15):
        data = client.get(url).json()

    assert {key: data[key] for key in ("id", "title", "price", "available", "stock", "attributes")} == {
        "id": boots.pk, "title": "Trail Boots", "price": "120.00 USD", "available": True, "stock": "In stock",
        "attributes": ["Weight", "Waterproof"]}
    assert [(v["sku"], v["price"], v["stock"]) for v in data["variants"]] == [
        ("BOOT-42", "120.00 USD", "In stock"), ("BOOT-43", "110.00 USD", "Out of stock")]
    assert data["image"]["url"].endswith(".png") and (data["image"]["width"], data["image"]["height"]) == (48, 48)  # fill-160x160 of a 64×48 image


def test_sold_out_products_say_so_and_archived_ones_are_not_for_creators(anna):
    sold_out = make_product(title="Stove", variants=[("STOVE", "30.00", 1)])
    Stock.objects.filter(variant__product=sold_out).update(on_hand=0)
    archived = make_product(title="Old Tent", status=ProductStatus.ARCHIVED)
    client = logged_in(anna.user)

    sold_out_data = client.get(f"/admin/content/product-preview/{sold_out.pk}/").json()
    archived_response = client.get(f"/admin/content/product-preview/{archived.pk}/")

    assert (sold_out_data["available"], sold_out_data["unavailable_reason"]) == (False, "Sold out.")
    assert archived_response.status_code == 404
    assert archived_response.json()["code"] == "not_found" and "Old Tent" not in archived_response.content.decode()


def test_a_creator_previews_their_own_image_for_hotspots_not_anothers(anna):
    ben = make_creator("ben")
    annas_client, bens_client = logged_in(anna.user), logged_in(ben.user)
    look = upload_image(annas_client, "Anna look")

    own = annas_client.get(f"/admin/content/image-preview/{look.pk}/")
    other = bens_client.get(f"/admin/content/image-preview/{look.pk}/")

    assert own.status_code == 200 and (own.json()["width"], own.json()["height"]) == (40, 30)
    assert other.status_code == 404 and "Anna look" not in other.content.decode()


def test_the_previews_need_the_admin(anna, client):
    product = make_product()

    assert client.get(f"/admin/content/product-preview/{product.pk}/").status_code == 302


def test_the_page_editor_loads_the_block_script_and_links_variants_to_their_product(anna):
    guide = make_guide(anna, title="Hiking kit")
    client = logged_in(anna.user)

    body = client.get(f"/admin/pages/{guide.pk}/edit/").content.decode()

    assert 'src="/static/content/studio/block_editor.js" data-admin-root="/admin/"' in body
    assert "content/studio/block_editor.css" in body
    assert "linkedFields" in body and "-value-" in body


def test_the_variant_chooser_lists_only_the_linked_products_variants(anna):
    boots = make_product(title="Trail Boots", variants=[("BOOT-42", "120.00", 7), ("BOOT-43", "110.00", 2)])
    make_product(title="Dome Tent", variants=[("TENT-1", "200.00", 2)])
    client = logged_in(anna.user)

    html = client.get(f"/admin/snippets/choose/shop/variant/?product={boots.pk}").json()["html"]

    assert "BOOT-42" in html and "BOOT-43" in html and "TENT-1" not in html
