"""Invalid shoppable blocks are refused with a message that names the problem."""

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from wagtail.test.utils.form_data import nested_form_data, streamfield

from content.blocks import ComparisonTableBlock, DealBlock, HotspotBlock, ProductCardBlock
from content.models import BuyingGuidePage
from shop.models import ProductStatus, Promotion
from tests.factories import logged_in, make_creator, make_deal, make_product, make_user, storefront_of

pytestmark = pytest.mark.django_db


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
    variant = make_product(variants=[("DEAL-1", "50.00", 5)]).variants.get()
    deal = make_deal(variant, price="50.00")

    with pytest.raises(ValidationError) as refused:
        deal.clean()

    assert refused.value.message_dict == {"price": ["The deal price 50.00 must be below the price 50.00 USD."]}
    deal.price = Decimal("49.99")
    deal.clean()


def test_a_deal_on_an_archived_product_or_in_another_currency_is_refused():
    variant = make_product(title="Old Speaker", variants=[("DEAL-A", "40.00", 5)],
                           status=ProductStatus.ARCHIVED).variants.get()
    deal = make_deal(variant, price="30.00")
    deal.currency = "EUR"

    with pytest.raises(ValidationError) as refused:
        deal.clean()

    assert refused.value.message_dict == {
        "variant": ["“Old Speaker” is archived and can't be sold; choose an active product."],
        "currency": ["Use the variant's currency, USD."],
    }


def test_a_deal_block_refuses_a_deal_whose_product_was_archived_since():
    product = make_product(title="Old Speaker", variants=[("DEAL-B", "40.00", 5)])
    deal = make_deal(product.variants.get(), price="30.00")
    assert block_errors(DealBlock(), {"deal": deal.pk, "note": ""}) == {}
    product.status = ProductStatus.ARCHIVED
    product.save()

    assert block_errors(DealBlock(), {"deal": deal.pk, "note": ""}) == {
        "deal": ["“Old Speaker” is archived and can't be sold; choose an active product."]}


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


def _add_deal_in_the_editor(sku: str, **fields):
    """A superuser's post of the deal editor's form for a new variant ``sku`` priced 80.00 USD (``fields`` given)."""
    variant = make_product(variants=[(sku, "80.00", 5)]).variants.get()
    form = {"variant": variant.pk, "currency": "", "starts_at": "2030-01-01 12:00", "ends_at": "2030-01-02 12:00",
            "unit_cap": "", "per_buyer_limit": "", **fields}
    return logged_in(make_user("staff", is_superuser=True, is_staff=True)).post(
        "/admin/snippets/shop/promotion/add/", form)


def test_the_deal_editor_refuses_a_deal_price_above_the_price_with_a_message():
    response = _add_deal_in_the_editor("ED-1", name="Too dear", price="95.00")

    assert response.status_code == 200
    assert "The deal price 95.00 must be below the price 80.00 USD." in response.content.decode()
    assert not Promotion.objects.exists()


def test_the_deal_editor_fills_in_the_variants_currency():
    response = _add_deal_in_the_editor("ED-3", name="Spring", price="60.00", unit_cap="5")

    assert response.status_code == 302
    assert list(Promotion.objects.values_list("name", "price", "currency", "unit_cap", "per_buyer_limit")) == [
        ("Spring", Decimal("60.00"), "USD", 5, None)]


def test_the_editor_accepts_a_valid_guide_from_a_creator_and_keeps_it_a_draft(client):
    product = make_product(variants=[("ED-2", "80.00", 5)])
    creator = make_creator("eli")
    client.force_login(creator.user)
    form = nested_form_data({
        "title": "Good deals",
        "slug": "good-deals",
        "summary": "",
        "body": streamfield([
            ("deal", {"deal": make_deal(product.variants.get(), price="60.00").pk, "note": ""}),
        ]),
    })

    response = client.post(f"/admin/pages/add/content/buyingguidepage/{storefront_of(creator).pk}/", form)

    assert response.status_code == 302
    guide = BuyingGuidePage.objects.get(slug="good-deals")
    assert guide.live is False
    assert guide.creator == creator
    assert guide.owner == creator.user
    assert guide.body[0].value["deal"].price == Decimal("60.00")
