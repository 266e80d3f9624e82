"""Creators connect their own Stripe account (Connect Express onboarding) from the admin."""

import pytest
from django.urls import reverse

from creators.models import CreatorProfile
from tests.factories import make_creator

pytestmark = pytest.mark.django_db
URL = "/admin/earnings/payout-account/"


def test_connecting_creates_one_account_stores_its_id_and_sends_the_creator_to_stripe(client, fake_connect):
    creator = make_creator("nia")
    client.force_login(creator.user)

    first = client.post(URL)
    creator.refresh_from_db()
    account_id = creator.stripe_account_id
    again = client.post(URL)

    assert account_id.startswith("acct_")
    assert first.status_code == again.status_code == 302
    assert first["Location"] == again["Location"] == f"https://connect.stripe.test/setup/{account_id}"
    assert CreatorProfile.objects.get(pk=creator.pk).stripe_account_id == account_id


def test_the_page_shows_the_connected_account_and_its_status(client, fake_connect):
    creator = make_creator("ola")
    creator.stripe_account_id = fake_connect.create_account()
    creator.save()
    client.force_login(creator.user)

    html = client.get(URL).content.decode()

    assert creator.stripe_account_id in html
    assert "Details submitted: <strong>no</strong>" in html
    assert "payouts enabled: <strong>yes</strong>" in html


def test_without_stripe_keys_connecting_is_refused_with_a_message_and_changes_nothing(client, settings):
    settings.STRIPE_SECRET_KEY = ""
    creator = make_creator("pia")
    client.force_login(creator.user)

    response = client.post(URL)

    assert response.status_code == 409
    assert "not set up" in response.content.decode()
    creator.refresh_from_db()
    assert creator.stripe_account_id == ""


def test_only_creators_have_a_payout_account_page(client, fake_connect):
    from tests.factories import make_user

    client.force_login(make_user("staffer", is_staff=True, is_superuser=True))

    response = client.post(URL)

    assert response.status_code in (302, 403)
    assert not CreatorProfile.objects.exclude(stripe_account_id="").exists()
    assert reverse("creators_payout_account") == URL
