"""My account: orders placed with the verified address (guest orders too), pickup codes, group-buy
teams, one page and JSON endpoints; sign out everywhere."""

import pytest
from django.test import Client

from shop.models import OrderStatus
from shop.services.groupbuy import join_team, open_team
from shop.services.pickup_codes import pickup_code_for
from tests.creators.helpers import LineSpec, make_order, mark_paid
from tests.factories import make_product
from tests.readers.helpers import mailed_sign_in, sign_in
from tests.shop.group_helpers import buyer, make_campaign

pytestmark = pytest.mark.django_db


def _orders(email: str, count: int, *, lines: int = 2):
    products = [make_product(title=f"Lamp {n}") for n in range(lines)]
    return [make_order(*[LineSpec(product, unit_price="12.50", quantity=2) for product in products], email=email)
            for _ in range(count)]


def test_orders_placed_as_a_guest_are_listed_once_the_address_is_verified(client, ask):
    guest = _orders("Ada@Example.com", 1)[0]
    mark_paid(guest)
    _orders("bob@example.com", 1)

    assert client.get("/api/v1/account/orders").status_code == 401
    sign_in(client, ask, "ada@example.com")
    later = _orders("ADA@example.com", 1)[0]
    listed = client.get("/api/v1/account/orders").json()

    assert [order["number"] for order in listed] == [later.number, guest.number]
    assert listed[1] == {
        "number": guest.number, "status": "paid", "placed_at": listed[1]["placed_at"], "currency": "USD",
        "total": "50.00", "fulfilment": "shipping", "pickup_code": None,
        "lines": [{"product_title": "Lamp 0", "variant_name": "", "quantity": 2},
                  {"product_title": "Lamp 1", "variant_name": "", "quantity": 2}],
    }


def test_a_paid_pickup_order_shows_its_pickup_code_until_collected(client, ask):
    order = _orders("ada@example.com", 1, lines=1)[0]
    order.fulfilment_method = "pickup"
    order.save(update_fields=["fulfilment_method"])
    mark_paid(order)
    sign_in(client, ask, "ada@example.com")

    assert client.get("/api/v1/account/orders").json()[0]["pickup_code"] == pickup_code_for(order)
    order.status = OrderStatus.FULFILLED
    order.save(update_fields=["status"])
    assert client.get("/api/v1/account/orders").json()[0]["pickup_code"] is None


def test_teams_list_the_readers_seats(client, ask):
    campaign = make_campaign(team_size=3)
    opened = open_team(campaign.pk, buyer=buyer(1))
    join_team(opened.team.code, buyer=buyer(2))
    sign_in(client, ask, "reader2@example.com")

    teams = client.get("/api/v1/account/teams").json()

    assert teams == [{
        "code": opened.team.code, "product_title": campaign.promotion.variant.product.title, "status": "forming",
        "seats": 3, "deadline": teams[0]["deadline"], "member_status": teams[0]["member_status"],
        "order_number": teams[0]["order_number"],
    }]
    assert teams[0]["order_number"] != opened.order.number


def test_sign_out_everywhere_ends_every_session(client, ask):
    phone = Client()
    sign_in(client, ask, "ada@example.com")
    sign_in(phone, ask, "ada@example.com")
    assert phone.get("/api/v1/account").json()["email"] == "ada@example.com"

    assert client.post("/api/v1/account/sign-out-everywhere", content_type="application/json").status_code == 204

    assert phone.get("/api/v1/account").status_code == 401
    assert client.get("/api/v1/account").status_code == 401
    assert phone.get("/account/").status_code == 302


def test_a_staff_login_is_not_a_reader(admin_client):
    assert admin_client.get("/api/v1/account/orders").status_code == 401


# The session and the reader, then: nothing; the orders and their lines; the seats with team, order and product.
@pytest.mark.parametrize(("path", "queries"), [("/api/v1/account", 2), ("/api/v1/account/orders", 4),
                                               ("/api/v1/account/teams", 3)])
def test_account_endpoints_cost_the_same_queries_for_few_or_many_rows(client, ask, django_assert_num_queries, path,
                                                                       queries):
    sign_in(client, ask, "reader1@example.com")
    _orders("reader1@example.com", 1, lines=1)
    client.get(path)  # warm-up
    with django_assert_num_queries(queries):
        assert client.get(path).status_code == 200
    _orders("reader1@example.com", 4, lines=3)
    for n in range(3):
        open_team(make_campaign(f"GRP-{n}").pk, buyer=buyer(1, name="Ada"))
    with django_assert_num_queries(queries):
        assert client.get(path).status_code == 200


def test_the_account_page_signs_in_by_code_and_lists_orders(client, ask, django_capture_on_commit_callbacks):
    order = _orders("ada@example.com", 1, lines=1)[0]
    assert client.get("/account/").url == "/account/sign-in/"
    with django_capture_on_commit_callbacks(execute=True):
        asked = client.post("/account/sign-in/", {"email": "ada@example.com"})
    assert asked.url == "/account/sign-in/code/"
    _, code = mailed_sign_in("ada@example.com")

    signed_in = client.post("/account/sign-in/code/", {"code": code})
    page = client.get("/account/")

    assert signed_in.url == "/account/"
    assert page.status_code == 200
    html = page.content.decode()
    assert order.number in html and "2 × Lamp 0" in html and "ada@example.com" in html


def test_the_mailed_link_page_asks_before_signing_in(client, ask):
    ask("ada@example.com")
    token, _ = mailed_sign_in("ada@example.com")

    shown = client.get(f"/account/sign-in/link/{token}/")
    used = client.post(f"/account/sign-in/link/{token}/")
    again = client.post(f"/account/sign-in/link/{token}/")

    assert shown.status_code == 200 and "Sign in to kolshop" in shown.content.decode()
    assert used.url == "/account/"
    assert again.status_code == 400
    assert "expired or was already used" in again.content.decode()
