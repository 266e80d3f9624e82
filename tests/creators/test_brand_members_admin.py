"""Staff make brand users in the admin; the new user then sees only their brand's report."""

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse

from creators.reports.rollup import roll_up
from shop.models import BrandMembership
from tests.creators.report_fixtures import NOW, build_world
from tests.factories import make_brand, make_creator, make_editor, make_user

pytestmark = pytest.mark.django_db
ADD_URL = "/admin/brand-members/add/"
REPORT_URL = "/admin/reports/brand-performance/"
RANGE = {"start": "2026-11-20", "end": "2026-11-20"}


@pytest.fixture
def editor():
    return make_editor("eddie")


def member_form(brand, *, user=None, username="", email="", password="") -> dict:
    return {
        "brand": brand.pk, "user": user.pk if user else "",
        "new_username": username, "new_email": email, "new_password": password,
    }


def test_staff_create_a_brand_user_who_then_sees_only_their_brands_report(client, editor):
    world = build_world()
    roll_up(now=NOW)
    acme = world.acme_product.brand
    client.force_login(editor)

    response = client.post(
        ADD_URL, member_form(acme, username="acme-ops", email="ops@acme.example", password="Tough-Pass-2026")
    )

    assert response.status_code == 302
    created = get_user_model().objects.get(username="acme-ops")
    assert (created.email, created.is_staff, created.is_superuser) == ("ops@acme.example", False, False)
    assert set(created.groups.values_list("name", flat=True)) == {"Brands"}
    assert list(BrandMembership.objects.filter(user=created).values_list("brand__name", flat=True)) == ["Acme Audio"]

    client.logout()
    assert client.login(username="acme-ops", password="Tough-Pass-2026")
    report = client.get(REPORT_URL, {**RANGE, "format": "csv"})
    other_brand = client.get(REPORT_URL, {**RANGE, "brand": world.globex_product.brand_id})
    assert report.status_code == 200
    assert report.content.decode().splitlines()[1].startswith("Mia,USD,10,8,3,6,6,600.00")
    assert "Globex" not in report.content.decode()
    assert other_brand.status_code == 400


def test_staff_link_an_existing_user_chosen_in_the_user_chooser(client, editor):
    brand = make_brand("Northwind")
    existing = make_user("nora")
    client.force_login(editor)

    form_page = client.get(ADD_URL).content.decode()
    chooser = client.get("/admin/brand-members/users/", {"q": "nora"})
    response = client.post(ADD_URL, member_form(brand, user=existing))

    assert "/admin/brand-members/users/" in form_page  # the user field is the chooser, not a list of every user
    assert chooser.status_code == 200 and "nora" in chooser.json()["html"]
    assert response.status_code == 302
    assert BrandMembership.objects.get(user=existing).brand == brand
    assert set(existing.groups.values_list("name", flat=True)) == {"Brands"}


@pytest.mark.parametrize(
    ("fields", "field", "message"),
    [
        ({}, "user", "Choose a user, or give a username to create one."),
        ({"username": "eddie", "email": "x@example.com", "password": "Tough-Pass-2026"}, "new_username",
         "A user with that username already exists; choose them above."),
        ({"username": "newbie", "email": "", "password": "Tough-Pass-2026"}, "new_email",
         "A new user needs an email address."),
        ({"username": "newbie", "email": "n@example.com", "password": "123"}, "new_password",
         "This password is too short. It must contain at least 8 characters."),
    ],
)
def test_an_incomplete_form_is_refused_and_creates_nobody(client, editor, fields, field, message):
    brand = make_brand("Northwind")
    users_before = get_user_model().objects.count()
    client.force_login(editor)

    response = client.post(ADD_URL, member_form(brand, **fields))

    assert response.status_code == 200
    assert message in response.context["form"].errors[field]
    assert (get_user_model().objects.count(), BrandMembership.objects.count()) == (users_before, 0)


def test_creators_and_brand_users_cannot_manage_brand_users_or_list_users(client):
    from creators.services.roles import add_brand_member

    brand_user = make_user("acme-ops")
    add_brand_member(brand_user, brand=make_brand("Acme"))
    for user in (make_creator("mia").user, brand_user):
        client.force_login(user)

        add = client.get(ADD_URL)
        listing = client.get("/admin/brand-members/")
        chooser = client.get("/admin/brand-members/users/")

        assert (add.status_code, add["Location"]) == (302, "/admin/")
        assert (listing.status_code, listing["Location"]) == (302, "/admin/")
        assert chooser.status_code in (302, 403)
        assert "acme-ops" not in chooser.content.decode()
