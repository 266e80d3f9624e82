"""Passwordless sign-in: a mailed link or code, stored hashed, expiring, single-use and rate-limited."""

from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone

from readers.models import Reader, SignInToken
from readers.services.sign_in import request_sign_in, sign_in_with_code, sign_in_with_link
from shop.errors import NotFound
from tests.readers.helpers import mailed_sign_in, post_json

pytestmark = pytest.mark.django_db


def test_asking_mails_a_link_and_a_code_and_stores_only_their_hashes(ask):
    response = ask("Ada@Example.com")

    assert response.status_code == 202
    assert response.json() == {"sent": True}
    assert [message.to for message in mail.outbox] == [["Ada@Example.com"]]
    token, code = mailed_sign_in("Ada@Example.com")
    stored = SignInToken.objects.get()
    assert token not in stored.link_hash and code not in stored.code_hash
    assert len(stored.link_hash) == len(stored.code_hash) == 64
    assert stored.expires_at - stored.created_at == timedelta(minutes=15)
    assert Reader.objects.count() == 0  # nothing verified yet


def test_the_link_signs_in_once(client, ask):
    ask("ada@example.com")
    token, _ = mailed_sign_in("ada@example.com")

    first = post_json(client, "/api/v1/account/sign-in/link", {"token": token})
    second = post_json(client, "/api/v1/account/sign-in/link", {"token": token})

    assert first.status_code == 200
    assert first.json()["email"] == "ada@example.com"
    assert second.status_code == 404
    assert second.json() == {"code": "sign_in_invalid", "field": None,
                             "message": "This sign-in link or code has expired or was already used."}
    assert Reader.objects.count() == 1


def test_the_code_and_the_link_are_one_sign_in(client, ask):
    ask("ada@example.com")
    token, code = mailed_sign_in("ada@example.com")

    assert post_json(client, "/api/v1/account/sign-in/code", {"email": "ada@example.com", "code": code}).status_code == 200
    assert post_json(client, "/api/v1/account/sign-in/link", {"token": token}).status_code == 404


def test_an_expired_link_or_code_is_refused():
    asked_at = timezone.now() - timedelta(minutes=16)
    with pytest.MonkeyPatch.context() as patch:
        sent = []
        patch.setattr("readers.services.sign_in.transaction.on_commit", lambda send: sent.append(send))
        request_sign_in("ada@example.com", now=asked_at)
        sent[0]()
    token, code = mailed_sign_in("ada@example.com")

    with pytest.raises(NotFound):
        sign_in_with_link(token)
    with pytest.raises(NotFound):
        sign_in_with_code("ada@example.com", code)
    # Still within its 15 minutes, it would have worked:
    assert sign_in_with_link(token, now=asked_at + timedelta(minutes=14)).email == "ada@example.com"


def test_the_code_matches_the_normalised_address_only(client, ask):
    ask("Ada@Example.com")
    _, code = mailed_sign_in("Ada@Example.com")

    other = post_json(client, "/api/v1/account/sign-in/code", {"email": "bob@example.com", "code": code})
    same_buyer = post_json(client, "/api/v1/account/sign-in/code", {"email": " ada@EXAMPLE.com ", "code": code})

    assert other.status_code == 404
    assert same_buyer.status_code == 200
    assert Reader.objects.get().email == "Ada@Example.com"


def test_wrong_codes_void_the_sign_in_after_the_allowed_attempts(client, ask):
    ask("ada@example.com")
    _, code = mailed_sign_in("ada@example.com")
    wrong = f"{(int(code) + 1) % 10**6:06d}"

    statuses = [post_json(client, "/api/v1/account/sign-in/code", {"email": "ada@example.com", "code": wrong}).status_code
                for _ in range(5)]
    right = post_json(client, "/api/v1/account/sign-in/code", {"email": "ada@example.com", "code": code})

    assert statuses == [404] * 5
    assert right.status_code == 404
    assert SignInToken.objects.get().failed_attempts == 5


def test_bad_input_is_a_400_and_mails_nothing(client, ask):
    bad_email = ask("not-an-address")
    bad_code = post_json(client, "/api/v1/account/sign-in/code", {"email": "ada@example.com", "code": "12ab"})

    assert (bad_email.status_code, bad_email.json()["code"], bad_email.json()["field"]) == (400, "invalid_email", "email")
    assert (bad_code.status_code, bad_code.json()["code"], bad_code.json()["field"]) == (400, "invalid_code", "code")
    assert mail.outbox == [] and SignInToken.objects.count() == 0


def test_asking_is_limited_per_address_whoever_asks(client, ask, shop_settings):
    shop_settings.KOLSHOP_RATE_LIMITS = {**shop_settings.KOLSHOP_RATE_LIMITS, "reader_sign_in": "100/h",
                                         "reader_sign_in_email": "3/h"}
    statuses = [ask("ADA+shop@example.com" if n % 2 else "ada+shop@example.com",
                    through=client.__class__(REMOTE_ADDR=f"198.51.100.{n}")).status_code for n in range(4)]
    other = ask("bob@example.com")

    assert statuses == [202, 202, 202, 429]
    assert other.status_code == 202
    assert len(mail.outbox) == 4


def test_asking_is_limited_per_client(ask, shop_settings):
    shop_settings.KOLSHOP_RATE_LIMITS = {**shop_settings.KOLSHOP_RATE_LIMITS, "reader_sign_in": "2/h",
                                         "reader_sign_in_email": "100/h"}
    statuses = [ask(f"reader{n}@example.com").status_code for n in range(3)]

    assert statuses == [202, 202, 429]
    assert len(mail.outbox) == 2


def test_guessing_codes_is_limited_per_address(client, ask, shop_settings):
    shop_settings.KOLSHOP_RATE_LIMITS = {**shop_settings.KOLSHOP_RATE_LIMITS, "reader_code": "100/h",
                                         "reader_code_email": "2/h"}
    ask("ada@example.com")
    _, code = mailed_sign_in("ada@example.com")
    guesses = [post_json(client.__class__(REMOTE_ADDR=f"198.51.100.{n}"), "/api/v1/account/sign-in/code",
                         {"email": "ada@example.com", "code": "000000" if code != "000000" else "000001"}).status_code
               for n in range(2)]
    right = post_json(client, "/api/v1/account/sign-in/code", {"email": "ada@example.com", "code": code})

    assert guesses == [404, 404]
    assert right.status_code == 429
    assert int(right["Retry-After"]) >= 1
