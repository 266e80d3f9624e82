"""The content API (/api/v2/pages/): resolved shoppable blocks, unavailable products, filters, errors."""

from urllib.parse import parse_qs, urlparse

import pytest

from shop.attribution import Attribution, InvalidAttribution, buy_path, read_attribution
from shop.models import ProductStatus
from tests.factories import (
    add_product_image,
    block,
    comparison_table,
    deal,
    make_creator,
    make_guide,
    make_image,
    make_product,
    product_card,
    product_grid,
    shop_the_look,
)

pytestmark = pytest.mark.django_db


def renditions_of(image) -> dict:
    return {
        name: {"url": rendition.url, "width": rendition.width, "height": rendition.height}
        for name, rendition in zip(
            ["thumbnail", "card", "hero"], image.get_renditions("fill-200x200", "fill-600x600", "width-1200").values()
        )
    }


def test_a_product_card_arrives_resolved_with_variants_stock_and_an_attributed_buy_link(api_client, monkeypatch):
    # One signing second for the response and the expected links (their timestamps have 1 s resolution).
    import time as real_time
    from types import SimpleNamespace

    import django.core.signing

    instant = real_time.time()
    monkeypatch.setattr(django.core.signing, "time", SimpleNamespace(time=lambda: instant))
    # given a product with two variants (one low on stock) and a photo, chosen in a guide's card
    product = make_product(title="Field Recorder", variants=[("REC-1", "349.00", 12), ("REC-2", "299.00", 2)])
    product.variants.filter(sku="REC-1").update(compare_at_price="399.00", name="Black", option_values={"colour": "black"})
    image = make_image("Recorder photo", width=800, height=600)
    add_product_image(product, image, alt_text="The recorder, front")
    creator = make_creator("pia")
    card = product_card(product, variant=product.variants.get(sku="REC-1"), note="<p>My <b>favourite</b>.</p>")
    guide = make_guide(creator, title="Recorders", body=[card])

    # when a front end reads the page
    response = api_client.get(f"/api/v2/pages/{guide.pk}/")

    # then the block carries exactly what a buyer needs
    assert response.status_code == 200
    body = response.json()
    assert body["title"] == "Recorders"
    assert body["creator"] == {"id": creator.pk, "handle": "pia", "display_name": "Pia", "bio": "", "avatar": None}
    link_for = lambda sku: buy_path(sku, Attribution(creator_id=creator.pk, page_id=guide.pk, block_id=card["id"]))  # noqa: E731
    rec1, rec2 = product.variants.get(sku="REC-1"), product.variants.get(sku="REC-2")
    assert body["body"] == [{
        "type": "product_card",
        "id": card["id"],
        "label": "Field Recorder",
        "value": {
            "product": {
                "id": product.pk,
                "title": "Field Recorder",
                "slug": product.slug,
                "brand": {"id": product.brand.pk, "name": product.brand.name, "slug": product.brand.slug},
                "image": {
                    "id": image.pk, "alt": "The recorder, front", "width": 800, "height": 600,
                    "renditions": renditions_of(image),
                },
                "images": [{
                    "id": image.pk, "alt": "The recorder, front", "width": 800, "height": 600,
                    "renditions": renditions_of(image),
                }],
            },
            "available": True,
            "unavailable_reason": None,
            "variant": {
                "id": rec1.pk, "sku": "REC-1", "name": "Black", "options": {"colour": "black"},
                "price": "349.00", "compare_at_price": "399.00", "currency": "USD",
                "stock": {"level": "in_stock", "quantity": None}, "buy_url": link_for("REC-1"),
            },
            "variants": [
                {
                    "id": rec1.pk, "sku": "REC-1", "name": "Black", "options": {"colour": "black"},
                    "price": "349.00", "compare_at_price": "399.00", "currency": "USD",
                    "stock": {"level": "in_stock", "quantity": None}, "buy_url": link_for("REC-1"),
                },
                {
                    "id": rec2.pk, "sku": "REC-2", "name": "", "options": {},
                    "price": "299.00", "compare_at_price": None, "currency": "USD",
                    "stock": {"level": "low_stock", "quantity": 2}, "buy_url": link_for("REC-2"),
                },
            ],
            "buy_url": link_for("REC-1"),
            "note": "<p>My <b>favourite</b>.</p>",
        },
    }]
    assert renditions_of(image)["thumbnail"]["width"] == 200
    assert renditions_of(image)["hero"] == {"url": renditions_of(image)["hero"]["url"], "width": 800, "height": 600}


def test_the_buy_link_credits_the_creator_the_page_and_the_exact_block(api_client):
    product = make_product(variants=[("CAM-1", "99.00", 9)])
    creator = make_creator("lu")
    first, second = product_card(product), product_card(product)
    guide = make_guide(creator, body=[first, second])

    body = api_client.get(f"/api/v2/pages/{guide.pk}/").json()["body"]

    tokens = [parse_qs(urlparse(item["value"]["buy_url"]).query)["ref"][0] for item in body]
    assert [read_attribution(token, sku="CAM-1") for token in tokens] == [
        Attribution(creator_id=creator.pk, page_id=guide.pk, block_id=first["id"]),
        Attribution(creator_id=creator.pk, page_id=guide.pk, block_id=second["id"]),
    ]
    assert urlparse(body[0]["value"]["buy_url"]).path == "/buy/CAM-1/"
    with pytest.raises(InvalidAttribution, match="issued for another product"):
        read_attribution(tokens[0], sku="CAM-2")


def test_every_shoppable_block_type_resolves_its_products(api_client):
    headphones = make_product(title="Headphones", variants=[("HP-1", "199.00", 30)], attributes={"Battery": "30 h", "Weight": "250 g"})
    earbuds = make_product(title="Earbuds", variants=[("EB-1", "129.00", 4)], attributes={"Battery": "8 h"})
    look = make_image("Look", width=1000, height=800)
    creator = make_creator("kim")
    grid = product_grid([(headphones, None, "Best overall"), (earbuds, earbuds.variants.get(), "")], title="Top", layout="carousel")
    table = comparison_table([headphones, earbuds], attributes=["Battery", "Weight"], title="Compared")
    looks = shop_the_look(look, [(earbuds, None, "12.50", "40", "Buds")], caption="Commute kit")
    offer = deal(headphones, deal_price="149.00", ends_at="2030-01-01T10:00:00Z", note="Today only")
    guide = make_guide(creator, body=[block("heading", "Audio"), grid, table, looks, offer])

    body = api_client.get(f"/api/v2/pages/{guide.pk}/").json()["body"]

    assert [item["type"] for item in body] == ["heading", "product_grid", "comparison_table", "shop_the_look", "deal"]
    assert body[0]["value"] == "Audio"
    grid_value = body[1]["value"]
    assert (grid_value["title"], grid_value["layout"]) == ("Top", "carousel")
    assert [(item["product"]["title"], item["variant"]["sku"], item["variant"]["stock"], item["caption"]) for item in grid_value["items"]] == [
        ("Headphones", "HP-1", {"level": "in_stock", "quantity": None}, "Best overall"),
        ("Earbuds", "EB-1", {"level": "low_stock", "quantity": 4}, ""),
    ]
    assert read_attribution(parse_qs(urlparse(grid_value["items"][1]["buy_url"]).query)["ref"][0], sku="EB-1").block_id == grid["id"]
    table_value = body[2]["value"]
    assert (table_value["title"], table_value["show_price"]) == ("Compared", True)
    assert [item["variant"]["price"] for item in table_value["products"]] == ["199.00", "129.00"]
    assert table_value["rows"] == [
        {"attribute": "Battery", "values": ["30 h", "8 h"]},
        {"attribute": "Weight", "values": ["250 g", None]},
    ]
    look_value = body[3]["value"]
    assert look_value["caption"] == "Commute kit"
    assert look_value["image"] == {"id": look.pk, "alt": "Look", "width": 1000, "height": 800, "renditions": renditions_of(look)}
    hotspot = look_value["hotspots"][0]
    assert (hotspot["x"], hotspot["y"], hotspot["label"], hotspot["product"]["title"]) == ("12.50", "40.00", "Buds", "Earbuds")
    deal_value = body[4]["value"]
    assert (deal_value["deal_price"], deal_value["ends_at"], deal_value["note"]) == ("149.00", "2030-01-01T10:00:00Z", "Today only")
    assert (deal_value["variant"]["sku"], deal_value["variant"]["price"], deal_value["available"]) == ("HP-1", "199.00", True)


def test_archived_deleted_and_sold_out_products_are_unavailable_and_the_page_is_still_served(api_client):
    archived = make_product(title="Old", variants=[("OLD-1", "10.00", 5)])
    deleted = make_product(title="Gone", variants=[("GONE-1", "10.00", 5)])
    sold_out = make_product(title="Popular", variants=[("POP-1", "20.00", 0)])
    fine = make_product(title="Fine", variants=[("FINE-1", "30.00", 8)])
    creator = make_creator("ana")
    guide = make_guide(creator, body=[product_card(archived), product_card(deleted), product_card(sold_out), product_card(fine)])
    archived.status = ProductStatus.ARCHIVED
    archived.save()
    deleted.delete()

    response = api_client.get(f"/api/v2/pages/{guide.pk}/")

    assert response.status_code == 200
    values = [item["value"] for item in response.json()["body"]]
    assert [(value["available"], value["unavailable_reason"], value["buy_url"] is None) for value in values] == [
        (False, "archived", True),
        (False, "deleted", True),
        (False, "sold_out", True),
        (True, None, False),
    ]
    assert values[1]["product"] is None and values[1]["variant"] is None and values[1]["variants"] == []
    assert values[0]["product"]["title"] == "Old" and values[0]["variants"][0]["buy_url"] is None
    assert values[2]["variant"] == {
        "id": sold_out.variants.get().pk, "sku": "POP-1", "name": "", "options": {}, "price": "20.00",
        "compare_at_price": None, "currency": "USD", "stock": {"level": "out_of_stock", "quantity": None}, "buy_url": None,
    }


def test_live_session_and_creator_page_fields(api_client):
    from content.models import LiveSessionPage
    from tests.factories import storefront_of

    creator = make_creator("zoe")
    storefront = storefront_of(creator)
    storefront.tagline = "Gadgets, honestly."
    storefront.save_revision().publish()
    session = LiveSessionPage(
        title="Friday live", slug="friday-live", starts_at="2030-05-01T18:00:00Z", ends_at="2030-05-01T19:00:00Z",
        stream_url="https://live.example.com/zoe", live=False,
    )
    storefront.add_child(instance=session)
    session.tags.add("audio")
    session.save_revision().publish()

    session_body = api_client.get(f"/api/v2/pages/{session.pk}/").json()
    storefront_body = api_client.get(f"/api/v2/pages/{storefront.pk}/").json()

    assert {key: session_body[key] for key in ("title", "starts_at", "ends_at", "stream_url", "tags", "summary", "body")} == {
        "title": "Friday live", "starts_at": "2030-05-01T18:00:00Z", "ends_at": "2030-05-01T19:00:00Z",
        "stream_url": "https://live.example.com/zoe", "tags": ["audio"], "summary": "", "body": [],
    }
    assert session_body["creator"]["handle"] == "zoe"
    assert storefront_body["tagline"] == "Gadgets, honestly."
    assert storefront_body["creator"] == {"id": creator.pk, "handle": "zoe", "display_name": "Zoe", "bio": "", "avatar": None}


def test_pages_filter_by_creator_and_tag_search_and_find_by_path(api_client):
    pia, lu = make_creator("pia"), make_creator("lu")
    audio = make_guide(pia, title="Best headphones", slug="best-headphones")
    audio.tags.add("audio")
    audio.save_revision().publish()
    make_guide(pia, title="Kitchen knives", slug="knives")
    other = make_guide(lu, title="Travel headphones", slug="travel")

    def titles(query: str) -> list[str]:
        response = api_client.get(f"/api/v2/pages/?{query}")
        assert response.status_code == 200, response.content
        return sorted(item["title"] for item in response.json()["items"])

    assert titles(f"creator={pia.pk}") == ["Best headphones", "Kitchen knives"]
    assert titles(f"creator={lu.pk}") == ["Travel headphones"]
    assert titles("tag=audio") == ["Best headphones"]
    assert titles(f"creator={lu.pk}&tag=audio") == []
    assert titles("type=content.BuyingGuidePage&search=headphones") == ["Best headphones", "Travel headphones"]
    found = api_client.get("/api/v2/pages/find/?html_path=/creators/lu/travel/", follow=True)
    assert found.status_code == 200 and found.json()["id"] == other.pk


def test_listing_with_creator_and_tags_costs_the_same_for_3_and_12_pages(api_client, django_assert_num_queries):
    creator = make_creator("pia")

    def count_listing() -> int:
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        url = "/api/v2/pages/?type=content.BuyingGuidePage&fields=creator,tags,summary,hero_image&limit=20"
        api_client.get(url)  # warm-up
        with CaptureQueriesContext(connection) as queries:
            response = api_client.get(url)
        assert response.status_code == 200
        return len(response.json()["items"]), len(queries)

    for number in range(3):
        make_guide(creator, title=f"Guide {number}").tags.add("tagged")
    small = count_listing()
    for number in range(3, 12):
        make_guide(creator, title=f"Guide {number}").tags.add("tagged")
    large = count_listing()

    assert small[0] == 3 and large[0] == 12
    assert small[1] == large[1] <= 8


def test_the_body_is_only_served_on_the_detail_endpoint(api_client):
    response = api_client.get("/api/v2/pages/?type=content.BuyingGuidePage&fields=body")

    assert response.status_code == 400
    assert response.json() == {"code": "invalid", "message": "unknown fields: body", "field": "fields"}


def test_unknown_page_is_a_json_404(api_client):
    assert api_client.get("/api/v2/pages/999999/").json() == {"code": "not_found", "message": "Page not found.", "field": None}
    assert api_client.get("/api/v2/pages/999999/").status_code == 404
    assert api_client.get("/api/v2/nothing-here/").status_code == 404
    assert api_client.get("/api/v2/nothing-here/").json()["code"] == "not_found"
    assert api_client.get("/api/v2/pages/find/?html_path=/no/such/page/").status_code == 404


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("creator=abc", "creator"),
        ("creator=-1", "creator"),
        ("creator=0", "creator"),
        ("tag=", "tag"),
        ("tag=" + "x" * 101, "tag"),
        ("limit=abc", "limit"),
        ("offset=-3", "offset"),
        ("colour=red", "colour"),
        ("type=shop.Nope", "type"),
        ("order=nonsense", "order"),
        ("child_of=abc", "child_of"),
        ("fields=title,nope", "fields"),
    ],
)
def test_malformed_filters_are_a_400_naming_the_field(api_client, query, field):
    make_guide(make_creator("pia"))

    response = api_client.get(f"/api/v2/pages/?{query}")

    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "invalid" and body["field"] == field and body["message"]


def test_find_with_a_malformed_id_is_a_400_naming_the_field(api_client):
    response = api_client.get("/api/v2/pages/find/?id=abc")

    assert response.status_code == 400
    assert response.json() == {"code": "invalid", "message": "id must be a positive integer.", "field": "id"}


def test_drafts_are_not_served_by_the_published_endpoint(api_client):
    guide = make_guide(make_creator("pia"), publish=False)

    assert api_client.get(f"/api/v2/pages/{guide.pk}/").status_code == 404


def test_a_product_block_lists_every_gallery_image_in_order(client):
    product = make_product(title="Tripod")
    front, side = make_image("front"), make_image("side")
    add_product_image(product, front, alt_text="Front")
    add_product_image(product, side, alt_text="Side")
    guide = make_guide(make_creator("uma"), body=[product_card(product)])

    block_value = client.get(f"/api/v2/pages/{guide.pk}/").json()["body"][0]["value"]

    assert [(image["id"], image["alt"]) for image in block_value["product"]["images"]] == [
        (front.pk, "Front"), (side.pk, "Side"),
    ]
    assert block_value["product"]["image"]["id"] == front.pk
