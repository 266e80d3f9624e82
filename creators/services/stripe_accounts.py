"""Creators connect the Stripe account they are paid into (Stripe Connect Express onboarding).

The account is created once per creator (an idempotency key per creator) and its id stored at once,
so an interrupted onboarding resumes with the same account instead of making another.
"""

from dataclasses import dataclass

from django.conf import settings
from django.db import transaction

from creators.models import CreatorProfile
from shop.payments import stripe_api
from shop.payments.gateway import PaymentGatewayError


class PayoutAccountUnavailable(Exception):
    """Stripe is not configured here (e.g. the local demo): staff enter account ids by hand."""


@dataclass(frozen=True)
class PayoutAccount:
    account_id: str
    details_submitted: bool
    payouts_enabled: bool


def stripe_connect_configured() -> bool:
    return bool(settings.STRIPE_SECRET_KEY)


def start_payout_account_onboarding(creator: CreatorProfile, *, return_url: str, refresh_url: str) -> str:
    """Create the creator's connected account if they have none, and return Stripe's onboarding URL.

    Raises PayoutAccountUnavailable without Stripe keys, PaymentGatewayError when Stripe refuses.
    """
    if not stripe_connect_configured():
        raise PayoutAccountUnavailable("Stripe is not configured.")
    if not creator.stripe_account_id:
        account_id = stripe_api.create_connected_account(
            email=creator.user.email, idempotency_key=f"kolshop-creator-{creator.pk}-connect-account"
        )
        with transaction.atomic():
            locked = CreatorProfile.objects.select_for_update().get(pk=creator.pk)
            if not locked.stripe_account_id:
                locked.stripe_account_id = account_id
                locked.save(update_fields=["stripe_account_id"])
            creator.stripe_account_id = locked.stripe_account_id
    return stripe_api.create_account_onboarding_link(
        account_id=creator.stripe_account_id, refresh_url=refresh_url, return_url=return_url
    )


def payout_account_status(creator: CreatorProfile) -> PayoutAccount | None:
    """What Stripe says about the creator's account (None when none is connected or Stripe is off)."""
    if not creator.stripe_account_id or not stripe_connect_configured():
        return None
    try:
        status = stripe_api.retrieve_connected_account(creator.stripe_account_id)
    except PaymentGatewayError:
        return PayoutAccount(creator.stripe_account_id, details_submitted=False, payouts_enabled=False)
    return PayoutAccount(status.account_id, status.details_submitted, status.payouts_enabled)
