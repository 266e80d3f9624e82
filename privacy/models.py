"""Data-subject requests (GDPR Art. 15/17/20, PIPL Art. 45/47): export or erase, verified by e-mail.

The e-mail is kept only while the request is open (to send the link and re-run a deferred erasure);
once done or refused only ``subject_key`` (the keyed hash of the normalised e-mail) remains.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class RequestKind(models.TextChoices):
    EXPORT = "export", _("Export my data")
    ERASE = "erase", _("Erase my data")


class RequestStatus(models.TextChoices):
    RECEIVED = "received", _("Received (waiting for e-mail verification)")
    VERIFIED = "verified", _("Verified")
    DEFERRED = "deferred", _("Deferred")
    DONE = "done", _("Done")
    REFUSED = "refused", _("Refused")


class RequestChannel(models.TextChoices):
    API = "api", _("Filed through the API")
    READER = "reader", _("Filed by a signed-in reader")
    STAFF = "staff", _("Recorded by staff")


CLOSED_STATUSES = (RequestStatus.DONE, RequestStatus.REFUSED)


class DataSubjectRequest(models.Model):
    kind = models.CharField(max_length=10, choices=RequestKind)
    status = models.CharField(max_length=10, choices=RequestStatus, default=RequestStatus.RECEIVED)
    channel = models.CharField(max_length=10, choices=RequestChannel)
    email = models.EmailField(blank=True, help_text=_("Blanked once the request is done or refused."))
    subject_key = models.CharField(max_length=64, db_index=True,
                                   help_text=_("Keyed hash of the normalised e-mail (shop.services.buyer_identity)."))
    reason = models.TextField(blank=True, help_text=_("Why the request was deferred or refused."))
    token_hash = models.CharField(max_length=64, blank=True, editable=False)
    token_expires_at = models.DateTimeField(null=True, blank=True, editable=False)
    verified_at = models.DateTimeField(null=True, blank=True)
    due_at = models.DateTimeField(help_text=_("30 days after the request was received."))
    completed_at = models.DateTimeField(null=True, blank=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                    related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    wagtail_reference_index_ignore = True

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("data-subject request")
        # Staff who may close a leaver's account (privacy.views.AnonymiseLeaverView); the Privacy officers
        # group gets it on migrate (privacy.roles).
        permissions = [("anonymise_leaver", "Can anonymise a creator, brand user or staff member who left")]
        constraints = [
            models.CheckConstraint(condition=~Q(status__in=CLOSED_STATUSES) | Q(email=""),
                                   name="privacy_request_closed_holds_no_email"),
            models.CheckConstraint(condition=~Q(status="refused") | ~Q(reason=""),
                                   name="privacy_request_refusal_has_reason"),
            models.UniqueConstraint(fields=["token_hash"], condition=~Q(token_hash=""),
                                    name="privacy_request_token_unique"),
        ]
        indexes = [models.Index(fields=["status", "due_at"], name="privacy_request_status_due_idx")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} #{self.pk} ({self.get_status_display()})"
