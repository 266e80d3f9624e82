"""Domain errors (shop/errors.py) know no HTTP; each edge maps them once: the APIs to a status and
``{code, message, field}``, management commands to ``CommandError``."""

import inspect

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from shop import errors
from shop.api_edge import DOMAIN_ERROR_STATUS, domain_error_headers, domain_error_status


def test_every_domain_error_kind_has_exactly_one_http_status():
    kinds = {cls.kind for _, cls in inspect.getmembers(errors, inspect.isclass) if issubclass(cls, errors.DomainError)}

    assert DOMAIN_ERROR_STATUS == {
        "invalid": 400, "not_authenticated": 401, "forbidden": 403, "not_found": 404, "conflict": 409,
        "payment_failed": 402, "rate_limited": 429, "unavailable": 502, "not_configured": 503,
    }
    assert kinds == set(DOMAIN_ERROR_STATUS)


def test_a_rate_limited_error_tells_the_client_when_to_retry():
    limited = errors.RateLimited("Slow down.", retry_after=42)

    assert (domain_error_status(limited), domain_error_headers(limited)) == (429, {"Retry-After": "42"})
    assert domain_error_headers(errors.Conflict("Sold out.", code="insufficient_stock")) == {}


def test_a_command_ends_with_the_domain_errors_message(monkeypatch):
    def refuse():
        raise errors.Unavailable("Stripe could not be reached.", code="payment_unavailable")

    monkeypatch.setattr("shop.management.commands.retry_failed_refunds.retry_failed_refunds", refuse)

    with pytest.raises(CommandError) as failed:
        call_command("retry_failed_refunds")

    assert str(failed.value) == "Stripe could not be reached. (payment_unavailable)"
