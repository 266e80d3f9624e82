"""Reader accounts without passwords: a reader is a verified e-mail address, nothing more.

A reader proves the address by a one-time link or a 6-digit code mailed to it (``SignInToken``; both
stored only as hashes). ``session_version`` is copied into each signed-in session: raising it signs the
reader out on every device at once. Orders are never copied here: a reader's orders are those placed
with the same buyer identity (``shop.services.orders.buyer_key``), found when asked.
"""

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class Reader(models.Model):
    email = models.EmailField(help_text=_("The address as the reader last verified it (mail goes here)."))
    buyer_key = models.CharField(
        max_length=254, unique=True, editable=False,
        help_text=_("shop.services.orders.buyer_key of the e-mail: one reader per buyer identity."),
    )
    session_version = models.PositiveIntegerField(
        default=1, help_text=_("Raised by 'sign out everywhere': older sessions stop working."))
    verified_at = models.DateTimeField()
    created_at = models.DateTimeField(auto_now_add=True)

    wagtail_reference_index_ignore = True

    class Meta:
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return f"Reader {self.pk}"


class SignInToken(models.Model):
    """One mailed sign-in: its link token and its code, hashed; expiring, used once."""

    buyer_key = models.CharField(max_length=254, db_index=True, editable=False)
    email = models.EmailField(help_text=_("The address the sign-in was mailed to."))
    link_hash = models.CharField(max_length=64, unique=True, editable=False)
    code_hash = models.CharField(max_length=64, editable=False)
    failed_attempts = models.PositiveSmallIntegerField(default=0)
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField()

    wagtail_reference_index_ignore = True

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["buyer_key", "expires_at"], name="reader_signin_key_expiry_idx")]
        constraints = [
            models.CheckConstraint(condition=Q(expires_at__gt=models.F("created_at")),
                                   name="reader_signin_expires_after_created"),
        ]

    def __str__(self) -> str:
        return f"Sign-in {self.pk}"
