"""Commission rates: which rule applies to a line, and saving rules without overlapping dates.

Precedence (the first rule whose [valid_from, valid_until) covers the payment time wins):

1. creator + brand agreement
2. product rule
3. brand rule
4. dated creator rule
5. the creator profile's ``default_commission_rate``
"""

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q

from creators.models import CommissionRule, CommissionScope, CreatorProfile
from creators.models.commissions import overlap_message
from shop.models import Brand, Product

PRECEDENCE = (CommissionScope.AGREEMENT, CommissionScope.PRODUCT, CommissionScope.BRAND, CommissionScope.CREATOR)


@dataclass(frozen=True)
class RateDecision:
    rate: Decimal
    scope: str  # a CommissionScope, or "default"
    rule_id: int | None = None


def _matches(rule: CommissionRule, *, creator_id: int, brand_id: int | None, product_id: int | None) -> bool:
    if rule.scope == CommissionScope.AGREEMENT:
        return rule.creator_id == creator_id and rule.brand_id == brand_id
    if rule.scope == CommissionScope.PRODUCT:
        return product_id is not None and rule.product_id == product_id
    if rule.scope == CommissionScope.BRAND:
        return rule.brand_id == brand_id
    return rule.creator_id == creator_id


def rules_in_force(*, creator_ids: set[int], brand_ids: set[int], product_ids: set[int], at: datetime
                   ) -> list[CommissionRule]:
    """Every rule that could apply to these lines at ``at``, in one query."""
    scope_filter = (
        Q(scope=CommissionScope.AGREEMENT, creator_id__in=creator_ids, brand_id__in=brand_ids)
        | Q(scope=CommissionScope.PRODUCT, product_id__in=product_ids)
        | Q(scope=CommissionScope.BRAND, brand_id__in=brand_ids)
        | Q(scope=CommissionScope.CREATOR, creator_id__in=creator_ids)
    )
    in_force = Q(valid_from__lte=at) & (Q(valid_until__isnull=True) | Q(valid_until__gt=at))
    return list(CommissionRule.objects.filter(scope_filter & in_force))


def choose_rate(rules: list[CommissionRule], *, creator: CreatorProfile, brand_id: int | None,
                product_id: int | None) -> RateDecision:
    for scope in PRECEDENCE:
        for rule in rules:
            if rule.scope == scope and _matches(rule, creator_id=creator.pk, brand_id=brand_id, product_id=product_id):
                return RateDecision(rule.rate, scope, rule.pk)
    return RateDecision(creator.default_commission_rate, "default")


def commission_rate(creator: CreatorProfile, *, brand_id: int | None, product_id: int | None,
                    at: datetime) -> RateDecision:
    rules = rules_in_force(creator_ids={creator.pk}, brand_ids={brand_id} if brand_id else set(),
                           product_ids={product_id} if product_id else set(), at=at)
    return choose_rate(rules, creator=creator, brand_id=brand_id, product_id=product_id)


def _lock_scope_owner(rule: CommissionRule) -> None:
    """Serialise rule changes for one scope, so two overlapping saves can't both pass the check."""
    if rule.creator_id is not None:
        CreatorProfile.objects.select_for_update().filter(pk=rule.creator_id).first()
    elif rule.product_id is not None:
        Product.objects.select_for_update().filter(pk=rule.product_id).first()
    elif rule.brand_id is not None:
        Brand.objects.select_for_update().filter(pk=rule.brand_id).first()


@transaction.atomic
def save_commission_rule(rule: CommissionRule) -> CommissionRule:
    """Validate and save; raises ValidationError when the dates overlap a rule of the same scope."""
    _lock_scope_owner(rule)
    rule.full_clean()
    overlapping = rule.overlapping_rules().first()
    if overlapping is not None:  # full_clean checks too; kept explicit for callers that skip it
        raise ValidationError({"valid_from": overlap_message(overlapping)})
    rule.save()
    return rule
