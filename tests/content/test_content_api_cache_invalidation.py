"""Every change the cached page JSON shows makes the next response show it (one test per change), and a
hit never serves a page the API would no longer serve (restricted, unpublished, deleted, moved)."""

from decimal import Decimal

import pytest
from wagtail.models import PageViewRestriction

from shop.models import Variant
from shop.services.inventory import restock
from tests.factories import (
    add_product_image,
    comparison_table,
    deal,
    make_creator,
    make_guide,
    make_image,
    make_product,
    product_card,
    storefront_of,
)

pytestmark = pytest.mark.django_db


def page_json(client, guide) -> dict:
    response = client.get(f"/api/v2/pages/{guide.pk}/")
    assert response.status_code == 200
    return response.json()


def first_offer(client, guide) -> dict:
    return page_json(client, guide)["body"][0]["value"]


def test_a_brand_rename_shows_on_the_next_response(api_client):
    product = make_product()
    guide = make_guide(make_creator("pia"), body=[product_card(product)])
    assert first_offer(api_client, guide)["product"]["brand"]["name"] == product.brand.name

    product.brand.name = "Renamed Audio"
    product.brand.save()

    assert first_offer(api_client, guide)["product"]["brand"] == {
        "id": product.brand.pk, "name": "Renamed Audio", "slug": product.brand.slug,
    }


def test_a_product_attribute_change_shows_in_a_cached_comparison_table(api_client):
    first = make_product(attributes={"Battery life": "20 h"})
    second = make_product(attributes={"Battery life": "30 h"})
    guide = make_guide(make_creator("pia"), body=[comparison_table([first, second], attributes=["Battery life"])])
    assert first_offer(api_client, guide)["rows"] == [{"attribute": "Battery life", "values": ["20 h", "30 h"]}]

    attribute = first.attributes.get()
    attribute.value = "25 h"
    attribute.save()
    changed = first_offer(api_client, guide)["rows"]
    second.attributes.get().delete()
    removed = first_offer(api_client, guide)["rows"]

    assert changed == [{"attribute": "Battery life", "values": ["25 h", "30 h"]}]
    assert removed == [{"attribute": "Battery life", "values": ["25 h", None]}]


def test_a_new_product_image_shows_on_the_next_response(api_client):
    product = make_product()
    guide = make_guide(make_creator("pia"), body=[product_card(product)])
    assert first_offer(api_client, guide)["product"]["images"] == []

    image = add_product_image(product, make_image("Front"), alt_text="Front view")
    shown = first_offer(api_client, guide)["product"]

    assert [(item["id"], item["alt"]) for item in shown["images"]] == [(image.image_id, "Front view")]
    assert shown["image"]["id"] == image.image_id


def test_a_new_variant_and_a_variant_rename_show_on_the_next_response(api_client):
    product = make_product(variants=[("CAM-1", "100.00", 5)])
    guide = make_guide(make_creator("pia"), body=[product_card(product)])
    assert [item["sku"] for item in first_offer(api_client, guide)["variants"]] == ["CAM-1"]

    Variant.objects.create(product=product, sku="CAM-2", name="Black", price=Decimal("120.00"), sort_order=1)
    added = first_offer(api_client, guide)["variants"]
    variant = product.variants.get(sku="CAM-1")
    variant.name = "Silver"
    variant.save()
    renamed = first_offer(api_client, guide)["variants"]

    assert [(item["sku"], item["price"]) for item in added] == [("CAM-1", "100.00"), ("CAM-2", "120.00")]
    assert [(item["sku"], item["name"]) for item in renamed] == [("CAM-1", "Silver"), ("CAM-2", "Black")]


def test_a_restock_for_a_deal_block_shows_on_the_next_response(api_client, django_capture_on_commit_callbacks):
    product = make_product(variants=[("DEAL-1", "50.00", 0)])
    guide = make_guide(make_creator("pia"), body=[deal(product, deal_price="40.00", ends_at="2030-01-01T00:00:00Z")])
    assert first_offer(api_client, guide)["available"] is False

    with django_capture_on_commit_callbacks(execute=True):
        restock({product.variants.get().pk: 2})  # the refund path: F() updates, no model signal

    assert first_offer(api_client, guide)["variant"]["stock"] == {"level": "low_stock", "quantity": 2}


def test_a_creator_profile_change_shows_in_the_byline(api_client):
    creator = make_creator("pia")
    guide = make_guide(creator, body=[product_card(make_product())])
    assert page_json(api_client, guide)["creator"]["display_name"] == creator.display_name

    creator.display_name = "Pia Renamed"
    creator.bio = "New bio"
    creator.save()
    byline = page_json(api_client, guide)["creator"]

    assert (byline["display_name"], byline["bio"]) == ("Pia Renamed", "New bio")


def test_a_view_restriction_added_after_caching_hides_the_page(api_client):
    guide = make_guide(make_creator("pia"), body=[product_card(make_product())])
    page_json(api_client, guide)

    PageViewRestriction.objects.create(page=guide, restriction_type=PageViewRestriction.PASSWORD, password="x")

    assert api_client.get(f"/api/v2/pages/{guide.pk}/").status_code == 404


def test_a_deleted_page_is_not_served_from_the_cache(api_client):
    guide = make_guide(make_creator("pia"), body=[product_card(make_product())])
    page_json(api_client, guide)

    guide.delete()

    assert api_client.get(f"/api/v2/pages/{guide.pk}/").status_code == 404


def test_a_moved_page_shows_its_new_address(api_client):
    first, second = make_creator("pia"), make_creator("ola")
    guide = make_guide(first, slug="picks", body=[product_card(make_product())])
    before = page_json(api_client, guide)["meta"]["html_url"]

    guide.move(storefront_of(second), pos="last-child")

    assert before.endswith("/pia/picks/")
    assert page_json(api_client, guide)["meta"]["html_url"].endswith("/ola/picks/")


def test_a_draft_is_never_served_and_its_publication_is(api_client):
    guide = make_guide(make_creator("pia"), title="Live title", body=[product_card(make_product())])
    page_json(api_client, guide)

    guide.title = "Draft title"
    revision = guide.save_revision()
    draft_time = page_json(api_client, guide)["title"]
    revision.publish()

    assert draft_time == "Live title"
    assert page_json(api_client, guide)["title"] == "Draft title"
