"""Invalid shoppable blocks are refused with a message that names the problem."""

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from wagtail.test.utils.form_data import nested_form_data, streamfield

from content.blocks import ComparisonTableBlock, DealBlock, HotspotBlock, ProductCardBlock
from content.models import BuyingGuidePage
from shop.models import ProductStatus
from tests.factories import make_creator, make_product, storefront_of

pytestmark = pytest.mark.django_db

ENDS_AT = "2030-01-01T12:00:00Z"


def block_errors(block, raw: dict) -> dict[str, list[str]]:
    """Clean ``raw`` through ``block`` and return {child name: [messages]} (empty when valid)."""
    try:
        block.clean(block.to_python(raw))
    except ValidationError as error:
        return {name: [str(message) for message in child.messages] for name, child in error.block_errors.items()} or {
            "__all__": error.messages
        }
    return {}


def test_a_deal_price_at_or_above_the_price_is_refused():
    product = make_product(variants=[("DEAL-1", "50.00", 5)])
    variant = product.variants.get()
    raw = {"product": product.pk, "variant": variant.pk, "deal_price": "50.00", "ends_at": ENDS_AT, "note": ""}

    assert block_errors(DealBlock(), raw) == {"deal_price": ["The deal price 50.00 must be below the price 50.00 USD."]}
    assert block_errors(DealBlock(), {**raw, "deal_price": "49.99"}) == {}


def test_a_deal_without_a_variant_must_beat_the_cheapest_variant():
    product = make_product(variants=[("DEAL-A", "40.00", 5), ("DEAL-B", "30.00", 5)])
    raw = {"product": product.pk, "variant": None, "deal_price": "35.00", "ends_at": ENDS_AT, "note": ""}

    assert block_errors(DealBlock(), raw) == {"deal_price": ["The deal price 35.00 must be below the price 30.00 USD."]}


@pytest.mark.parametrize(("x", "y", "field"), [("100.01", "50", "x"), ("-1", "50", "x"), ("50", "101", "y")])
def test_a_hotspot_outside_the_image_is_refused(x, y, field):
    product = make_product()
    errors = block_errors(HotspotBlock(), {"product": product.pk, "variant": None, "x": x, "y": y, "label": ""})
    assert list(errors) == [field]
    assert "100" in errors[field][0] or "0" in errors[field][0]


def test_a_hotspot_on_the_edge_is_accepted():
    product = make_product()
    assert block_errors(HotspotBlock(), {"product": product.pk, "variant": None, "x": "0", "y": "100", "label": ""}) == {}


def test_an_archived_product_is_refused_by_name():
    product = make_product(title="Old Speaker", status=ProductStatus.ARCHIVED)
    errors = block_errors(ProductCardBlock(), {"product": product.pk, "variant": None, "note": ""})
    assert errors == {"product": ["“Old Speaker” is archived and can't be sold; choose an active product."]}


def test_a_variant_of_another_product_is_refused():
    chosen = make_product(title="Chosen", variants=[("CH-1", "10.00", 1)])
    other = make_product(title="Other", variants=[("OT-1", "10.00", 1)])
    errors = block_errors(ProductCardBlock(), {"product": chosen.pk, "variant": other.variants.get().pk, "note": ""})
    assert errors == {"variant": ["Variant OT-1 belongs to another product, not “Chosen”."]}


def test_a_comparison_may_not_list_a_product_twice():
    first, second = make_product(), make_product()
    raw = {"title": "", "products": [first.pk, second.pk, first.pk], "attributes": ["Weight"], "show_price": True}
    assert block_errors(ComparisonTableBlock(), raw) == {"products": ["Each product may appear only once in a comparison."]}


def test_every_shoppable_block_id_is_kept_stable_across_revisions():
    product = make_product()
    creator = make_creator("ida")
    guide = BuyingGuidePage(title="Picks", slug="picks", body=[("product_card", {"product": product, "variant": None, "note": ""})])
    storefront_of(creator).add_child(instance=guide)
    block_id = guide.body[0].id
    guide.save_revision().publish()

    reloaded = BuyingGuidePage.objects.get(pk=guide.pk)
    reloaded.title = "Picks, revised"
    reloaded.save_revision().publish()

    assert block_id
    assert BuyingGuidePage.objects.get(pk=guide.pk).body[0].id == block_id


def test_the_editor_refuses_an_invalid_deal_with_a_message(client):
    product = make_product(variants=[("ED-1", "80.00", 5)])
    creator = make_creator("noa")
    client.force_login(creator.user)
    storefront = storefront_of(creator)
    form = nested_form_data({
        "title": "Deals",
        "slug": "deals",
        "summary": "",
        "body": streamfield([
            ("deal", {"product": product.pk, "variant": "", "deal_price": "95.00", "ends_at": "2030-01-01 12:00", "note": ""}),
        ]),
    })

    response = client.post(f"/admin/pages/add/content/buyingguidepage/{storefront.pk}/", form)

    assert response.status_code == 200
    assert "The page could not be created due to validation errors" in response.content.decode()
    assert "must be below the price 80.00 USD" in response.content.decode()
    assert not BuyingGuidePage.objects.filter(slug="deals").exists()


def test_the_editor_accepts_a_valid_guide_from_a_creator_and_keeps_it_a_draft(client):
    product = make_product(variants=[("ED-2", "80.00", 5)])
    creator = make_creator("eli")
    client.force_login(creator.user)
    form = nested_form_data({
        "title": "Good deals",
        "slug": "good-deals",
        "summary": "",
        "body": streamfield([
            ("deal", {"product": product.pk, "variant": "", "deal_price": "60.00", "ends_at": "2030-01-01 12:00", "note": ""}),
        ]),
    })

    response = client.post(f"/admin/pages/add/content/buyingguidepage/{storefront_of(creator).pk}/", form)

    assert response.status_code == 302
    guide = BuyingGuidePage.objects.get(slug="good-deals")
    assert guide.live is False
    assert guide.creator == creator
    assert guide.owner == creator.user
    assert guide.body[0].value["deal_price"] == Decimal("60.00")
