"""Admin glue for content: headless preview links and warnings about unbuyable embedded products."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, redirect
from django.urls import path, reverse
from django.utils.translation import gettext as _
from wagtail import hooks
from wagtail.admin.menu import MenuItem
from wagtail.admin.ui.menus.pages import PageMenuItem
from wagtail.models import Page

from content.admin_page_views import SCOPED_PAGE_BULK_ACTIONS
from content.models import ShoppableContentPage
from content.services.editorial import unavailable_embeds
from content.services.page_visibility import pages_choosable_by
from content.services.preview import issue_preview_token, preview_client_url


def headless_preview(request, page_id: int):
    """Issue a preview token for the page's current draft and send the editor to the front end."""
    page = get_object_or_404(Page, pk=page_id).specific
    if not page.permissions_for_user(request.user).can_edit():
        raise PermissionDenied
    return redirect(preview_client_url(page, issue_preview_token(page)))


@hooks.register("register_admin_urls")
def register_headless_preview_url():
    return [path("content/headless-preview/<int:page_id>/", headless_preview, name="content_headless_preview")]


@hooks.register("register_page_header_buttons")
def headless_preview_button(page, user, view_name, next_url=None):
    if isinstance(page.specific_deferred, ShoppableContentPage) and page.permissions_for_user(user).can_edit():
        yield PageMenuItem(
            _("Preview on the front end"),
            reverse("content_headless_preview", args=[page.pk]),
            icon_name="view",
            priority=40,
            page=page,
        )


@hooks.register("before_edit_page")
def warn_about_unavailable_products(request, page):
    """Creators see, on the page itself, which embedded products readers can no longer buy."""
    if request.method != "GET" or not isinstance(page.specific_deferred, ShoppableContentPage):
        return None
    for embed in unavailable_embeds(page.specific):
        messages.warning(
            request,
            _("“%(title)s” can't be bought: %(reason)s Replace or remove its blocks.")
            % {"title": embed.title, "reason": embed.message},
        )
    return None


@hooks.register("construct_page_chooser_queryset")
def hide_others_drafts_and_private_pages(pages, request):
    return pages_choosable_by(pages, request.user)


@hooks.register("before_move_page")
def refuse_moves_the_user_may_not_make(request, page, destination):
    """Wagtail's move confirmation renders (with the page's title) before any permission check."""
    if not page.permissions_for_user(request.user).can_move_to(destination):
        raise PermissionDenied


# Registered after Wagtail's own (order) so they replace the page bulk actions of the same name.
for scoped_page_bulk_action in SCOPED_PAGE_BULK_ACTIONS:
    hooks.register("register_bulk_action", scoped_page_bulk_action, order=100)


@hooks.register("register_admin_urls")
def register_live_console_urls():
    from content.live.console import console_urls

    return console_urls()


@hooks.register("register_reports_menu_item")
def register_live_reports_menu_item():
    """Reports → Live sessions: creators' own sessions, brands' sessions featuring their products."""
    from content.live.permissions import may_open_reports

    class LiveReportsMenuItem(MenuItem):
        def is_shown(self, request):
            return may_open_reports(request.user)

    return LiveReportsMenuItem(_("Live sessions"), reverse("live_session_reports"), icon_name="media", order=20)


@hooks.register("register_page_header_buttons")
def live_console_button(page, user, view_name, next_url=None):
    from content.live.permissions import may_run_session
    from content.models import LiveSessionPage

    if isinstance(page.specific_deferred, LiveSessionPage) and may_run_session(user, page):
        yield PageMenuItem(_("Live console"), reverse("live_console", args=[page.pk]), icon_name="media",
                           priority=45, page=page)


# The creator's dashboard: earnings, 7/30-day figures, top pages and blocks, warnings, next live sessions.
from content.dashboard import add_creator_dashboard  # noqa: E402

hooks.register("construct_homepage_panels", add_creator_dashboard)


# The block-aware editor: product previews, hotspot placement, attribute suggestions (content/editor_views.py).
from content import editor_views  # noqa: E402


@hooks.register("register_admin_urls")
def register_block_editor_urls():
    return [
        path("content/product-preview/<int:product_id>/", editor_views.product_preview, name="content_product_preview"),
        path("content/image-preview/<int:image_id>/", editor_views.image_preview, name="content_image_preview"),
    ]


@hooks.register("insert_editor_js")
def block_editor_assets():
    from django.templatetags.static import static
    from django.utils.html import format_html

    return format_html('<link rel="stylesheet" href="{}"><script src="{}" data-admin-root="{}" defer></script>',
                       static("content/studio/block_editor.css"), static("content/studio/block_editor.js"),
                       reverse("wagtailadmin_home"))
