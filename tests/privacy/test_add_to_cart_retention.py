"""Raw add-to-cart events have a retention of their own (KOLSHOP_RETENTION_ADD_TO_CART_DAYS): days already
rolled up and past it go (on PostgreSQL whole months as partitions), and the reports read the same."""

from datetime import datetime, timedelta, timezone as dt_timezone

import pytest
from django.db import connection
from django.db.models import Sum

from creators.models import DailyPerformance
from creators.reports.rollup import rebuild_day, roll_up
from operations.partitions import month_partitions
from privacy.services.retention import enforce_retention
from shop.models import AddToCartEvent
from tests.creators.report_fixtures import DAY, build_world
from tests.privacy.test_erasure import books

pytestmark = pytest.mark.django_db

UTC = dt_timezone.utc
ROLLED = datetime(2027, 1, 5, tzinfo=UTC)  # the rollup has built every day through 4 January 2027
JANUARY = datetime(2027, 1, 2, tzinfo=UTC)


def add_to_carts_rolled_up() -> int:
    return DailyPerformance.objects.filter(day=DAY.date()).aggregate(total=Sum("add_to_carts"))["total"]


def add_january_event(world) -> AddToCartEvent:
    return AddToCartEvent.objects.create(variant_id=1, product_id=world.acme_product.pk, brand_id=1, quantity=2,
                                         currency="USD", creator_id=world.creator.pk, created_at=JANUARY)


def test_rolled_up_add_to_carts_past_their_retention_go_and_the_reports_read_the_same(settings):
    settings.KOLSHOP_RETENTION_ADD_TO_CART_DAYS = 60  # 60 days before 5 January reach 6 November: 20 November stays
    settings.KOLSHOP_RETENTION_CLICK_DAYS = settings.KOLSHOP_RETENTION_PAGE_VIEW_DAYS = 800
    world = build_world()  # 3 add-to-carts on 20 November 2026
    january = add_january_event(world)
    roll_up(now=ROLLED)
    before = books(world)

    kept = enforce_retention(now=ROLLED)
    settings.KOLSHOP_RETENTION_ADD_TO_CART_DAYS = 30  # now 20 November is past it; 2 January isn't
    result = enforce_retention(now=ROLLED)
    rebuild_day(DAY.date())  # a later rebuild of the purged day keeps its counts

    assert (kept["add_to_cart_retention"], result["add_to_cart_retention"]) == (0, 3)
    assert list(AddToCartEvent.objects.values_list("pk", flat=True)) == [january.pk]
    assert add_to_carts_rolled_up() == 3
    assert books(world) == before
    if connection.vendor == "postgresql":
        # November went whole; December (ending after the bound, 5 December) stays; January's event is in DEFAULT
        assert [p.name for p in month_partitions("shop_addtocartevent")] == ["shop_addtocartevent_p2026_12"]


def test_add_to_carts_not_yet_rolled_up_stay_whatever_their_age():
    world = build_world()

    result = enforce_retention(now=DAY + timedelta(days=800))

    assert result["add_to_cart_retention"] == 0
    assert AddToCartEvent.objects.filter(creator_id=world.creator.pk).count() == 3
