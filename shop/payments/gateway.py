"""The payment gateway interface checkout and refunds talk to; ``shop.payments.registry.get_gateway()``
picks one from settings.

A gateway never runs inside a database transaction that holds row locks: services commit first,
then call it.
"""

from abc import ABC, abstractmethod
from dataclasses import dataclass
from decimal import Decimal

# What a buyer reads when the gateway fails for any reason that isn't theirs to fix.
UNAVAILABLE_MESSAGE = "The payment service is unavailable; try again."


class PaymentGatewayError(Exception):
    """The gateway refused or could not be reached.

    ``message`` is safe to show a buyer (never a host, port, URL or key); ``provider_message`` is
    what the gateway answered when it did answer (e.g. "No such destination"), for staff screens;
    ``detail`` is the whole account, network errors included, for the server log only.
    """

    def __init__(self, message: str = UNAVAILABLE_MESSAGE, *, code: str = "gateway_error", detail: str = "",
                 provider_message: str = ""):
        super().__init__(message)
        self.message = message
        self.code = code
        self.detail = detail or message
        self.provider_message = provider_message


@dataclass(frozen=True)
class IntentResult:
    intent_id: str
    client_secret: str
    succeeded: bool


@dataclass(frozen=True)
class RefundResult:
    refund_id: str
    succeeded: bool


@dataclass(frozen=True)
class HoldResult:
    """A card hold (manual-capture intent). ``status``: "authorising" (the buyer must still confirm,
    with ``client_secret``), "held" (``amount_capturable`` reserved on the card until
    ``capture_before``, a Unix time) or "declined" (``message`` says why)."""

    intent_id: str
    client_secret: str
    status: str
    amount_capturable: int = 0
    capture_before: int | None = None
    message: str = ""


class PaymentGateway(ABC):
    name: str = ""
    publishable_key: str = ""
    # True when the gateway reports outcomes by webhook (Stripe); False when calls settle at once.
    sends_webhooks: bool = False
    # True when the server may confirm a payment itself (the dummy); Stripe's client confirms.
    confirms_on_server: bool = False

    @abstractmethod
    def create_intent(
        self, *, amount: Decimal, currency: str, reference: str, idempotency_key: str, metadata: dict[str, str]
    ) -> IntentResult: ...

    @abstractmethod
    def confirm_intent(self, intent_id: str, *, idempotency_key: str) -> IntentResult: ...

    @abstractmethod
    def cancel_intent(self, intent_id: str, *, idempotency_key: str) -> None: ...

    @abstractmethod
    def refund(
        self, intent_id: str, *, amount: Decimal, currency: str, idempotency_key: str, metadata: dict[str, str]
    ) -> RefundResult: ...


    # Card holds (group buy). Gateways that can't hold cards leave these unimplemented.
    def create_hold(self, *, amount: Decimal, currency: str, reference: str, idempotency_key: str,
                    metadata: dict[str, str], payment_method: str = "") -> HoldResult:
        raise NotImplementedError

    def capture_hold(self, intent_id: str, *, idempotency_key: str) -> int:
        """Capture the whole hold; returns the amount received in minor units."""
        raise NotImplementedError

    def cancel_hold(self, intent_id: str, *, idempotency_key: str, reason: str = "abandoned") -> None:
        """Release the hold (Stripe's ``cancellation_reason``); an already cancelled hold is no error."""
        raise NotImplementedError
