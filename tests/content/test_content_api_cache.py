"""Published page JSON is cacheable (ETag, Cache-Control, Django's cache) and never stale after changes."""

from decimal import Decimal

import pytest

from shop.services.inventory import adjust_stock_on_hand, set_stock_on_hand
from tests.factories import make_creator, make_guide, make_product, product_card

pytestmark = pytest.mark.django_db


def first_offer(client, guide) -> dict:
    return client.get(f"/api/v2/pages/{guide.pk}/").json()["body"][0]["value"]


def test_page_json_has_an_etag_and_cache_control_and_answers_304_when_unchanged(api_client, settings):
    settings.KOLSHOP_API_CACHE_SECONDS = 120
    guide = make_guide(make_creator("pia"), body=[product_card(make_product())])

    first = api_client.get(f"/api/v2/pages/{guide.pk}/")
    again = api_client.get(f"/api/v2/pages/{guide.pk}/", HTTP_IF_NONE_MATCH=first["ETag"])

    assert first.status_code == 200 and first["Cache-Control"] == "public, max-age=120"
    assert first["ETag"].startswith('"') and len(first["ETag"]) == 34
    assert again.status_code == 304 and again["ETag"] == first["ETag"] and again.content == b""


@pytest.mark.parametrize("header, status", [
    ("{etag}", 304),
    ("W/{etag}", 304),  # a proxy that weakened the tag: If-None-Match compares weakly
    ('"older", {etag}', 304),  # a client that keeps several versions
    ("*", 304),
    ('"older"', 200),
])
def test_if_none_match_names_the_page_s_tag_in_any_form_a_client_sends(api_client, header, status):
    guide = make_guide(make_creator("pia"), body=[product_card(make_product())])
    etag = api_client.get(f"/api/v2/pages/{guide.pk}/")["ETag"]

    again = api_client.get(f"/api/v2/pages/{guide.pk}/", HTTP_IF_NONE_MATCH=header.format(etag=etag))

    assert (again.status_code, again["ETag"]) == (status, etag)


def test_the_cached_json_is_served_until_the_page_is_published_again(api_client, django_assert_num_queries):
    guide = make_guide(make_creator("pia"), title="Before", body=[product_card(make_product())])
    before = api_client.get(f"/api/v2/pages/{guide.pk}/")

    with django_assert_num_queries(0):
        cached = api_client.get(f"/api/v2/pages/{guide.pk}/")
    guide.title = "After"
    guide.save_revision().publish()
    after = api_client.get(f"/api/v2/pages/{guide.pk}/")

    assert cached.content == before.content
    assert after.json()["title"] == "After" and after["ETag"] != before["ETag"]


def test_unpublishing_removes_the_page_from_the_api(api_client):
    guide = make_guide(make_creator("pia"), body=[product_card(make_product())])
    assert api_client.get(f"/api/v2/pages/{guide.pk}/").status_code == 200

    guide.unpublish()

    assert api_client.get(f"/api/v2/pages/{guide.pk}/").status_code == 404


def test_a_stock_change_shows_at_once_on_a_cached_page(api_client, django_capture_on_commit_callbacks):
    product = make_product(variants=[("REC-1", "349.00", 12)])
    guide = make_guide(make_creator("pia"), body=[product_card(product)])
    variant = product.variants.get()
    assert first_offer(api_client, guide)["variant"]["stock"] == {"level": "in_stock", "quantity": None}

    with django_capture_on_commit_callbacks(execute=True):  # the inventory service invalidates on commit
        set_stock_on_hand(variant, on_hand=3)
    low = first_offer(api_client, guide)
    with django_capture_on_commit_callbacks(execute=True):
        adjust_stock_on_hand(variant, delta=-3)  # an F() update: no signal, the service bumps the version
    sold_out = first_offer(api_client, guide)

    assert low["variant"]["stock"] == {"level": "low_stock", "quantity": 3}
    assert (sold_out["available"], sold_out["unavailable_reason"]) == (False, "sold_out")


def test_a_price_change_and_archiving_show_at_once_on_a_cached_page(api_client):
    product = make_product(variants=[("REC-1", "349.00", 12)])
    guide = make_guide(make_creator("pia"), body=[product_card(product)])
    assert first_offer(api_client, guide)["variant"]["price"] == "349.00"

    variant = product.variants.get()
    variant.price = Decimal("299.00")
    variant.save()
    cheaper = first_offer(api_client, guide)
    product.status = "archived"
    product.save()
    archived = first_offer(api_client, guide)

    assert cheaper["variant"]["price"] == "299.00"
    assert (archived["available"], archived["unavailable_reason"]) == (False, "archived")


def test_a_change_to_a_product_the_page_does_not_show_keeps_the_cache(
    api_client, django_assert_num_queries, django_capture_on_commit_callbacks
):
    shown, other = make_product(), make_product(variants=[("OTHER-1", "5.00", 5)])
    guide = make_guide(make_creator("pia"), body=[product_card(shown)])
    api_client.get(f"/api/v2/pages/{guide.pk}/")

    with django_capture_on_commit_callbacks(execute=True):
        set_stock_on_hand(other.variants.get(), on_hand=0)

    with django_assert_num_queries(0):
        assert api_client.get(f"/api/v2/pages/{guide.pk}/").status_code == 200


def test_holds_releases_and_sales_refresh_cached_availability(api_client, django_capture_on_commit_callbacks,
                                                             announced):
    from datetime import timedelta

    from django.utils import timezone

    from shop.models import Order, StockReservation
    from shop.services.cart import add_to_cart, create_cart
    from shop.services.checkout import confirm_payment, start_checkout
    from shop.services.expiry import release_expired_reservations

    product = make_product(variants=[("REC-9", "20.00", 8)])
    guide = make_guide(make_creator("pia"), body=[product_card(product)])
    assert first_offer(api_client, guide)["variant"]["stock"] == {"level": "in_stock", "quantity": None}

    def checkout(quantity: int):
        cart = create_cart()
        add_to_cart(cart, sku="REC-9", quantity=quantity)
        with django_capture_on_commit_callbacks(execute=True):
            return start_checkout(cart, email="reader@example.com", fulfilment="pickup").order

    abandoned = checkout(4)
    held = first_offer(api_client, guide)  # 8 on hand, 4 held by the pending order
    past = timezone.now() - timedelta(minutes=1)
    Order.objects.filter(pk=abandoned.pk).update(reserved_until=past)
    StockReservation.objects.filter(order=abandoned).update(expires_at=past)
    with django_capture_on_commit_callbacks(execute=True):
        release_expired_reservations()
    released = first_offer(api_client, guide)
    bought = checkout(5)
    announced.clear()
    with django_capture_on_commit_callbacks(execute=True):
        confirm_payment(bought)

    assert held["variant"]["stock"] == {"level": "low_stock", "quantity": 4}
    assert released["variant"]["stock"] == {"level": "in_stock", "quantity": None}
    assert announced == [[product.pk]]  # the sale's F() decrement marked the page stale
    assert first_offer(api_client, guide)["variant"]["stock"] == {"level": "low_stock", "quantity": 3}
    assert product.variants.get().stock.on_hand == 3


def test_a_refund_restock_shows_at_once_on_a_cached_page(api_client, django_capture_on_commit_callbacks):
    from shop.services.cart import add_to_cart, create_cart
    from shop.services.checkout import confirm_payment, start_checkout
    from shop.services.refunds import refund_order

    product = make_product(variants=[("REC-7", "20.00", 2)])
    guide = make_guide(make_creator("pia"), body=[product_card(product)])
    cart = create_cart()
    add_to_cart(cart, sku="REC-7", quantity=2)
    with django_capture_on_commit_callbacks(execute=True):
        order = confirm_payment(start_checkout(cart, email="reader@example.com", fulfilment="pickup").order)
    sold_out = first_offer(api_client, guide)

    with django_capture_on_commit_callbacks(execute=True):
        refund_order(order, restock=True)
    restocked = first_offer(api_client, guide)

    assert (sold_out["available"], sold_out["unavailable_reason"]) == (False, "sold_out")
    assert restocked["available"] is True
    assert restocked["variant"]["stock"] == {"level": "low_stock", "quantity": 2}


def test_a_cache_buster_or_unknown_parameter_is_served_from_the_cache(api_client, django_assert_num_queries):
    guide = make_guide(make_creator("pia"), body=[product_card(make_product())])
    first = api_client.get(f"/api/v2/pages/{guide.pk}/")

    with django_assert_num_queries(0):  # the cached path, not a rebuild
        busted = api_client.get(f"/api/v2/pages/{guide.pk}/?_=1764100000&utm_source=insta")
    trimmed = api_client.get(f"/api/v2/pages/{guide.pk}/?fields=-body")

    assert busted.status_code == 200 and busted.content == first.content and busted["ETag"] == first["ETag"]
    assert trimmed.status_code == 200 and "body" not in trimmed.json() and trimmed["ETag"] != first["ETag"]
