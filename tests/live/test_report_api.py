"""GET /api/v1/live-reports/<id>: the report page's figures as JSON for the session's creator and the brands it
featured (their own products only, no buyer); 404 for everyone else; constant queries at any size."""

import pytest
from django.db import connection
from django.test import Client

from tests.factories import make_brand, make_brand_user, make_creator
from tests.live.helpers import session_of_size, session_with_sales

pytestmark = pytest.mark.django_db

REPORT_QUERIES = 17 if connection.vendor == "postgresql" else 19  # clicks: one GROUPING SETS query on PostgreSQL


def _api(user=None) -> Client:
    client = Client()
    if user is not None:
        client.force_login(user)
    return client


def _usd(gmv: str, refunds: str = "0.00") -> list[dict]:
    net = f"{float(gmv) - float(refunds):.2f}"
    return [{"currency": "USD", "gmv": gmv, "refunds": refunds, "net_gmv": net}]


def test_the_creator_reads_the_whole_report(shop_settings):
    page, deal, _, _, _ = session_with_sales(shop_settings)

    response = _api(page.owner).get(f"/api/v1/live-reports/{page.pk}")

    body = response.json()
    lipstick, serum = (row["product_id"] for row in body["pinned_products"])
    assert response.status_code == 200
    assert body == {
        "session_id": page.pk, "title": "Friday live", "brand_scoped": False, "peak_viewers": 0,
        "unique_viewers": 0, "clicks": 0, "pins": 2, "conversion": None,
        "sales": {"orders": 2, "units": 6, "money": _usd("116.00")},
        "pinned_products": [
            {"product_id": lipstick, "title": "Lipstick", "pins": 1,
             "sales": {"orders": 2, "units": 4, "money": _usd("56.00")}},
            {"product_id": serum, "title": "Serum", "pins": 1,
             "sales": {"orders": 1, "units": 2, "money": _usd("60.00")}}],
        "flash_deals": [{"promotion_id": deal.pk, "sku": "LIP-1", "price": "12.00", "currency": "USD", "unit_cap": 10,
                         "sell_through": "30.00", "sales": {"orders": 1, "units": 3, "money": _usd("36.00")}}],
    }


def test_a_brand_reads_its_own_products_figures_and_no_buyer(shop_settings):
    page, _, _, _, dew = session_with_sales(shop_settings)

    body = _api(make_brand_user("dew-manager", brand=dew)).get(f"/api/v1/live-reports/{page.pk}").json()

    assert (body["brand_scoped"], body["sales"]) == (True, {"orders": 1, "units": 2, "money": _usd("60.00")})
    assert [row["title"] for row in body["pinned_products"]] == ["Serum"]
    assert body["flash_deals"] == []
    assert "@" not in str(body)


def test_others_get_a_404_json_and_anonymous_a_401(shop_settings):
    page, _, _, _, _ = session_with_sales(shop_settings)
    others = [make_creator("ivy").user, make_brand_user("bravo-manager", brand=make_brand("Bravo")),
              make_brand_user("brandless-manager")]

    refused = [_api(user).get(f"/api/v1/live-reports/{page.pk}") for user in others]
    unknown = _api(page.owner).get("/api/v1/live-reports/99999999999")
    anonymous = _api().get(f"/api/v1/live-reports/{page.pk}")

    for response in (*refused, unknown):
        assert response.status_code == 404
        assert response.json() == {"code": "report_not_found", "message": "No such live session report.",
                                   "field": "page_id"}
    assert (anonymous.status_code, anonymous.json()["code"]) == (401, "not_authenticated")


@pytest.mark.parametrize("size", [1, 5])
def test_the_report_costs_the_same_queries_at_any_size(shop_settings, django_assert_num_queries, size):
    page = session_of_size(size)
    api = _api(page.owner)
    api.get(f"/api/v1/live-reports/{page.pk}")  # warm-up

    with django_assert_num_queries(REPORT_QUERIES):
        response = api.get(f"/api/v1/live-reports/{page.pk}")

    assert response.status_code == 200
    assert (len(response.json()["pinned_products"]), len(response.json()["flash_deals"])) == (size, size)
