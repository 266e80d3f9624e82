"""Every block has one human label (content.services.block_labels.block_label), used by the content
API, the brand report, "My earnings", statements and the tracked-link form instead of its id."""

import json
from datetime import datetime, timezone as tz

import pytest

from creators.reports.queries import ReportFilters, build_report
from creators.services.attribution import attribute_order
from creators.services.block_labels import block_labels
from creators.services.ledger import accrue_commission
from creators.services.reports import earnings_by_page_and_block, statement
from tests.creators.helpers import LineSpec, make_order, mark_paid
from tests.factories import (
    block, comparison_table, deal, make_creator, make_guide, make_image, make_product, product_card, product_grid,
    shop_the_look,
)

pytestmark = pytest.mark.django_db
MARCH = datetime(2026, 3, 10, 12, 0, tzinfo=tz.utc)


@pytest.fixture
def labelled_guide(site_tree):
    anna = make_creator("anna")
    boots = make_product(title="Trail Boots")
    tent = make_product(title="Dome Tent")
    body = [
        product_card(boots) | {"id": "card"},
        product_card(boots) | {"id": "card-again"},
        product_grid([(boots, None, ""), (tent, None, "")]) | {"id": "grid"},
        product_grid([(tent, None, "")], title="My camp picks") | {"id": "titled-grid"},
        comparison_table([boots, tent], attributes=["Weight"]) | {"id": "table"},
        shop_the_look(make_image(), [(boots, None, "20", "30", "Boots"), (tent, None, "60", "40", "")]) | {"id": "look"},
        shop_the_look(make_image(), [(tent, None, "50", "50", "")], caption="Basecamp at dusk") | {"id": "look-2"},
        block("heading", "Why these", "head"),
        block("heading", "And these", "head-2"),
    ]
    return anna, make_guide(anna, title="Hiking kit", body=body), boots


def test_each_block_gets_its_creators_words_or_its_products(labelled_guide):
    _, guide, _ = labelled_guide

    labels = block_labels([guide.pk])

    assert labels == {
        (guide.pk, "card"): "Trail Boots",
        (guide.pk, "card-again"): "Trail Boots (2)",
        (guide.pk, "grid"): "Product grid or carousel: Trail Boots, Dome Tent",
        (guide.pk, "titled-grid"): "My camp picks",
        (guide.pk, "table"): "Comparison table: Trail Boots vs Dome Tent",
        (guide.pk, "look"): "Shop the look: Boots",
        (guide.pk, "look-2"): "Basecamp at dusk",
        (guide.pk, "head"): "Heading 1",
        (guide.pk, "head-2"): "Heading 2",
    }


def test_the_content_api_names_each_block(labelled_guide, client):
    _, guide, _ = labelled_guide

    body = client.get(f"/api/v2/pages/{guide.pk}/").json()["body"]

    assert [(item["id"], item["label"]) for item in body][:3] == [
        ("card", "Trail Boots"), ("card-again", "Trail Boots (2)"), ("grid", "Product grid or carousel: Trail Boots, Dome Tent")]


def test_report_earnings_and_statement_name_blocks_by_label(labelled_guide):
    anna, guide, boots = labelled_guide
    for _ in range(5):  # five orders: the report shows the block's own row
        order = make_order(LineSpec(boots, unit_price="100.00", creator=anna, page_id=guide.pk, block_id="table"),
                           created_at=MARCH)
        attribute_order(order)
        mark_paid(order, at=MARCH)
        accrue_commission(order)
    unknown = make_order(LineSpec(boots, unit_price="10.00", creator=anna, page_id=guide.pk, block_id="4208ef16-gone"),
                         created_at=MARCH)
    attribute_order(unknown)
    mark_paid(unknown, at=MARCH)
    accrue_commission(unknown)

    report = build_report(ReportFilters(start=MARCH.date(), end=MARCH.date(), group_by="block", sort="label"))
    earnings = earnings_by_page_and_block(anna.pk)
    lines = statement(anna.pk, start=MARCH.date(), end=MARCH.date().replace(day=11)).lines

    assert [row.label for row in report.rows] == ["Hiking kit › Comparison table: Trail Boots vs Dome Tent",
                                                  "Other (rows under 5 orders)"]
    assert sorted(row.block_label for row in earnings) == ["Comparison table: Trail Boots vs Dome Tent", "block 4208ef16"]
    assert sorted({line.block_label for line in lines}) == ["Comparison table: Trail Boots vs Dome Tent", "block 4208ef16"]


def own(item: dict, own_label: str, block_id: str) -> dict:
    return {**item, "id": block_id, "value": {**item["value"], "own_label": own_label}}


@pytest.fixture
def own_labelled_guide(site_tree):
    anna = make_creator("anna")
    boots = make_product(title="Trail Boots", variants=[("BOOT-1", "120.00", 5)])
    tent = make_product(title="Dome Tent")
    body = [
        own(product_card(boots), "Boots in bio", "card"),
        own(product_grid([(boots, None, "")], title="My camp picks"), "Camp grid (TikTok)", "grid"),
        own(comparison_table([boots, tent], attributes=["Weight"]), "Boots vs tent", "table"),
        own(shop_the_look(make_image(), [(boots, None, "20", "30", "Boots")], caption="Dusk"), "Dusk look", "look"),
        own(deal(boots, deal_price="90.00", ends_at="2099-01-01T00:00:00Z"), "Black Friday boots", "deal"),
        own(product_card(tent), "   ", "blank"),  # a blank own label falls back to the product
    ]
    return anna, make_guide(anna, title="Hiking kit", body=body)


def test_a_creators_own_label_names_every_kind_of_shoppable_block(own_labelled_guide):
    _, guide = own_labelled_guide

    assert block_labels([guide.pk]) == {
        (guide.pk, "card"): "Boots in bio",
        (guide.pk, "grid"): "Camp grid (TikTok)",
        (guide.pk, "table"): "Boots vs tent",
        (guide.pk, "look"): "Dusk look",
        (guide.pk, "deal"): "Black Friday boots",
        (guide.pk, "blank"): "Dome Tent",
    }


def test_the_api_serves_the_own_label_as_the_blocks_label_and_keeps_values_unchanged(own_labelled_guide, client):
    _, guide = own_labelled_guide

    body = client.get(f"/api/v2/pages/{guide.pk}/").json()["body"]

    assert [(item["id"], item["label"]) for item in body] == [
        ("card", "Boots in bio"), ("grid", "Camp grid (TikTok)"), ("table", "Boots vs tent"), ("look", "Dusk look"),
        ("deal", "Black Friday boots"), ("blank", "Dome Tent")]
    assert [sorted(item["value"]) for item in body if item["type"] in ("product_grid", "shop_the_look")] == [
        ["items", "layout", "title"], ["caption", "hotspots", "image"]]
    assert all("own_label" not in item["value"] for item in body)


def test_the_link_form_offers_blocks_by_their_own_label(own_labelled_guide, client):
    anna, guide = own_labelled_guide
    client.force_login(anna.user)

    page = client.get("/admin/snippets/creators/trackedlink/add/").content.decode()

    assert f'<option value="{guide.pk}:card">Hiking kit › Boots in bio</option>' in page
    assert f'<option value="{guide.pk}:deal">Hiking kit › Black Friday boots</option>' in page


def test_labels_and_the_link_form_read_the_latest_draft(site_tree, client, django_assert_num_queries):
    anna = make_creator("anna")
    boots = make_product(title="Trail Boots")
    tent = make_product(title="Dome Tent")
    guide = make_guide(anna, title="Hiking kit", body=[product_card(boots) | {"id": "card"},
                                                      product_card(tent) | {"id": "gone-in-draft"}])
    draft = guide.specific
    draft.body = json.dumps([own(product_card(boots), "Boots, renamed", "card"),
                             product_card(tent) | {"id": "new-in-draft"}])
    draft.save_revision(user=anna.user)  # not published
    client.force_login(anna.user)

    with django_assert_num_queries(3):  # page rows, drafts, product titles (no deal on the page: no deal query)
        labels = block_labels([guide.pk])
    page = client.get("/admin/snippets/creators/trackedlink/add/").content.decode()

    assert labels == {(guide.pk, "card"): "Boots, renamed", (guide.pk, "new-in-draft"): "Dome Tent",
                      (guide.pk, "gone-in-draft"): "Dome Tent"}
    assert f'<option value="{guide.pk}:new-in-draft">Hiking kit › Dome Tent</option>' in page
    assert f'<option value="{guide.pk}:card">Hiking kit › Boots, renamed</option>' in page
