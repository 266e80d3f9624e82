"""Tracked links in the admin: staff see and make every creator's; a creator lists and makes their own.

One viewset for both (``/admin/snippets/creators/trackedlink/``): the registered
``CreatorOwnedPermissionPolicy`` lets a creator add, view and change their own links and nobody
else's, and the form fences what a creator may point a link at (their own storefront pages and
blocks, products they may choose). The listing shows each link's clicks and orders
(``links.with_link_figures``), its full address with a copy button and a QR code.
"""

import io
from functools import reduce
from operator import or_

import qrcode
import qrcode.image.svg
from django import forms
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.http import Http404, HttpRequest, HttpResponse
from django.urls import path, reverse
from django.utils.translation import gettext_lazy as _
from wagtail.admin.forms import WagtailAdminModelForm
from wagtail.admin.panels import FieldPanel, ObjectList
from wagtail.admin.ui.tables import Column, TitleColumn

from creators.models import CreatorPage, CreatorProfile, LinkTarget, TrackedLink
from creators.permissions import is_creator
from creators.services.block_labels import block_labels, label_of
from creators.services.links import (
    check_link_target, is_buy_button_code, new_link_code, shared_links, storefront_pages, with_link_figures,
)
from shop.admin_helpers import ROW_ACTIONS, ScopedSnippetChooserViewSet, ScopedSnippetViewSet, policy_for
from shop.models import Product
from shop.permissions import CHOOSE
from shop.validation import row_id
from wagtail.models import Page

NO_BLOCK = ""


def _own_profile(user) -> CreatorProfile | None:
    """The creator a user acts as in the link form, or None for staff (who choose the creator)."""
    if user is None or policy_for(TrackedLink).sees_every_creator(user):
        return None
    return user.creator_profile if is_creator(user) else None


def _every_storefront_page():
    paths = list(CreatorPage.objects.values_list("path", flat=True))
    return Page.objects.filter(reduce(or_, (Q(path__startswith=path) for path in paths), Q(pk__in=[])))


def _block_value(page_id: int, block_id: str) -> str:
    return f"{page_id}:{block_id}"


class TrackedLinkForm(WagtailAdminModelForm):
    block = forms.ChoiceField(
        required=False, label=_("Block"),
        help_text=_("Optional: the block of your page this link stands for (its page is then the link's page)."),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.own_creator = _own_profile(self.for_user)
        self.fields["code"].required = False
        self.fields["code"].help_text = _("Leave empty for a random code. Readers open /r/<code>/.")
        if "target_kind" in self.fields:  # team links are readers' shares only
            self.fields["target_kind"].choices = [
                choice for choice in self.fields["target_kind"].choices if choice[0] != LinkTarget.TEAM]
        if "product" in self.fields:
            self.fields["product"].queryset = policy_for(Product).instances_user_has_permission_for(
                self.for_user, CHOOSE)
        creator = self.own_creator or (self.instance.creator if self.instance.creator_id else None)
        if self.own_creator is not None:
            self.fields.pop("creator", None)
            self.instance.creator = self.own_creator
            self.fields["page"].queryset = storefront_pages(self.own_creator)
        pages = storefront_pages(creator) if creator else _every_storefront_page()
        self.block_pages = {page.pk: page.title for page in pages.only("pk", "title")}
        labels = block_labels(self.block_pages)
        self.fields["block"].choices = [(NO_BLOCK, _("No block"))] + [
            (_block_value(page_id, block_id), f"{self.block_pages[page_id]} › {label}")
            for (page_id, block_id), label in labels.items()
        ]
        if self.instance.blocked_at is not None and "active" in self.fields:
            self.fields["active"].disabled = True  # the posted value is ignored: a blocked share stays inactive
            self.fields["active"].help_text = _("Blocked by staff: this reader's share stays inactive.")
        if self.instance.block_id and self.instance.page_id:
            current = _block_value(self.instance.page_id, self.instance.block_id)
            if current not in dict(self.fields["block"].choices):  # a block since removed from its page
                gone = label_of(labels, self.instance.page_id, self.instance.block_id)
                self.fields["block"].choices = [*self.fields["block"].choices, (current, gone)]
            self.initial["block"] = current

    def clean(self):
        data = super().clean()
        chosen = data.get("block") or NO_BLOCK
        if chosen:
            page_id, _sep, block_id = chosen.partition(":")
            page = Page.objects.filter(pk=row_id(page_id)).first() if row_id(page_id) is not None else None
            if page is None or (data.get("page") and data["page"].pk != page.pk):
                self.add_error("block", _("Choose a block of the link's page."))
                return data
            data["page"] = page
            self.instance.block_id = block_id
        elif self.instance.page_id or not self.instance.pk:
            self.instance.block_id = ""  # "No block": the link stands for its page (or product) alone
        creator = self.own_creator or data.get("creator")
        if creator is not None:
            try:
                check_link_target(creator, target_kind=data.get("target_kind"), product=data.get("product"),
                                  page=data.get("page"))
            except ValidationError as error:
                for field, messages in error.message_dict.items():
                    self.add_error(field if field in self.fields else None, messages)
        if data.get("active") and self.instance.blocked_at is not None:
            self.add_error("active", _("Blocked by staff: this reader's share stays inactive."))
        if data.get("code") and is_buy_button_code(data["code"]) and data["code"] != self.instance.code:
            self.add_error("code", _("Codes starting with “buy-” are kept for buy buttons; choose another."))
        if not data.get("code"):
            data["code"] = self.instance.code or new_link_code()
        return data


class LinkAddressColumn(Column):
    """The link's full address, a copy button (Wagtail's clipboard controller) and its QR code."""

    cell_template_name = "creators/admin/link_address_cell.html"

    def get_cell_context_data(self, instance, parent_context):
        context = super().get_cell_context_data(instance, parent_context)
        request = parent_context["request"]
        context["address"] = request.build_absolute_uri(instance.get_absolute_url())
        context["qr_url"] = reverse("wagtailsnippets_creators_trackedlink:qr", args=[instance.pk])
        return context


class BlockLabelColumn(Column):
    """The block by its label; the labels of every page the listed links name are read at once."""

    def get_cell_context_data(self, instance, parent_context):
        context = super().get_cell_context_data(instance, parent_context)
        table = parent_context["table"]
        if not hasattr(table, "block_labels"):
            table.block_labels = block_labels({link.page_id for link in table.data})
        context["value"] = label_of(table.block_labels, instance.page_id, instance.block_id)
        return context


def link_qr_code(request: HttpRequest, pk: int) -> HttpResponse:
    """An SVG QR code of the link's address, for the link's creator (and staff) only."""
    links = policy_for(TrackedLink).instances_user_has_any_permission_for(request.user, ROW_ACTIONS)
    link = links.filter(pk=pk).first()
    if link is None:
        raise Http404
    buffer = io.BytesIO()
    qrcode.make(request.build_absolute_uri(link.get_absolute_url()),
                image_factory=qrcode.image.svg.SvgPathImage).save(buffer)
    response = HttpResponse(buffer.getvalue(), content_type="image/svg+xml")
    response["Content-Disposition"] = f'inline; filename="link-{link.code}.svg"'
    return response


class TrackedLinkViewSet(ScopedSnippetViewSet):
    model = TrackedLink
    icon = "link"
    menu_label = _("Tracked links")
    list_filter = ["target_kind", "active"]
    chooser_viewset_class = ScopedSnippetChooserViewSet
    add_to_admin_menu = True
    menu_order = 222
    edit_handler = ObjectList([
        FieldPanel("creator", permission="creators.change_trackedlink"), FieldPanel("target_kind"), FieldPanel("product"), FieldPanel("page"),
        FieldPanel("block"), FieldPanel("label"), FieldPanel("code"), FieldPanel("active"),
    ], base_form_class=TrackedLinkForm)

    @property
    def list_display(self):
        return [
            TitleColumn("code", label=_("Code"), url_name=self.get_url_name("edit")),
            "label", "creator", "target_kind", "product", "page",
            BlockLabelColumn("block", label=_("Block")),
            Column("click_count", label=_("Clicks")),
            Column("order_count", label=_("Orders")),
            LinkAddressColumn("address", label=_("Share")),
            "active",
        ]

    def get_queryset(self, request):
        links = shared_links(super().get_queryset(request))  # buy buttons' own links are counted per block instead
        return with_link_figures(links.select_related("creator", "product", "page"))

    def get_urlpatterns(self):
        return super().get_urlpatterns() + [path("qr/<int:pk>/", link_qr_code, name="qr")]
