"""One write to a page at a time in the admin (issue 16: the intermittent ``on_action`` crash).

Wagtail's edit view reads the page and its workflow state when the request starts and writes them
much later, outside any transaction. Two approving POSTs for the same page (a double click, a retried
slow request, two moderators) then interleave: both see the task in progress, the first approves and
publishes, and the second, still holding the draft it loaded before the publish, saves the page row
back with ``live=False`` and calls ``current_workflow_task.on_action`` on a workflow that has ended:
``AttributeError: 'NoneType' object has no attribute 'on_action'``, the page shown LIVE to the first
approver but not live in the database, so the content API answers 404.

So every POST to a page's edit or workflow-action view runs in one transaction that first locks the
page's row: the second request waits, then starts from the committed state. A workflow action whose
workflow has ended meanwhile is refused with a message instead of re-saving a stale draft.

The other page writes (revert, unpublish, delete, move, lock, privacy, unscheduling a revision, converting
an alias) and Wagtail's bulk page actions (publish, unpublish, delete, move of ``?id=`` pages) take the
same locks, a bulk action every page's in id order (two bulk actions never wait for each other in a ring).
"""

from collections.abc import Callable

from django.contrib import messages
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from wagtail.models import Page

from shop.services.locks import lock_for_transaction

SERIALISED_VIEWS = frozenset({"wagtailadmin_pages:edit", "wagtailadmin_pages:workflow_action"})
# Other views that write one page, by the URL keyword naming it.
PAGE_WRITE_VIEWS = {
    **{name: "page_id" for name in SERIALISED_VIEWS},
    **{f"wagtailadmin_pages:{name}": "page_id" for name in (
        "revisions_revert", "revisions_unschedule", "unpublish", "delete", "lock", "unlock", "set_privacy",
        "convert_alias")},
    "wagtailadmin_pages:move_confirm": "page_to_move_id",
    "wagtailadmin_pages:set_page_position": "page_to_move_id",
}
BULK_ACTION_VIEW = "wagtail_bulk_action"


def pages_written_by(request: HttpRequest, view_name: str, view_kwargs: dict) -> list[int]:
    """The ids of the pages an admin POST writes, in lock order (ascending); [] for any other request."""
    if view_name in PAGE_WRITE_VIEWS:
        page_id = view_kwargs.get(PAGE_WRITE_VIEWS[view_name])
        return [int(page_id)] if page_id is not None else []
    if view_name == BULK_ACTION_VIEW and (view_kwargs.get("app_label"), view_kwargs.get("model_name")) == (
            "wagtailcore", "page"):
        return sorted({int(value) for value in request.GET.getlist("id") if value.isdigit()})
    return []


class SerialisedPageWritesMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_view(self, request: HttpRequest, view_func, view_args, view_kwargs):
        match = request.resolver_match
        if request.method != "POST" or match is None:
            return None
        page_ids = pages_written_by(request, match.view_name, view_kwargs)
        if not page_ids:
            return None
        with transaction.atomic():
            for page_id in page_ids:
                lock_for_transaction(f"wagtail-page-write:{page_id}")  # SQLite: one writer at a time anyway
            pages = list(Page.objects.select_for_update().filter(pk__in=page_ids).order_by("pk"))
            page = pages[0] if len(pages) == 1 else None
            if page is not None and match.view_name in SERIALISED_VIEWS \
                    and _workflow_already_ended(request, page, match.view_name):
                messages.warning(request, _("“%(title)s” has already been reviewed: its workflow has ended, "
                                            "so this action was not applied.") % {"title": page.title})
                return redirect("wagtailadmin_pages:edit", page.pk)
            return view_func(request, *view_args, **view_kwargs)


def _workflow_already_ended(request: HttpRequest, page: Page, view_name: str) -> bool:
    """A workflow action (approve, request changes) sent for a task that is no longer in progress."""
    if view_name == "wagtailadmin_pages:edit" and not request.POST.get("action-workflow-action"):
        return False
    return page.current_workflow_task is None
