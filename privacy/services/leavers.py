"""Creators and brand users who leave: their account and public profile are anonymised the way a
buyer's orders are (names, contact details and free text blanked, ids kept), while every ledger,
payout and commission row stays exactly as it was (trade and tax records)."""

from datetime import datetime

import structlog
from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.utils import timezone

from creators.models import CreatorProfile, CreatorSocialLink
from shop.models import BrandMembership

log = structlog.get_logger(__name__)


@transaction.atomic
def anonymise_leaver(user: AbstractBaseUser, *, now: datetime | None = None) -> bool:
    """Close ``user``'s account and blank what identifies them; False when already done (idempotent)."""
    now = now or timezone.now()
    former = f"former-{user.pk}"
    if user.get_username() == former and not user.is_active:
        return False
    user.username, user.email, user.first_name, user.last_name = former, "", "", ""
    user.is_active = False
    user.set_unusable_password()
    user.save()
    BrandMembership.objects.filter(user=user).delete()
    profile = CreatorProfile.objects.filter(user=user).first()
    if profile is not None:
        CreatorSocialLink.objects.filter(creator=profile).delete()
        CreatorProfile.objects.filter(pk=profile.pk).update(
            display_name=f"Former creator {profile.pk}", handle=f"former-{profile.pk}", bio="", avatar=None)
    if hasattr(user, "wagtail_userprofile"):
        user.wagtail_userprofile.avatar = None
        user.wagtail_userprofile.save(update_fields=["avatar"])
    log.info("leaver anonymised", user_id=user.pk, creator=profile is not None)
    return True
