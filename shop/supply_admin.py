"""Supply offers in the admin: brand users make and edit their own brands' offers, staff any.

The form asks ``shop.services.supply`` (the same validation and brand check as every other entry
point) and saves through it, so an edit that narrows the bounds pauses the listings outside them in
the same transaction. The registered ``CatalogPermissionPolicy`` scopes every view and chooser:
a second brand's user gets 404 on the first brand's offer URLs; creators may only *choose* offers.
"""

from django.contrib import messages
from django.contrib.auth.decorators import permission_required
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.utils.translation import gettext_lazy as _
from wagtail.admin.forms import WagtailAdminModelForm
from wagtail.admin.panels import FieldPanel, FieldRowPanel, MultiFieldPanel, ObjectList
from wagtail.admin.ui.tables import Column

from shop.admin_helpers import (
    ScopedSnippetChooserViewSet,
    ScopedSnippetViewSet,
    policy_for,
    scoped_choose_views,
)
from shop.errors import DomainError
from shop.models import SupplyOffer, Variant
from shop.permissions import CHOOSE
from shop.services.fulfilment_groups import brand_fulfilment_groups
from shop.services.listing_prices import bounds_in_force
from shop.services.supply_retries import (
    WATCHED_STATUSES, AttemptFilters, retry_supply_attempt, supply_attempts_to_watch,
)
from shop.services.supply import OfferTerms, check_offer_access, create_offer, update_offer, validate_offer_terms

TERM_FIELDS = ["market", "currency", "wholesale_price", "recommended_price", "min_price", "max_price", "mode",
               "starts_at", "ends_at"]


class SupplyOfferForm(WagtailAdminModelForm):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if "variant" in self.fields and self.for_user is not None:
            # Offer only what the user may choose: a brand user's own brands' active variants.
            self.fields["variant"].queryset = policy_for(Variant).instances_user_has_permission_for(
                self.for_user, CHOOSE)
        if self.instance.pk:
            self.fields["variant"].disabled = True

    def clean(self):
        data = super().clean()
        variant = data.get("variant") or (self.instance.variant if self.instance.variant_id else None)
        if variant is None or self.errors:
            return data
        try:
            check_offer_access(self.for_user, variant)
            self.terms = validate_offer_terms(OfferTerms(**{name: data.get(name) for name in TERM_FIELDS}),
                                              variant=variant)
        except DomainError as error:
            self.add_error(error.field if error.field in self.fields else None, error.message)
        return data

    def save(self, commit=True):
        if self.instance.pk:
            self.instance = update_offer(self.instance, user=self.for_user, terms=self.terms)
        else:
            self.instance = create_offer(user=self.for_user, variant=self.cleaned_data["variant"], terms=self.terms)
        return self.instance


class SupplyOfferChooseViewMixin:
    per_page = 20

    def get_object_list(self):
        return super().get_object_list().select_related("variant__product").order_by("variant__product__title", "pk")

    @property
    def columns(self):
        return super().columns + [
            Column("variant", label=_("Variant"), accessor="variant"),
            Column("mode", label=_("Mode"), accessor="mode"),
            Column("bounds", label=_("Price bounds"), accessor=offer_bounds_label),
        ]


class SupplyOfferChooserViewSet(ScopedSnippetChooserViewSet):
    choose_view_class, choose_results_view_class = scoped_choose_views(SupplyOfferChooseViewMixin)


def offer_bounds_label(offer: SupplyOffer) -> str:
    bounds = bounds_in_force(offer)
    ceiling = bounds.ceiling if bounds.ceiling is not None else "—"
    return f"{bounds.floor}–{ceiling} {offer.currency}"


class SupplyOfferViewSet(ScopedSnippetViewSet):
    model = SupplyOffer
    icon = "doc-full"
    menu_label = _("Supply offers")
    add_to_admin_menu = True
    menu_order = 207
    list_display = [
        "variant",
        "market",
        "mode",
        Column("wholesale", label=_("Wholesale"), accessor=lambda o: f"{o.wholesale_price} {o.currency}"),
        Column("recommended", label=_("Recommended"), accessor=lambda o: f"{o.recommended_price} {o.currency}"),
        Column("bounds", label=_("Price bounds"), accessor=offer_bounds_label),
        "starts_at",
        "ends_at",
    ]
    list_filter = ["mode", "market"]
    search_fields = ["variant__sku", "variant__product__title"]
    search_backend_name = None
    chooser_viewset_class = SupplyOfferChooserViewSet
    edit_handler = ObjectList([
        FieldPanel("variant"),
        MultiFieldPanel([FieldRowPanel([FieldPanel("market"), FieldPanel("currency"), FieldPanel("mode")])],
                        heading=_("Market")),
        MultiFieldPanel([FieldRowPanel([FieldPanel("wholesale_price"), FieldPanel("recommended_price")]),
                         FieldRowPanel([FieldPanel("min_price"), FieldPanel("max_price")])],
                        heading=_("Prices"),
                        help_text=_("A minimum price is refused where the market restricts resale price maintenance "
                                    "(EU, China by default).")),
        FieldRowPanel([FieldPanel("starts_at"), FieldPanel("ends_at")], heading=_("Period")),
    ], base_form_class=SupplyOfferForm)

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("variant__product")


FULFILMENT_PERMISSION = "shop.view_fulfilmentgroup"


@permission_required(FULFILMENT_PERMISSION, raise_exception=True)
def fulfilment_groups(request):
    """A brand's paid fulfilment groups: lines and shipping address only (no buyer e-mail or phone)."""
    return TemplateResponse(request, "shop/admin/fulfilment_groups.html",
                            {"groups": brand_fulfilment_groups(request.user)})


SUPPLY_ATTEMPTS_PERMISSION = "shop.view_supplytransfer"
SUPPLY_RETRY_PERMISSION = "shop.change_supplytransfer"


@permission_required(SUPPLY_ATTEMPTS_PERMISSION, raise_exception=True)
def supply_attempts(request):
    """Staff: brand transfers failed or in flight and reversals still to recover; "retry now" queues one row's
    attempt (``shop.services.supply_retries``). Brand users and creators hold neither permission: 403."""
    if request.method == "POST":
        if not request.user.has_perm(SUPPLY_RETRY_PERMISSION):
            raise DjangoPermissionDenied
        row_id = request.POST.get("id", "")
        try:
            retry_supply_attempt(request.POST.get("kind", ""), int(row_id) if row_id.isdigit() else 0)
        except DomainError as error:
            messages.error(request, error.message)
        else:
            messages.success(request, _("Queued one more attempt."))
        return redirect(f"{request.path}?{request.GET.urlencode()}" if request.GET else request.path)
    filters = AttemptFilters.from_query(request.GET)
    return TemplateResponse(request, "shop/admin/supply_attempts.html", {
        "rows": supply_attempts_to_watch(filters), "filters": filters,
        "statuses": [status for kinds in WATCHED_STATUSES.values() for status in kinds],
        "may_retry": request.user.has_perm(SUPPLY_RETRY_PERMISSION),
    })
