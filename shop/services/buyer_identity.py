"""Who a buyer is, decided once: every per-buyer rule (quantity and deal limits, voucher limits, the
buyer lock, group-buy seats, new-buyers-only campaigns) counts orders by ``buyer_key``.

The e-mail is normalised first, so one person typing their address differently is still one buyer:

- surrounding spaces are dropped and the whole address is lower-cased;
- a ``+tag`` in the local part is dropped (``ada+shop@example.com`` is ``ada@example.com``); most
  providers deliver plus-addressed mail to the same inbox;
- at Gmail (``gmail.com`` and its alias ``googlemail.com``) dots in the local part are dropped, since
  Gmail ignores them, and the domain becomes ``gmail.com``.

The key is a keyed hash (HMAC-SHA256 under ``settings.BUYER_IDENTITY_KEY``) of the normalised address,
not the address itself: it is stored on each order (``Order.buyer_key``) so the limits keep working after
the buyer's e-mail is erased, and it reveals nothing without the key. Changing the key detaches every
past order from its buyer for the limits (``manage.py rekey_buyers`` is not provided: don't rotate it).
"""

from django.conf import settings
from django.db.models import Q
from django.utils.crypto import salted_hmac

_GMAIL_DOMAINS = {"gmail.com", "googlemail.com"}


def normalise_email(email: str) -> str:
    """The canonical form of ``email`` that identifies one buyer (see the module's rules)."""
    address = (email or "").strip().lower()
    local, at, domain = address.rpartition("@")
    if not at or not local:
        return address
    local = local.split("+", 1)[0] or local
    if domain in _GMAIL_DOMAINS:
        local, domain = local.replace(".", ""), "gmail.com"
    return f"{local}@{domain}"


def buyer_key(email: str) -> str:
    """The buyer's stable identity: 64 hex characters, the same for every spelling of one address."""
    secret = getattr(settings, "BUYER_IDENTITY_KEY", "") or settings.SECRET_KEY
    return salted_hmac("kolshop.buyer-identity", normalise_email(email), secret=secret,
                       algorithm="sha256").hexdigest()


def ordered_by(email: str = "", *, path: str = "order", key: str | None = None) -> Q:
    """Rows whose order was placed by the buyer ``email``; ``path`` leads from the rows to ``Order``
    (``""`` when the rows are orders). ``key``: that buyer's ``buyer_key`` when the caller computed it
    already (given instead of ``email``)."""
    field = f"{path}__buyer_key" if path else "buyer_key"
    return Q(**{field: buyer_key(email) if key is None else key})
