"""Who may run a group buy: brands on their own products, creators on products they may sell, staff on any.

Users get their rights from the roles ``migrate`` makes (creators through onboarding, brand users by
membership); the admin's own add and edit views are posted to, as a second brand and a second creator.
"""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.contrib.auth.models import Group
from django.test import Client
from django.utils import timezone

from shop.admin_helpers import policy_for
from shop.models import GroupCampaign, ProductStatus, Promotion, PromotionKind, Variant
from tests.factories import make_brand, make_brand_user, make_creator, make_product, make_user

pytestmark = pytest.mark.django_db

ADD_URL = "/admin/snippets/shop/groupcampaign/add/"


@pytest.fixture
def catalog(site_tree):
    alpha, bravo = make_brand("Alpha Brand"), make_brand("Bravo Brand")
    make_product(brand=alpha, title="Alpha speaker", variants=[("ALPHA-1", "99.00", 5)])
    make_product(brand=bravo, title="Bravo tent", variants=[("BRAVO-1", "250.00", 4)])
    make_product(brand=alpha, title="Alpha prototype", variants=[("ALPHA-OLD", "50.00", 2)],
                 status=ProductStatus.ARCHIVED)
    return alpha, bravo


def _as(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _campaign_form(sku: str, *, group_price: str = "80.00", team_size: int = 3) -> dict:
    now = timezone.now()
    return {
        "variant": Variant.objects.get(sku=sku).pk, "group_price": group_price, "unit_cap": "", "per_buyer_limit": "",
        "starts_at": now.strftime("%Y-%m-%d %H:%M"), "ends_at": (now + timedelta(days=3)).strftime("%Y-%m-%d %H:%M"),
        "team_size": team_size, "window": "24:00:00", "team_cap": "",
    }


def test_a_brand_user_runs_group_buys_on_their_own_products_only(catalog):
    alpha, _bravo = catalog
    manager = make_brand_user("alpha-manager", brand=alpha)

    own = _as(manager).post(ADD_URL, _campaign_form("ALPHA-1"))
    other = _as(manager).post(ADD_URL, _campaign_form("BRAVO-1"))

    assert own.status_code == 302
    campaign = GroupCampaign.objects.get()
    promotion = campaign.promotion
    assert (promotion.kind, promotion.variant.sku, promotion.price, promotion.currency, campaign.team_size,
            campaign.created_by_id) == (PromotionKind.GROUP, "ALPHA-1", Decimal("80.00"), "USD", 3, manager.pk)
    assert other.status_code == 200 and "Select a valid choice" in other.content.decode()
    assert (GroupCampaign.objects.count(), Promotion.objects.count()) == (1, 1)


def test_a_creator_runs_group_buys_on_sellable_products_and_no_one_else_touches_them(catalog):
    alpha, bravo = catalog
    mia, leo = make_creator("mia"), make_creator("leo")
    bravo_manager = make_brand_user("bravo-manager", brand=bravo)

    made = _as(mia.user).post(ADD_URL, _campaign_form("BRAVO-1"))
    archived = _as(mia.user).post(ADD_URL, _campaign_form("ALPHA-OLD"))
    above_list = _as(mia.user).post(ADD_URL, _campaign_form("ALPHA-1", group_price="120.00"))
    campaign = GroupCampaign.objects.get()
    edit_url = f"/admin/snippets/shop/groupcampaign/edit/{campaign.pk}/"
    by_leo = _as(leo.user).post(edit_url, _campaign_form("BRAVO-1", team_size=9))
    listing_for_leo = _as(leo.user).get("/admin/snippets/shop/groupcampaign/").content.decode()
    by_owner = _as(mia.user).post(edit_url, _campaign_form("BRAVO-1", team_size=5))

    assert made.status_code == 302 and campaign.created_by_id == mia.user.pk
    assert archived.status_code == 200 and above_list.status_code == 200
    assert "must be below the price 99.00 USD" in above_list.content.decode()
    assert by_leo.status_code == 404 and "BRAVO-1" not in listing_for_leo
    assert by_owner.status_code == 302
    assert GroupCampaign.objects.get().team_size == 5
    # Bravo's manager may act on campaigns for Bravo's products, whoever made them; Alpha's may not.
    policy = policy_for(GroupCampaign)
    assert policy.user_has_permission_for_instance(bravo_manager, "change", campaign)
    alpha_manager = make_brand_user("alpha-manager", brand=alpha)
    assert not policy.user_has_permission_for_instance(alpha_manager, "change", campaign)
    # Any creator may still choose it for a page (an active product), as the group-buy block does.
    assert policy.user_has_permission_for_instance(leo.user, "choose", campaign)
    assert set(policy.users_with_permission_for_instance("change", campaign).values_list("username", flat=True)) \
        >= {"mia", "bravo-manager"}


def test_editors_run_group_buys_on_any_active_product(catalog):
    editor = make_user("eddie")
    editor.groups.add(Group.objects.get(name="Editors"))

    made = _as(editor).post(ADD_URL, _campaign_form("ALPHA-1"))
    variants = set(policy_for(GroupCampaign).campaign_variants(editor).values_list("sku", flat=True))

    assert made.status_code == 302
    assert variants == {"ALPHA-1", "BRAVO-1"}


def test_the_blocks_chooser_lists_active_campaigns_and_makes_none(catalog):
    alpha, _bravo = catalog
    mia, leo = make_creator("mia"), make_creator("leo")
    _as(make_brand_user("alpha-manager", brand=alpha)).post(ADD_URL, _campaign_form("ALPHA-1"))
    campaign = GroupCampaign.objects.get()
    url = "/admin/snippets/choose/shop/groupcampaign/"

    listed = _as(leo.user).get(url)
    chosen = _as(leo.user).get(f"{url}chosen/{campaign.pk}/")
    create = _as(mia.user).post(f"{url}create/", _campaign_form("BRAVO-1"))

    assert listed.status_code == 200 and chosen.status_code == 200
    assert (create.status_code, create.url) == (302, "/admin/")  # refused: campaigns are made in Group buys
    assert GroupCampaign.objects.count() == 1
