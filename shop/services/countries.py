"""Country names for readers: checkout, e-mails and the order page show names, never ISO codes."""

from django_countries import countries


def country_name(code: str) -> str:
    """``"DE"`` → ``"Germany"``; an unknown or blank code is returned as it is."""
    return countries.name(code.upper()) or code if code else ""
