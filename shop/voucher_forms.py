"""The admin form of a voucher: a brand user makes and edits vouchers of their own brands only.

Which brands a user may fund a voucher for is ``brand_ids_for_user`` (the same answer the voucher policy,
``BrandScopedPermissionPolicy(Voucher, brand_path="brand_id")``, scopes rows by): a brand user must name one of
their brands, and the fields only staff decide (a creator's code, a reward's remainder) are not theirs to set. A
posted brand outside them is a form error, never saved. The remainder fields are written by
``shop.services.voucher_remainders`` only.
"""

from django.utils.translation import gettext_lazy as _
from wagtail.admin.forms import WagtailAdminModelForm

from shop.models import Brand, Voucher
from shop.services.brand_access import brand_ids_for_user

STAFF_ONLY_FIELDS = ("creator_id", "reissue_unused")


class VoucherForm(WagtailAdminModelForm):
    class Meta:
        model = Voucher
        fields = ["code", "kind", "value", "currency", "valid_from", "valid_until", "usage_limit", "per_buyer_limit",
                  "brand", "creator_id", "reissue_unused", "active"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        brand_ids = brand_ids_for_user(self.for_user) if self.for_user is not None else set()
        if brand_ids is not None:  # a brand user: their brands' vouchers only, funded by the brand
            self.fields["brand"].queryset = Brand.objects.filter(pk__in=brand_ids).order_by("name")
            self.fields["brand"].required = True
            self.fields["brand"].empty_label = None
            self.fields["brand"].help_text = _("Your brand bears the discount, on creators' storefront lines of its own products only.")
            for name in STAFF_ONLY_FIELDS:
                self.fields.pop(name, None)
