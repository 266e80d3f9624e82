"""Brand users make and see only their own brands' vouchers in the admin; staff see every voucher."""

from decimal import Decimal

import pytest
from django.test import Client

from shop.models import Voucher
from tests.factories import make_brand, make_brand_user
from tests.shop.supply_helpers import staff

pytestmark = pytest.mark.django_db
ADD_URL = "/admin/shop/voucher/create/"
INDEX_URL = "/admin/shop/voucher/"


def client_of(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def form(code: str, brand, **fields) -> dict:
    values = {"code": code, "kind": "percentage", "value": "10", "currency": "", "valid_from": "", "valid_until": "",
              "usage_limit": "", "per_buyer_limit": "", "brand": brand.pk if brand else "", "active": "on"}
    values.update(fields)
    return values


@pytest.fixture
def brands(site_tree):
    brand_a, brand_b = make_brand("Alpha Brand"), make_brand("Bravo Brand")
    alpha, bravo = make_brand_user("alpha-manager", brand=brand_a), make_brand_user("bravo-manager", brand=brand_b)
    return brand_a, brand_b, alpha, bravo


def test_a_brand_user_makes_a_voucher_funded_by_their_own_brand_only(brands):
    brand_a, brand_b, user_a, _user_b = brands
    client = client_of(user_a)

    made = client.post(ADD_URL, form("ALPHA10", brand_a, creator_id="7", reissue_unused="on"))
    for_another = client.post(ADD_URL, form("BRAVO10", brand_b))
    without_brand = client.post(ADD_URL, form("NOBRAND", None))

    assert made.status_code == 302
    voucher = Voucher.objects.get(code="ALPHA10")
    # the staff-only fields a brand user posted are not theirs to set
    assert (voucher.brand_id, voucher.creator_id, voucher.reissue_unused) == (brand_a.pk, None, False)
    assert (for_another.status_code, without_brand.status_code) == (200, 200)  # the form again, with its error
    assert list(Voucher.objects.values_list("code", flat=True)) == ["ALPHA10"]


def test_a_second_brand_neither_sees_nor_edits_the_first_brands_voucher(brands):
    brand_a, brand_b, user_a, user_b = brands
    alpha = Voucher.objects.create(code="ALPHA10", kind="percentage", value=Decimal("10"), brand=brand_a)
    Voucher.objects.create(code="PLATFORM5", kind="percentage", value=Decimal("5"))
    edit = f"/admin/shop/voucher/edit/{alpha.pk}/"

    listed_by_b = client_of(user_b).get(INDEX_URL).content.decode()
    listed_by_a = client_of(user_a).get(INDEX_URL).content.decode()
    listed_by_staff = client_of(staff()).get(INDEX_URL).content.decode()
    refused = client_of(user_b).post(edit, form("ALPHA10", brand_b, value="90"))

    assert ("ALPHA10" in listed_by_b, "PLATFORM5" in listed_by_b) == (False, False)
    assert ("ALPHA10" in listed_by_a, "PLATFORM5" in listed_by_a) == (True, False)
    assert ("ALPHA10" in listed_by_staff, "PLATFORM5" in listed_by_staff) == (True, True)
    assert (refused.status_code, refused.url) == (302, "/admin/")  # Wagtail refuses a permission denied so
    alpha.refresh_from_db()
    assert (alpha.value, alpha.brand_id) == (Decimal("10.00"), brand_a.pk)
    assert client_of(user_a).get(edit).status_code == 200
