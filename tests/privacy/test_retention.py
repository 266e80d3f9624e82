"""Retention: unpaid orders and idle carts after 30 days, paid orders per market, rolled-up clicks and
views; the daily job runs it; leavers are anonymised with their ledger intact."""

from datetime import datetime, timedelta, timezone as dt_timezone
from decimal import Decimal

import pytest
from django.conf import settings
from django.core.management import call_command
from django.utils import timezone
from django.utils.module_loading import import_string

from creators.models import Click, CreatorProfile, LedgerEntry, OrderLineAttribution, PageView, TrackedLink
from creators.reports.rollup import mark_days_changed, roll_up
from creators.services.ledger import balances_by_creator
from creators.services.links import with_link_figures
from privacy.services.retention import enforce_retention
from shop.models import Cart, Order, OrderStatus
from tests.creators.report_fixtures import DAY, NOW, add_clicks, build_world
from tests.privacy.helpers import ADA, give_to
from tests.privacy.test_erasure import books

pytestmark = pytest.mark.django_db

AT = datetime(2026, 11, 26, 4, 0, tzinfo=dt_timezone.utc)


def order(*, status, created_days_ago=0, paid_years_ago=None, country="GB", fulfilment="shipping"):
    placed = Order.objects.create(currency="USD", subtotal=Decimal("10.00"), total=Decimal("10.00"), email=ADA.email,
                                  fulfilment_method=fulfilment, status=status)
    paid_at = None if paid_years_ago is None else AT - timedelta(days=round(365.25 * paid_years_ago))
    Order.objects.filter(pk=placed.pk).update(created_at=AT - timedelta(days=created_days_ago), paid_at=paid_at)
    placed.refresh_from_db()
    give_to(ADA, placed)
    Order.objects.filter(pk=placed.pk).update(shipping_country=country if fulfilment == "shipping" else "")
    return placed


def erased(placed) -> bool:
    return Order.objects.get(pk=placed.pk).email.endswith("@erased.invalid")


def test_unpaid_orders_are_anonymised_after_30_days():
    old = order(status=OrderStatus.CANCELLED, created_days_ago=31)
    recent = order(status=OrderStatus.CANCELLED, created_days_ago=29)
    waiting = order(status=OrderStatus.PENDING, created_days_ago=31)

    enforce_retention(now=AT)

    assert (erased(old), erased(recent), erased(waiting)) == (True, False, False)


def test_paid_orders_are_kept_for_their_markets_years():
    gb = order(status=OrderStatus.FULFILLED, paid_years_ago=6.1, country="GB")
    us = order(status=OrderStatus.FULFILLED, paid_years_ago=6.1, country="US")
    us_old = order(status=OrderStatus.FULFILLED, paid_years_ago=7.1, country="US")
    pickup = order(status=OrderStatus.FULFILLED, paid_years_ago=9.9, fulfilment="pickup")
    pickup_old = order(status=OrderStatus.REFUNDED, paid_years_ago=10.1, fulfilment="pickup")

    enforce_retention(now=AT)

    assert [erased(o) for o in (gb, us, us_old, pickup, pickup_old)] == [True, False, True, False, True]
    assert Order.objects.get(pk=gb.pk).total == Decimal("10.00")


def test_idle_carts_go_unless_an_order_still_waits_on_them():
    idle, busy, fresh = Cart.objects.create(), Cart.objects.create(), Cart.objects.create()
    Cart.objects.filter(pk__in=[idle.pk, busy.pk]).update(updated_at=AT - timedelta(days=31))
    waiting = order(status=OrderStatus.PENDING)
    Order.objects.filter(pk=waiting.pk).update(cart=busy)

    assert enforce_retention(now=AT)["cart_retention"] == 1

    assert sorted(Cart.objects.values_list("pk", flat=True)) == [busy.pk, fresh.pk]


def test_rolled_up_clicks_and_views_go_and_the_books_stay_exact():
    world = build_world()
    roll_up(now=NOW)
    before = books(world)
    in_ledger = set(OrderLineAttribution.objects.filter(click__isnull=False).values_list("click_id", flat=True))

    later = DAY + timedelta(days=settings.KOLSHOP_RETENTION_CLICK_DAYS + 2)
    result = enforce_retention(now=later)
    mark_days_changed([DAY.date()])  # a late refund rebuilds the day: its event counts must survive
    roll_up(now=later)

    assert set(Click.objects.values_list("pk", flat=True)) == in_ledger
    assert PageView.objects.count() == 0
    assert (len(in_ledger), result["click_retention"]) == (7, 3 + 10)
    assert books(world) == before


def link_figures() -> dict[str, tuple[int, int]]:
    return {link.code: (link.click_count, link.order_count) for link in with_link_figures(TrackedLink.objects.all())}


def test_per_link_figures_are_the_same_before_and_after_each_purge(settings):
    settings.KOLSHOP_RETENTION_CLICK_DAYS = settings.KOLSHOP_RETENTION_PAGE_VIEW_DAYS = 30
    build_world()
    roll_up(now=NOW)
    later, much_later = DAY + timedelta(days=32), DAY + timedelta(days=64)
    add_clicks(TrackedLink.objects.get(code="acme-blk"), 2, when=later - timedelta(hours=2))  # kept raw at first
    before = link_figures()

    first = enforce_retention(now=later)["click_retention"]
    after_first = link_figures()
    roll_up(now=much_later)
    second = enforce_retention(now=much_later)["click_retention"]
    repeated = enforce_retention(now=much_later)["click_retention"]

    assert before == {"acme-blk": (10, 6), "glbx-blk": (2, 1)}
    assert (first, second, repeated) == (3 + 10, 2, 0)
    assert Click.objects.count() == 7  # only the clicks order lines name are left
    assert after_first == link_figures() == before


def test_clicks_of_days_not_yet_rolled_up_stay():
    build_world()

    enforce_retention(now=DAY + timedelta(days=800))

    assert (Click.objects.count(), PageView.objects.count()) == (10, 10)


def test_the_daily_job_is_scheduled_and_runs_every_section():
    job = settings.KOLSHOP_SCHEDULE["enforce_retention"]
    old = order(status=OrderStatus.CANCELLED, created_days_ago=40)
    Order.objects.filter(pk=old.pk).update(created_at=timezone.now() - timedelta(days=40))

    result = import_string(job["task"]).call()

    assert job["cron"] == "40 3 * * *"
    assert set(result) == {"deferred_requests_done", "order_retention", "cart_retention", "click_retention",
                           "buyer_keys", "reader_account", "add_to_cart_retention"} and result["order_retention"] == 1
    assert erased(old)


def test_a_creator_who_leaves_is_anonymised_and_their_ledger_stays(capsys):
    world = build_world()
    creator = world.creator
    balances, entries = balances_by_creator(), list(LedgerEntry.objects.order_by("pk").values())

    call_command("anonymise_leaver", creator.user.username)
    call_command("anonymise_leaver", f"former-{creator.user_id}")

    profile = CreatorProfile.objects.select_related("user").get(pk=creator.pk)
    assert (profile.display_name, profile.handle, profile.bio, profile.user.username, profile.user.email,
            profile.user.is_active, profile.user.has_usable_password()) == (
        f"Former creator {creator.pk}", f"former-{creator.pk}", "", f"former-{creator.user_id}", "", False, False)
    assert (balances_by_creator(), list(LedgerEntry.objects.order_by("pk").values())) == (balances, entries)
    assert capsys.readouterr().out.splitlines() == [f"user {creator.user_id}: anonymised",
                                                    f"user {creator.user_id}: already anonymised"]


def test_a_brand_user_who_leaves_loses_the_brand():
    world = build_world()

    call_command("anonymise_leaver", world.acme_user.username)

    world.acme_user.refresh_from_db()
    assert (world.acme_user.username, world.acme_user.brand_memberships.count()) == (
        f"former-{world.acme_user.pk}", 0)
