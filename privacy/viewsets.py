"""Staff record data-subject requests (received by post, phone or a support ticket) and refuse them
with a reason; verification still goes through the e-mailed link. Model permissions of
``privacy.DataSubjectRequest`` decide who may (superusers unless given to a group)."""

from django import forms
from django.utils.translation import gettext_lazy as _
from wagtail.admin.forms import WagtailAdminModelForm
from wagtail.admin.views import generic
from wagtail.admin.viewsets.model import ModelViewSet

from privacy.models import DataSubjectRequest, RequestChannel
from privacy.services.requests import file_request, refuse_request


class RecordRequestForm(WagtailAdminModelForm):
    email = forms.EmailField(label=_("The person's e-mail"), help_text=_("The verification link goes here."))

    class Meta:
        model = DataSubjectRequest
        fields = ["kind", "email"]


class RefuseRequestForm(WagtailAdminModelForm):
    reason = forms.CharField(label=_("Reason for refusing"), widget=forms.Textarea, max_length=2000)

    class Meta:
        model = DataSubjectRequest
        fields = ["reason"]


class RecordRequestView(generic.CreateView):
    def save_instance(self):
        data = self.form.cleaned_data
        return file_request(email=data["email"], kind=data["kind"], channel=RequestChannel.STAFF,
                            recorded_by=self.request.user)


class RefuseRequestView(generic.EditView):
    def save_instance(self):
        return refuse_request(self.object, reason=self.form.cleaned_data["reason"], actor=self.request.user)


class DataSubjectRequestViewSet(ModelViewSet):
    model = DataSubjectRequest
    icon = "user"
    menu_label = _("Data requests")
    add_to_admin_menu = False
    add_to_settings_menu = True
    url_prefix = "privacy/requests"
    list_display = ["__str__", "channel", "due_at", "completed_at"]
    list_filter = ["status", "kind"]
    inspect_view_enabled = True
    inspect_view_fields = ["kind", "status", "channel", "reason", "created_at", "verified_at", "due_at",
                           "completed_at"]
    add_view_class = RecordRequestView
    edit_view_class = RefuseRequestView

    def get_form_class(self, for_update=False):
        return RefuseRequestForm if for_update else RecordRequestForm
