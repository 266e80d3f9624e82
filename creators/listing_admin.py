"""Storefront listings in the admin: a creator picks supply offers, prices and publishes them.

The shop keeps a listing's creator as a raw id, so the policy here maps the user to their creator
profile (``StorefrontListingPolicy``); staff see every creator's listings. The form saves through
``creators.services.listings`` (bounds checked there and by the database).
"""

from django import forms
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from wagtail.admin.forms import WagtailAdminModelForm
from wagtail.admin.panels import FieldPanel, ObjectList
from wagtail.admin.ui.tables import Column

from creators.models import CreatorProfile
from creators.permissions import CreatorOwnedPermissionPolicy, is_creator
from creators.services import listings
from shop.admin_helpers import (
    ScopedSnippetChooserViewSet,
    ScopedSnippetViewSet,
    policy_for,
    scoped_choose_views,
)
from shop.errors import DomainError
from shop.models import ListingStatus, StorefrontListing, SupplyOffer
from shop.permissions import CHOOSE
from shop.services.listing_prices import bounds_in_force
from shop.services.supply import validate_listing


class StorefrontListingPolicy(CreatorOwnedPermissionPolicy):
    """Creator-owned by the raw ``creator_id``: a creator adds, views and changes their own listings."""

    def scope(self, queryset, user, *, actions):
        if self._is_staff(user):
            return queryset
        return queryset.filter(creator_id__in=CreatorProfile.objects.filter(user_id=user.pk).values("pk"))

    def users_in_scope(self, users, instance):
        staff = Q(is_superuser=True) | Q(groups__permissions__codename__in=self._staff_codenames()) | Q(
            user_permissions__codename__in=self._staff_codenames())
        owner = CreatorProfile.objects.filter(pk=instance.creator_id).values("user_id")
        return users.filter(staff | Q(pk__in=owner)).distinct()


class StorefrontListingForm(WagtailAdminModelForm):
    status = forms.ChoiceField(choices=ListingStatus.choices, initial=ListingStatus.DRAFT)

    class Meta:
        model = StorefrontListing
        fields = ["offer", "price"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["offer"].queryset = policy_for(SupplyOffer).instances_user_has_permission_for(
            self.for_user, CHOOSE).select_related("variant__product")
        if self.instance.pk:
            self.fields["offer"].disabled = True
            self.initial["status"] = self.instance.status
        self.fields["price"].help_text = _("Your price (reseller offers), within the offer's bounds.")

    def clean(self):
        data = super().clean()
        offer = data.get("offer") or (self.instance.offer if self.instance.offer_id else None)
        if not is_creator(self.for_user):
            self.add_error(None, _("Only creators list offers in their storefront."))
        elif offer is not None and not self.errors:
            try:
                validate_listing(offer, price=data.get("price"), status=data.get("status"))
            except DomainError as error:
                self.add_error(error.field if error.field in self.fields else None, error.message)
        return data

    def save(self, commit=True):
        data = self.cleaned_data
        if self.instance.pk:
            listing = listings.price_listing(self.for_user, self.instance, price=data.get("price"))
        else:
            listing = listings.add_listing(self.for_user, offer=data["offer"], price=data.get("price"))
        self.instance = listings.set_listing_status(self.for_user, listing, status=data["status"])
        return self.instance


def listing_bounds(listing: StorefrontListing) -> str:
    bounds = bounds_in_force(listing.offer)
    ceiling = bounds.ceiling if bounds.ceiling is not None else "—"
    return f"{bounds.floor}–{ceiling} {listing.offer.currency}"


class ListingChooseViewMixin:
    """The chooser names each listing by its product (``StorefrontListing.__str__``) and shows its price."""

    def get_object_list(self):
        return super().get_object_list().select_related("offer__variant__product").order_by("pk")

    @property
    def columns(self):
        return super().columns + [
            Column("price", label=_("Price"), accessor=lambda listing: listing.price or listing.offer.recommended_price),
            Column("bounds", label=_("Price bounds"), accessor=listing_bounds),
        ]


class ListingChooserViewSet(ScopedSnippetChooserViewSet):
    choose_view_class, choose_results_view_class = scoped_choose_views(ListingChooseViewMixin)


class StorefrontListingViewSet(ScopedSnippetViewSet):
    model = StorefrontListing
    icon = "list-ul"
    menu_label = _("Storefront listings")
    add_to_admin_menu = True
    menu_order = 223
    list_display = [
        Column("offer", label=_("Offer"), accessor=lambda listing: listing.offer.variant),
        "status",
        "price",
        Column("bounds", label=_("Price bounds"), accessor=listing_bounds),
        "paused_reason",
    ]
    list_filter = ["status"]
    chooser_viewset_class = ListingChooserViewSet
    edit_handler = ObjectList([FieldPanel("offer"), FieldPanel("price"), FieldPanel("status")],
                              base_form_class=StorefrontListingForm)

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("offer__variant__product")
