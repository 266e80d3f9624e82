"""The creator's dashboard on the admin home page (Wagtail's ``construct_homepage_panels``).

Money and traffic come from ``creators.services.dashboard`` (which reads the ledger and the report
figures); this floor adds what only content knows: products on the creator's pages that readers
can no longer buy (``editorial.unavailable_embeds_by_page``) and their next live sessions.
"""

from django.utils import timezone
from wagtail.admin.ui.components import Component

from content.models import LiveSessionPage, ShoppableContentPage
from content.services.editorial import unavailable_embeds_by_page
from creators.models import TrackedLink
from creators.permissions import is_creator
from creators.services.links import shared_links, with_link_figures
from creators.services.dashboard import creator_dashboard

NEXT_SESSIONS = 3
RECENT_LINKS = 5


class CreatorDashboardPanel(Component):
    name = "creator_dashboard"
    template_name = "content/admin/creator_dashboard.html"
    order = 50

    def __init__(self, creator):
        self.creator = creator

    def get_context_data(self, parent_context):
        context = super().get_context_data(parent_context)
        pages = list(ShoppableContentPage.objects.filter(creator=self.creator).order_by("path"))
        embeds = unavailable_embeds_by_page(pages)
        now = timezone.now()
        context.update({
            "creator": self.creator,
            "dashboard": creator_dashboard(self.creator),
            "warnings": [(page, embed) for page in pages for embed in embeds[page.pk]],
            "links": list(with_link_figures(shared_links(TrackedLink.objects.filter(creator=self.creator)))[:RECENT_LINKS]),
            "sessions": list(LiveSessionPage.objects.filter(creator=self.creator, ends_at__gt=now)
                             .order_by("starts_at", "pk")[:NEXT_SESSIONS]),
            "now": now,
        })
        return context


def add_creator_dashboard(request, panels) -> None:
    """Creators get their dashboard first; staff keep Wagtail's panels only."""
    if is_creator(request.user):
        panels.insert(0, CreatorDashboardPanel(request.user.creator_profile))
