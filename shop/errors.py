"""Domain errors: what went wrong, in the domain's words, with no HTTP in it.

Services (in any app) raise these; each edge maps them once:
* the commerce and content APIs: ``shop.api_edge.domain_error_status`` turns the kind into an HTTP
  status (``DOMAIN_ERROR_STATUS``), the body is ``{"code", "message", "field"}`` (``as_body``);
* the reader site and admin views: ``message`` as an error message (``django.contrib.messages``);
* management commands: ``CommandError(message)`` (``shop.management.base.DomainErrorCommand``).

``code`` is the stable, machine-readable reason a client switches on (``out_of_stock``,
``price_changed``, ...); ``kind`` is the family the edge maps to a status. ``field`` names the input
at fault, dotted (``lines.0.quantity``), or None.
"""

from __future__ import annotations


class DomainError(Exception):
    """Base of every domain error. Subclass by kind; never instantiate a status here."""

    kind = "invalid"
    default_code = "invalid"

    def __init__(self, message: str, *, code: str | None = None, field: str | None = None):
        super().__init__(message)
        self.message = message
        self.code = code or self.default_code
        self.field = field

    def as_body(self) -> dict:
        return {"code": self.code, "message": self.message, "field": self.field}

    def __repr__(self) -> str:  # pragma: no cover - debugging aid
        return f"{type(self).__name__}(code={self.code!r}, message={self.message!r}, field={self.field!r})"


class InvalidInput(DomainError):
    """The request itself is wrong (a value out of range, an unknown option)."""

    kind = "invalid"
    default_code = "invalid"


class NotFound(DomainError):
    """The thing asked for does not exist, or is not the caller's to see."""

    kind = "not_found"
    default_code = "not_found"

    def __init__(self, message: str = "Not found.", *, code: str | None = None, field: str | None = None):
        super().__init__(message, code=code, field=field)


class NotAuthenticated(DomainError):
    """The caller must first say who they are (sign in, present a token)."""

    kind = "not_authenticated"
    default_code = "not_authenticated"


class PermissionDenied(DomainError):
    """The caller is known but may not do this."""

    kind = "forbidden"
    default_code = "permission_denied"


class Conflict(DomainError):
    """The request was fine but the state of things refuses it (sold out, price changed, already paid)."""

    kind = "conflict"
    default_code = "conflict"


class PaymentFailed(DomainError):
    """The payment provider declined (card declined, authentication failed)."""

    kind = "payment_failed"
    default_code = "payment_failed"


class Unavailable(DomainError):
    """A service we depend on (Stripe, S3, Redis) could not be reached or refused the call."""

    kind = "unavailable"
    default_code = "unavailable"


class NotConfigured(DomainError):
    """This installation has not set up what the call needs (no S3 bucket, no payment keys)."""

    kind = "not_configured"
    default_code = "not_configured"


class RateLimited(DomainError):
    """Too many attempts; try again after ``retry_after`` seconds."""

    kind = "rate_limited"
    default_code = "rate_limited"

    def __init__(self, message: str = "Too many requests.", *, retry_after: int = 60,
                 code: str | None = None, field: str | None = None):
        super().__init__(message, code=code, field=field)
        self.retry_after = retry_after
