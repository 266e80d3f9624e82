from datetime import timedelta

import pytest
from django.utils import timezone

from creators.models import Click, LinkTarget, NoCommissionReason, OrderLineAttribution, TrackedLink
from creators.services.attribution import attribute_order
from shop import events
from tests.creators.helpers import LineSpec, make_order
from tests.factories import make_creator, make_product

pytestmark = pytest.mark.django_db


def _click(creator, *, product, at, page_id=None, block_id=""):
    link = TrackedLink.objects.create(code=f"c{creator.pk}p{product.pk}x{Click.objects.count()}", creator=creator,
                                      target_kind=LinkTarget.PRODUCT, product=product)
    return Click.objects.create(link=link, creator=creator, product_id=product.pk, page_id=page_id, block_id=block_id,
                                clicked_at=at,
                                visitor_hash="v" * 64, ua_class="mobile")


def test_a_click_inside_the_window_credits_creator_page_block_and_click(site_tree, settings):
    settings.KOLSHOP_ATTRIBUTION_WINDOW_DAYS = 30
    anna, product = make_creator("anna"), make_product()
    placed = timezone.now()
    click = _click(anna, product=product, at=placed - timedelta(days=29, hours=23), page_id=7, block_id="b-1")
    order = make_order(LineSpec(product, creator=anna, page_id=7, block_id="b-1", click_id=click.pk),
                       created_at=placed)

    [decision] = attribute_order(order)

    assert (decision.creator_id, decision.page_id, decision.block_id, decision.click_id) == (anna.pk, 7, "b-1", click.pk)
    assert (decision.source, decision.earns_commission, decision.reason) == ("click", True, "")
    assert decision.attributed_at == click.clicked_at
    assert decision.window_days == 30


def test_a_click_older_than_the_window_credits_nobody(site_tree, settings):
    settings.KOLSHOP_ATTRIBUTION_WINDOW_DAYS = 30
    anna, product = make_creator("anna"), make_product()
    placed = timezone.now()
    click = _click(anna, product=product, at=placed - timedelta(days=30, seconds=1))
    order = make_order(LineSpec(product, creator=anna, click_id=click.pk), created_at=placed)

    [decision] = attribute_order(order)

    assert (decision.creator_id, decision.source, decision.earns_commission) == (None, "none", False)
    assert decision.reason == NoCommissionReason.OUTSIDE_WINDOW


def test_a_shorter_window_is_configurable(site_tree, settings):
    settings.KOLSHOP_ATTRIBUTION_WINDOW_DAYS = 7
    anna, product = make_creator("anna"), make_product()
    placed = timezone.now()
    click = _click(anna, product=product, at=placed - timedelta(days=8))
    order = make_order(LineSpec(product, creator=anna, click_id=click.pk), created_at=placed)

    assert attribute_order(order)[0].reason == NoCommissionReason.OUTSIDE_WINDOW


def test_changing_the_window_later_never_rewrites_a_stored_decision(site_tree, settings):
    settings.KOLSHOP_ATTRIBUTION_WINDOW_DAYS = 30
    anna, product = make_creator("anna"), make_product()
    placed = timezone.now()
    click = _click(anna, product=product, at=placed - timedelta(days=10))
    order = make_order(LineSpec(product, creator=anna, click_id=click.pk), created_at=placed)
    attribute_order(order)

    settings.KOLSHOP_ATTRIBUTION_WINDOW_DAYS = 1
    [decision] = attribute_order(order)

    assert (decision.creator_id, decision.earns_commission, decision.window_days) == (anna.pk, True, 30)
    assert OrderLineAttribution.objects.count() == 1


def test_a_creator_voucher_wins_over_another_creators_click(site_tree):
    anna, ben, product = make_creator("anna"), make_creator("ben"), make_product()
    click = _click(anna, product=product, at=timezone.now() - timedelta(hours=1), page_id=7, block_id="b-1")
    order = make_order(LineSpec(product, creator=anna, page_id=7, block_id="b-1", click_id=click.pk),
                       voucher_creator=ben)

    [decision] = attribute_order(order)

    assert (decision.creator_id, decision.source, decision.earns_commission) == (ben.pk, "voucher", True)
    # Ben's code sold it: Anna's page and block are not Ben's.
    assert (decision.page_id, decision.block_id, decision.click_id) == (None, "", None)


def test_a_voucher_of_the_clicked_creator_keeps_their_page_and_block(site_tree):
    anna, product = make_creator("anna"), make_product()
    order = make_order(LineSpec(product, creator=anna, page_id=7, block_id="b-1"), voucher_creator=anna)

    [decision] = attribute_order(order)

    assert (decision.creator_id, decision.source, decision.page_id, decision.block_id) == (anna.pk, "voucher", 7, "b-1")


def test_a_voucher_outlives_the_click_window(site_tree, settings):
    settings.KOLSHOP_ATTRIBUTION_WINDOW_DAYS = 1
    anna, product = make_creator("anna"), make_product()
    order = make_order(LineSpec(product), voucher_creator=anna)

    [decision] = attribute_order(order)

    assert (decision.creator_id, decision.source, decision.earns_commission) == (anna.pk, "voucher", True)


def test_a_buy_link_without_a_click_uses_when_it_was_followed(site_tree, settings):
    settings.KOLSHOP_ATTRIBUTION_WINDOW_DAYS = 30
    anna, fresh, stale = make_creator("anna"), make_product(), make_product()
    placed = timezone.now()
    order = make_order(LineSpec(fresh, creator=anna, page_id=3, block_id="x", attributed_at=placed - timedelta(days=2)),
                       LineSpec(stale, creator=anna, attributed_at=placed - timedelta(days=31)), created_at=placed)

    fresh_decision, stale_decision = attribute_order(order)

    assert (fresh_decision.source, fresh_decision.creator_id, fresh_decision.earns_commission) == ("link", anna.pk, True)
    assert fresh_decision.attributed_at == placed - timedelta(days=2)
    assert (stale_decision.source, stale_decision.reason) == ("none", NoCommissionReason.OUTSIDE_WINDOW)


def test_a_creator_buying_through_their_own_link_is_attributed_but_earns_nothing(site_tree):
    anna, product = make_creator("anna"), make_product()
    order = make_order(LineSpec(product, creator=anna, page_id=7, block_id="b"), email="ANNA@example.com")

    [decision] = attribute_order(order)

    assert (decision.creator_id, decision.page_id, decision.earns_commission) == (anna.pk, 7, False)
    assert decision.reason == NoCommissionReason.SELF_REFERRAL


def test_a_creator_using_their_own_voucher_earns_nothing(site_tree):
    anna, product = make_creator("anna"), make_product()
    order = make_order(LineSpec(product), voucher_creator=anna, email="anna@example.com")

    assert attribute_order(order)[0].reason == NoCommissionReason.SELF_REFERRAL


def test_an_unknown_creator_id_is_not_attributed(site_tree):
    product = make_product()
    order = make_order(LineSpec(product))
    order.lines.update(creator_id=999_999)

    [decision] = attribute_order(order)

    assert (decision.creator_id, decision.reason) == (None, NoCommissionReason.UNKNOWN_CREATOR)


def test_the_order_placed_event_records_the_decision(site_tree):
    anna, product = make_creator("anna"), make_product()
    order = make_order(LineSpec(product, creator=anna))

    events.order_placed.send(order=order)
    events.order_placed.send(order=order)  # retried: nothing more

    assert list(OrderLineAttribution.objects.values_list("creator_id", "earns_commission")) == [(anna.pk, True)]
