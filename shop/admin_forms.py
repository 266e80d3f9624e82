"""The admin form of a group buy: the campaign's team rules and its group price in one form.

A group price is a ``Promotion`` of kind ``group``; brand users and creators may not make deals, so
this form makes (and edits) the campaign's own promotion itself. Which variants a user may choose is
the policy's answer (``GroupCampaignPermissionPolicy.campaign_variants``): a brand user's own
products, a creator's sellable (active) ones, any for staff. A posted variant outside it is a form
error, never saved.
"""

from datetime import timedelta

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from wagtail.admin.forms import WagtailAdminModelForm
from wagtail.admin.widgets import AdminDateTimeInput

from shop.admin_helpers import policy_for
from shop.models import GroupCampaign, Promotion, PromotionKind, Variant

# The promotion's fields this form edits, by form field → promotion field.
_PROMOTION_FIELDS = {"variant": "variant", "group_price": "price", "starts_at": "starts_at", "ends_at": "ends_at",
                     "unit_cap": "unit_cap", "per_buyer_limit": "per_buyer_limit"}


class GroupCampaignForm(WagtailAdminModelForm):
    variant = forms.ModelChoiceField(queryset=Variant.objects.none(), label=_("Variant"),
                                     help_text=_("The product variant sold at the group price."))
    group_price = forms.DecimalField(max_digits=12, decimal_places=2, min_value=0, label=_("Group price"))
    starts_at = forms.DateTimeField(widget=AdminDateTimeInput, label=_("Starts"))
    ends_at = forms.DateTimeField(widget=AdminDateTimeInput, label=_("Ends"))
    unit_cap = forms.IntegerField(required=False, min_value=1, label=_("Unit cap"),
                                  help_text=_("Units sold at the group price in total; blank for no cap."))
    per_buyer_limit = forms.IntegerField(required=False, min_value=1, label=_("Per-buyer limit"))

    class Meta:
        model = GroupCampaign
        fields = ["team_size", "window", "team_cap", "new_buyers_only", "reopen_after_failed_capture"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        policy = policy_for(GroupCampaign)
        self.fields["variant"].queryset = policy.campaign_variants(self.for_user) if self.for_user else \
            Variant.objects.none()
        promotion = self.instance.promotion if self.instance.pk else None
        if promotion is not None:
            for name, attribute in _PROMOTION_FIELDS.items():
                self.initial.setdefault(name, getattr(promotion, attribute))
            # The variant a campaign already runs on stays choosable for whoever may edit the campaign.
            self.fields["variant"].queryset = (self.fields["variant"].queryset
                                               | Variant.objects.filter(pk=promotion.variant_id)).distinct()
        else:
            now = timezone.now().replace(second=0, microsecond=0)
            self.initial.setdefault("starts_at", now)
            self.initial.setdefault("ends_at", now + timedelta(days=7))

    def clean(self):
        cleaned = super().clean()
        promotion = self.instance.promotion if self.instance.pk else Promotion(kind=PromotionKind.GROUP)
        for name, attribute in _PROMOTION_FIELDS.items():
            if name in cleaned:
                setattr(promotion, attribute, cleaned[name])
        if promotion.variant_id:
            promotion.currency = promotion.variant.currency
            promotion.name = promotion.name or f"Group buy: {promotion.variant.sku}"[:120]
        try:
            promotion.full_clean()
        except ValidationError as error:
            for field, messages in error.message_dict.items():
                target = {"price": "group_price"}.get(field, field)
                self.add_error(target if target in self.fields else None, messages)
        self._promotion = promotion
        return cleaned

    def save(self, commit=True):
        campaign = super().save(commit=False)
        promotion = self._promotion
        if commit:
            promotion.save()
            campaign.promotion = promotion
            if campaign.pk is None and self.for_user is not None:
                campaign.created_by = self.for_user
            campaign.save()
        else:
            campaign.promotion = promotion
        return campaign
