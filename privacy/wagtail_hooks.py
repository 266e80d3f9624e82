from django.urls import path, reverse
from django.utils.translation import gettext_lazy as _
from wagtail import hooks
from wagtail.admin.widgets.button import Button

from privacy.leaver_views import anonymise_leaver_view
from privacy.services.leavers import may_anonymise
from privacy.viewsets import DataSubjectRequestViewSet


@hooks.register("register_admin_viewset")
def register_data_subject_requests():
    return DataSubjectRequestViewSet("privacy_requests")


@hooks.register("register_admin_urls")
def register_leaver_urls():
    return [path("privacy/leavers/<int:user_id>/anonymise/", anonymise_leaver_view, name="privacy_anonymise_leaver")]


@hooks.register("register_user_listing_buttons")
def anonymise_leaver_button(user, request_user):
    if user.is_active and may_anonymise(request_user, user):
        yield Button(_("Anonymise leaver"), url=reverse("privacy_anonymise_leaver", args=[user.pk]),
                     icon_name="user", priority=90)
