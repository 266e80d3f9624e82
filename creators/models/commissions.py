"""Commission rules: rates that override a creator's default for a brand, a product or an agreement.

Precedence when an order is paid (``creators.services.commissions.commission_rate``):
creator+brand agreement > product > brand > dated creator rule > the profile's default rate,
each only when its date range covers the payment time. Date ranges of rules with the same scope
never overlap: ``creators.services.commissions.save_commission_rule`` and ``clean()`` refuse them.
"""

from decimal import Decimal

from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _


class CommissionScope(models.TextChoices):
    CREATOR = "creator", _("Creator rate")
    BRAND = "brand", _("Brand rate")
    PRODUCT = "product", _("Product rate")
    AGREEMENT = "agreement", _("Creator and brand agreement")


# Which of creator / brand / product each scope names (the others stay empty).
SCOPE_FIELDS = {
    CommissionScope.CREATOR: ("creator",),
    CommissionScope.BRAND: ("brand",),
    CommissionScope.PRODUCT: ("product",),
    CommissionScope.AGREEMENT: ("creator", "brand"),
}


def _scope_condition(scope: CommissionScope) -> Q:
    condition = Q(scope=scope)
    for name in ("creator", "brand", "product"):
        condition &= Q(**{f"{name}__isnull": name not in SCOPE_FIELDS[scope]})
    return condition


class CommissionRule(models.Model):
    scope = models.CharField(max_length=10, choices=CommissionScope)
    creator = models.ForeignKey(
        "creators.CreatorProfile", null=True, blank=True, on_delete=models.PROTECT, related_name="commission_rules"
    )
    brand = models.ForeignKey("shop.Brand", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    product = models.ForeignKey("shop.Product", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    rate = models.DecimalField(
        max_digits=5, decimal_places=4,
        validators=[MinValueValidator(Decimal("0")), MaxValueValidator(Decimal("1"))],
        help_text=_("Share of a line's net amount, e.g. 0.1500 for 15 %."),
    )
    valid_from = models.DateTimeField()
    valid_until = models.DateTimeField(null=True, blank=True, help_text=_("Exclusive; blank for open-ended."))
    note = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["scope", "-valid_from", "pk"]
        constraints = [
            models.CheckConstraint(condition=Q(rate__gte=0) & Q(rate__lte=1), name="commission_rule_rate_0_to_1"),
            models.CheckConstraint(
                condition=Q(valid_until__isnull=True) | Q(valid_until__gt=F("valid_from")),
                name="commission_rule_dates_ordered",
            ),
            models.CheckConstraint(
                condition=(
                    _scope_condition(CommissionScope.CREATOR) | _scope_condition(CommissionScope.BRAND)
                    | _scope_condition(CommissionScope.PRODUCT) | _scope_condition(CommissionScope.AGREEMENT)
                ),
                name="commission_rule_scope_fields",
            ),
            # Two rules of one scope can't start together (overlaps in general are refused by the service).
            models.UniqueConstraint(
                fields=["creator", "valid_from"], condition=Q(scope="creator"), name="unique_creator_rule_start"
            ),
            models.UniqueConstraint(
                fields=["brand", "valid_from"], condition=Q(scope="brand"), name="unique_brand_rule_start"
            ),
            models.UniqueConstraint(
                fields=["product", "valid_from"], condition=Q(scope="product"), name="unique_product_rule_start"
            ),
            models.UniqueConstraint(
                fields=["creator", "brand", "valid_from"], condition=Q(scope="agreement"),
                name="unique_agreement_rule_start",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_scope_display()} {self.rate} from {self.valid_from:%Y-%m-%d}"

    def clean(self) -> None:
        super().clean()
        errors = {}
        for name in ("creator", "brand", "product"):
            wanted = name in SCOPE_FIELDS.get(self.scope, ())
            if wanted and getattr(self, f"{name}_id") is None:
                errors[name] = _("This scope needs a %(name)s.") % {"name": name}
            if not wanted and getattr(self, f"{name}_id") is not None:
                errors[name] = _("Leave this empty for this scope.")
        if self.valid_from and self.valid_until and self.valid_until <= self.valid_from:
            errors["valid_until"] = _("The end must come after the start.")
        if errors:
            raise ValidationError(errors)
        overlapping = self.overlapping_rules().first()
        if overlapping is not None:
            raise ValidationError({"valid_from": overlap_message(overlapping)})

    def same_scope_rules(self) -> models.QuerySet:
        names = SCOPE_FIELDS[self.scope]
        rules = CommissionRule.objects.filter(scope=self.scope, **{f"{n}_id": getattr(self, f"{n}_id") for n in names})
        return rules.exclude(pk=self.pk) if self.pk else rules

    def overlapping_rules(self) -> models.QuerySet:
        """Rules of the same scope whose [valid_from, valid_until) range meets this one's."""
        rules = self.same_scope_rules().filter(Q(valid_until__isnull=True) | Q(valid_until__gt=self.valid_from))
        if self.valid_until is not None:
            rules = rules.filter(valid_from__lt=self.valid_until)
        return rules.order_by("valid_from", "pk")


def overlap_message(rule: CommissionRule) -> str:
    until = f"{rule.valid_until:%Y-%m-%d %H:%M}" if rule.valid_until else "open-ended"
    return (
        f"These dates overlap another {rule.get_scope_display().lower()} for the same scope "
        f"({rule.rate} from {rule.valid_from:%Y-%m-%d %H:%M} until {until})."
    )
