"""Reward rates per brand: a default and per-brand overrides (staff-managed), applied per line of a
multi-brand order, each line keeping its rate for later refunds; exact to the cent."""

from decimal import Decimal

import pytest
from django.db import IntegrityError, transaction

from creators.services.links import record_buy_link_click, record_click
from readers.models import RewardEntry, RewardLine, RewardRate
from readers.services.rewards import accrue_reward, reward_rates
from shop import events
from tests.creators.helpers import PHONE, LineSpec, make_order, mark_paid, refund_lines
from tests.factories import make_brand, make_creator, make_editor, make_product
from tests.readers.reward_helpers import new_ip, share_of

pytestmark = pytest.mark.django_db


@pytest.fixture
def brands():
    return make_brand("Lumen"), make_brand("Oakwood"), make_brand("Tessa")


def _shared_order(guide, brands, *specs: tuple[int, str, int]):
    """A friend follows the share and buys one line per (brand index, unit price, quantity); paid."""
    link = share_of(guide)
    ip = new_ip()
    record_click(link, ip=ip, user_agent=PHONE)
    lines = []
    for n, (brand_index, price, quantity) in enumerate(specs):
        product = make_product(brand=brands[brand_index], title=f"Item {n}", variants=[(f"SKU-{n}", price, 50)])
        button = record_buy_link_click(creator_id=link.creator_id, page_id=link.page_id, block_id="b1",
                                       product_id=product.pk, ip=ip, user_agent=PHONE)
        lines.append(LineSpec(product, unit_price=price, quantity=quantity, creator=link.creator,
                              page_id=link.page_id, block_id="b1", click_id=button.pk))
    order = mark_paid(make_order(*lines, email="friend@example.com"))
    events.order_paid.send(order=order)
    return order


def test_each_line_earns_its_brands_rate_or_the_default(guide, brands):
    lumen, oakwood, tessa = brands
    RewardRate.objects.create(brand=None, rate=Decimal("0.0300"))
    RewardRate.objects.create(brand=lumen, rate=Decimal("0.1000"))
    RewardRate.objects.create(brand=oakwood, rate=Decimal("0.0750"))

    order = _shared_order(guide, brands, (0, "33.33", 1), (1, "19.99", 3), (2, "12.35", 2))

    entry = RewardEntry.objects.get()
    # 3.333 → 3.33; 59.97 × 0.075 = 4.49775 → 4.50; 24.70 × 0.03 = 0.741 → 0.74
    assert (entry.amount, entry.base_amount, entry.rate) == (Decimal("8.57"), Decimal("118.00"), None)
    assert [(line.brand_id, line.rate, line.base_amount) for line in RewardLine.objects.filter(order_id=order.pk)] == [
        (lumen.pk, Decimal("0.1000"), Decimal("33.33")), (oakwood.pk, Decimal("0.0750"), Decimal("59.97")),
        (tessa.pk, Decimal("0.0300"), Decimal("24.70"))]


def test_without_any_rate_row_the_setting_is_the_default(guide, brands, settings):
    settings.KOLSHOP_READER_REWARD_RATE = "0.0500"

    _shared_order(guide, brands, (0, "33.33", 1))

    entry = RewardEntry.objects.get()
    assert (entry.amount, entry.rate) == (Decimal("1.67"), Decimal("0.0500"))


def test_refunds_reverse_each_line_at_its_own_rate_even_after_the_rates_change(guide, brands):
    lumen, oakwood, _ = brands
    RewardRate.objects.create(brand=lumen, rate=Decimal("0.1000"))
    RewardRate.objects.create(brand=oakwood, rate=Decimal("0.0200"))
    order = _shared_order(guide, brands, (0, "50.00", 1), (1, "50.00", 1))
    lumen_line, oakwood_line = order.lines.order_by("pk")
    RewardRate.objects.filter(brand=lumen).update(rate=Decimal("0.5000"))  # later changes rewrite nothing

    first = refund_lines(order, {lumen_line.pk: "50.00"})
    events.order_refunded.send(order=order, refund=first)
    second = refund_lines(order, {oakwood_line.pk: "16.67"})
    events.order_refunded.send(order=order, refund=second)
    events.order_refunded.send(order=order, refund=second)  # a duplicate event changes nothing

    amounts = list(RewardEntry.objects.order_by("pk").values_list("kind", "amount", "base_amount"))
    # 5.00 + 1.00 earned; the Lumen line gives back its 5.00; 33.33 left of Oakwood's earns 0.67.
    assert amounts == [("accrual", Decimal("6.00"), Decimal("100.00")),
                       ("reversal", Decimal("-5.00"), Decimal("50.00")),
                       ("reversal", Decimal("-0.33"), Decimal("16.67"))]
    assert sum(amount for _, amount, _ in amounts) == Decimal("0.67")


def test_one_default_and_one_rate_per_brand_between_0_and_1(brands):
    RewardRate.objects.create(brand=None, rate=Decimal("0.0500"))
    RewardRate.objects.create(brand=brands[0], rate=Decimal("0.1000"))

    for brand, rate in ((None, "0.0400"), (brands[0], "0.2000"), (brands[1], "1.5000"), (brands[1], "-0.0100")):
        with pytest.raises(IntegrityError), transaction.atomic():
            RewardRate.objects.create(brand=brand, rate=Decimal(rate))
    assert reward_rates({brands[0].pk, brands[1].pk, None}) == {
        brands[0].pk: Decimal("0.1000"), brands[1].pk: Decimal("0.0500"), None: Decimal("0.0500")}


def test_editors_set_a_brands_rate_in_the_admin(client, brands):
    editor = make_editor("editor")
    client.force_login(editor)

    created = client.post("/admin/readers/rewardrate/create/", {"brand": brands[2].pk, "rate": "0.0825"})
    too_high = client.post("/admin/readers/rewardrate/create/", {"brand": brands[1].pk, "rate": "2"})

    assert created.status_code == 302
    assert too_high.status_code == 200
    assert list(RewardRate.objects.values_list("brand_id", "rate")) == [(brands[2].pk, Decimal("0.0825"))]
    client.force_login(make_creator("rival").user)
    assert client.get("/admin/readers/rewardrate/").status_code in (302, 403)


def test_a_paid_order_no_share_led_to_costs_one_query(brands, django_assert_num_queries):
    order = mark_paid(make_order(LineSpec(make_product(brand=brands[0], variants=[("PLAIN-1", "10.00", 5)]))))

    with django_assert_num_queries(1):
        assert accrue_reward(order) is None
