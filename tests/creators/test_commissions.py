from datetime import datetime, timezone as tz
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from creators.models import CommissionRule, CommissionScope
from creators.services.commissions import commission_rate, save_commission_rule
from tests.factories import make_brand, make_creator, make_product

pytestmark = pytest.mark.django_db

JAN = datetime(2026, 1, 1, tzinfo=tz.utc)
FEB = datetime(2026, 2, 1, tzinfo=tz.utc)
MAR = datetime(2026, 3, 1, tzinfo=tz.utc)
MID_JAN = datetime(2026, 1, 15, tzinfo=tz.utc)


def rule(scope, rate, *, creator=None, brand=None, product=None, start=JAN, end=None):
    return save_commission_rule(CommissionRule(scope=scope, creator=creator, brand=brand, product=product,
                                               rate=Decimal(rate), valid_from=start, valid_until=end))


def test_precedence_is_agreement_then_product_then_brand_then_creator_rule_then_default(site_tree):
    anna = make_creator("anna")  # default rate 0.1000
    brand = make_brand()
    product = make_product(brand=brand)
    other = make_product(brand=brand)

    def rate_for(item):
        return commission_rate(anna, brand_id=brand.pk, product_id=item.pk, at=MID_JAN)

    assert rate_for(product).rate == Decimal("0.1000") and rate_for(product).scope == "default"
    rule(CommissionScope.CREATOR, "0.1100", creator=anna)
    assert rate_for(product).rate == Decimal("0.1100")
    rule(CommissionScope.BRAND, "0.1200", brand=brand)
    assert rate_for(product).rate == Decimal("0.1200")
    rule(CommissionScope.PRODUCT, "0.1300", product=product)
    assert (rate_for(product).rate, rate_for(other).rate) == (Decimal("0.1300"), Decimal("0.1200"))
    rule(CommissionScope.AGREEMENT, "0.1400", creator=anna, brand=brand)
    assert (rate_for(product).rate, rate_for(product).scope) == (Decimal("0.1400"), "agreement")


def test_a_rule_applies_only_inside_its_dates(site_tree):
    anna, product = make_creator("anna"), make_product()
    rule(CommissionScope.PRODUCT, "0.2000", product=product, start=JAN, end=FEB)

    def at(moment):
        return commission_rate(anna, brand_id=product.brand_id, product_id=product.pk, at=moment).rate

    assert at(datetime(2025, 12, 31, 23, 59, tzinfo=tz.utc)) == Decimal("0.1000")
    assert at(JAN) == Decimal("0.2000")
    assert at(FEB) == Decimal("0.1000")  # valid_until is exclusive


def test_an_agreement_for_another_creator_does_not_apply(site_tree):
    anna, ben, product = make_creator("anna"), make_creator("ben"), make_product()
    rule(CommissionScope.AGREEMENT, "0.3000", creator=ben, brand=product.brand)

    assert commission_rate(anna, brand_id=product.brand_id, product_id=product.pk, at=MID_JAN).rate == Decimal("0.1000")


def test_overlapping_dates_for_the_same_scope_are_refused_with_a_message(site_tree):
    brand = make_brand()
    rule(CommissionScope.BRAND, "0.1200", brand=brand, start=JAN, end=FEB)

    with pytest.raises(ValidationError) as error:
        rule(CommissionScope.BRAND, "0.1500", brand=brand, start=MID_JAN, end=MAR)

    assert error.value.message_dict["valid_from"] == [
        "These dates overlap another brand rate for the same scope (0.1200 from 2026-01-01 00:00 until 2026-02-01 00:00)."
    ]
    assert CommissionRule.objects.count() == 1


def test_an_open_ended_rule_overlaps_everything_after_it(site_tree):
    anna = make_creator("anna")
    rule(CommissionScope.CREATOR, "0.1200", creator=anna, start=FEB)

    with pytest.raises(ValidationError):
        rule(CommissionScope.CREATOR, "0.1500", creator=anna, start=MAR)
    with pytest.raises(ValidationError):
        rule(CommissionScope.CREATOR, "0.1500", creator=anna, start=JAN)  # open-ended too


def test_adjacent_ranges_and_other_scopes_are_accepted(site_tree):
    anna, brand = make_creator("anna"), make_brand()
    rule(CommissionScope.BRAND, "0.1200", brand=brand, start=JAN, end=FEB)
    rule(CommissionScope.BRAND, "0.1300", brand=brand, start=FEB, end=MAR)
    rule(CommissionScope.AGREEMENT, "0.2000", creator=anna, brand=brand, start=JAN)
    rule(CommissionScope.BRAND, "0.1100", brand=make_brand(), start=JAN)

    assert CommissionRule.objects.count() == 4


def test_a_scope_with_missing_or_extra_targets_is_refused(site_tree):
    anna, brand = make_creator("anna"), make_brand()

    with pytest.raises(ValidationError) as error:
        rule(CommissionScope.AGREEMENT, "0.2000", creator=anna)
    assert "brand" in error.value.message_dict
    with pytest.raises(ValidationError) as error:
        rule(CommissionScope.BRAND, "0.2000", brand=brand, creator=anna)
    assert "creator" in error.value.message_dict


def test_the_database_refuses_a_rate_above_one_and_a_mismatched_scope(site_tree):
    brand = make_brand()
    with pytest.raises(IntegrityError), transaction.atomic():
        CommissionRule.objects.create(scope="brand", brand=brand, rate=Decimal("1.5"), valid_from=JAN)
    with pytest.raises(IntegrityError), transaction.atomic():
        CommissionRule.objects.create(scope="product", brand=brand, rate=Decimal("0.1"), valid_from=JAN)


def test_the_admin_refuses_an_overlapping_rule_with_a_message(site_tree, client):
    from tests.factories import make_user

    brand = make_brand()
    rule(CommissionScope.BRAND, "0.1200", brand=brand, start=JAN, end=FEB)
    client.force_login(make_user("boss", is_superuser=True, is_staff=True))

    response = client.post("/admin/snippets/creators/commissionrule/add/", {
        "scope": "brand", "brand": brand.pk, "rate": "0.1500", "valid_from": "2026-01-20 00:00",
        "valid_until": "", "note": "",
    })

    assert response.status_code == 200  # the form again, with the error
    assert "These dates overlap another brand rate for the same scope" in response.content.decode()
    assert CommissionRule.objects.count() == 1
