"""The admin menu offers a page only to users its view lets in: each permission-gated item is shown exactly when the
user holds the permission that its view requires."""

import pytest
from django.contrib.auth.models import Permission
from django.test import RequestFactory
from django.urls import reverse
from wagtail.admin.menu import admin_menu

from tests.factories import logged_in, make_editor, make_user

pytestmark = pytest.mark.django_db

# (menu label, URL name, permission its view requires)
GATED_ITEMS = [
    ("Redeem pickup", "shop_redeem_pickup", "shop.change_order"),
    ("Fulfilment groups", "shop_fulfilment_groups", "shop.view_fulfilmentgroup"),
    ("Brand transfers to retry", "shop_supply_attempts", "shop.view_supplytransfer"),
    ("Block share links", "readers_block_share_links", "readers.block_sharelink"),
]


def menu_labels(user) -> set[str]:
    request = RequestFactory().get("/admin/")
    request.user = user
    return {str(item.label) for item in admin_menu.menu_items_for_request(request)}


def granted(user, permission: str):
    app_label, codename = permission.split(".")
    user.user_permissions.add(Permission.objects.get(content_type__app_label=app_label, codename=codename))
    return type(user).objects.get(pk=user.pk)  # a fresh instance: the permission cache is per instance


@pytest.mark.parametrize(("label", "url_name", "permission"), GATED_ITEMS, ids=[item[1] for item in GATED_ITEMS])
def test_a_gated_item_is_shown_exactly_to_users_its_view_lets_in(site_tree, label, url_name, permission):
    staff = granted(make_user(), "wagtailadmin.access_admin")
    assert label not in menu_labels(staff)
    assert logged_in(staff).get(reverse(url_name)).status_code in (302, 403)  # Wagtail: refused, sent home

    staff = granted(staff, permission)
    assert label in menu_labels(staff)
    assert logged_in(staff).get(reverse(url_name)).status_code == 200


def test_an_editor_holds_every_gated_items_permission_and_sees_them_all(site_tree):
    assert {label for label, _url_name, _permission in GATED_ITEMS} <= menu_labels(make_editor())
