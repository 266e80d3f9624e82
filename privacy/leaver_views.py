"""Staff close a leaver's account from Settings → Users: a confirmation page, then
``privacy.services.leavers.anonymise_leaver``. Who may: ``leavers.may_anonymise`` (Privacy officers and
superusers); anyone else is sent back to the dashboard, as Wagtail does."""

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods
from wagtail.admin.auth import permission_denied

from privacy.services.leavers import anonymise_leaver, may_anonymise


@require_http_methods(["GET", "POST"])
def anonymise_leaver_view(request: HttpRequest, user_id: int) -> HttpResponse:
    user = get_object_or_404(get_user_model(), pk=user_id)
    if not may_anonymise(request.user, user):
        return permission_denied(request)
    if request.method == "POST":
        done = anonymise_leaver(user)
        message = _("User %(id)s anonymised; their ledger rows stay.") if done else _(
            "User %(id)s was already anonymised.")
        messages.success(request, message % {"id": user.pk})
        return redirect("wagtailusers_users:index")
    return TemplateResponse(request, "privacy/anonymise_leaver.html", {
        "page_title": _("Anonymise a leaver"), "header_icon": "user", "target": user,
        "is_creator": hasattr(user, "creator_profile"), "action_url": reverse("privacy_anonymise_leaver", args=[user.pk]),
        "cancel_url": reverse("wagtailusers_users:index"),
    })
