"""Wagtail's page chooser and page-types report, answering only with pages a user may see.

Wagtail's ``construct_page_chooser_queryset`` hook filters a chooser's *children*; the browsed
parent, ``chosen-multiple`` and the page-types usage report ("last edited page") show any page's
title. These subclasses apply ``pages_choosable_by`` there too and are mounted in front of
Wagtail's own URLs (``admin_page_urlpatterns``).
"""

from django.http import Http404
from django.urls import path
from wagtail.admin.auth import require_admin_access
from wagtail.admin.views import chooser
from wagtail.admin.views.bulk_action import BulkAction
from wagtail.admin.views.pages.bulk_actions import (
    DeleteBulkAction,
    MoveBulkAction,
    PublishBulkAction,
    UnpublishBulkAction,
)
from wagtail.admin.views.reports.page_types_usage import PageTypesUsageReportView
from wagtail.models import Page

from content.services.page_visibility import pages_choosable_by


class ScopedBrowseView(chooser.BrowseView):
    def get(self, request, parent_page_id=None):
        if parent_page_id is not None and not pages_choosable_by(Page.objects.filter(pk=parent_page_id), request.user):
            raise Http404
        return super().get(request, parent_page_id)


class ScopedChosenMultipleView(chooser.ChosenMultipleView):
    def get(self, request):
        visible = pages_choosable_by(Page.objects.filter(pk__in=request.GET.getlist("id")), request.user)
        request.GET = request.GET.copy()
        request.GET.setlist("id", [str(pk) for pk in visible.exclude(depth=1).values_list("pk", flat=True)])
        return super().get(request)


class ScopedPageTypesUsageReportView(PageTypesUsageReportView):
    def decorate_paginated_queryset(self, page_types):
        page_types = super().decorate_paginated_queryset(page_types)
        shown = {item.last_edited_page.pk for item in page_types if item.last_edited_page is not None}
        visible = set(pages_choosable_by(Page.objects.filter(pk__in=shown), self.request.user).values_list("pk", flat=True))
        for item in page_types:
            if item.last_edited_page is not None and item.last_edited_page.pk not in visible:
                item.last_edited_page = None
        return page_types


def admin_page_urlpatterns() -> list:
    """Mount before ``wagtail.admin.urls`` (same paths, so Wagtail's names reverse to these)."""
    return [
        path("choose-page/<int:parent_page_id>/", require_admin_access(ScopedBrowseView.as_view()),
             name="content_choose_page_child"),
        path("choose-page/chosen-multiple/", require_admin_access(ScopedChosenMultipleView.as_view()),
             name="content_choose_page_chosen_multiple"),
        path("reports/page-types-usage/", require_admin_access(ScopedPageTypesUsageReportView.as_view()),
             name="content_page_types_usage"),
        path("reports/page-types-usage/results/",
             require_admin_access(ScopedPageTypesUsageReportView.as_view(results_only=True)),
             name="content_page_types_usage_results"),
    ]


class HidePagesUserCannotSeeMixin:
    """Page bulk actions list pages the user may not act on by title; drop those they may not see."""

    def get_actionable_objects(self):
        objects, extra = super().get_actionable_objects()
        hidden = extra["items_with_no_access"]
        visible = set(pages_choosable_by(Page.objects.filter(pk__in=[p.pk for p in hidden]), self.request.user)
                      .values_list("pk", flat=True))
        extra["items_with_no_access"] = [page for page in hidden if page.pk in visible]
        return objects, extra


SCOPED_PAGE_BULK_ACTIONS: list[type[BulkAction]] = [
    type(f"Scoped{action.__name__}", (HidePagesUserCannotSeeMixin, action), {})
    for action in (DeleteBulkAction, MoveBulkAction, PublishBulkAction, UnpublishBulkAction)
]
