"""Domain events the shop announces to apps that build on it (creators: commissions and clawbacks).

The shop may not import those apps, so they register handlers here from their AppConfig.ready():

    from shop import events
    events.order_paid.connect(accrue_commission_for_order)

Handlers run synchronously inside the caller's transaction (so a failure rolls the whole change
back) and must be idempotent: webhooks retry, and the shop may announce the same fact twice.
"""

from collections.abc import Callable
from dataclasses import dataclass, field


@dataclass
class DomainEvent:
    name: str
    handlers: list[Callable] = field(default_factory=list)

    def connect(self, handler: Callable) -> Callable:
        if handler not in self.handlers:
            self.handlers.append(handler)
        return handler

    def disconnect(self, handler: Callable) -> None:
        if handler in self.handlers:
            self.handlers.remove(handler)

    def send(self, **payload) -> list:
        """Run every handler; returns their results in order (for events that ask, like buy_link_followed)."""
        return [handler(**payload) for handler in list(self.handlers)]


# order=Order, lines=[OrderLine] — the order's payment succeeded (sent once per order); ``order`` is locked
# by the sender and ``lines`` are its lines read under that lock, so handlers need not lock or read again.
order_paid = DomainEvent("order_paid")
# order=Order, refund=<the refund record> — money went back to the buyer (full or partial, per line).
order_refunded = DomainEvent("order_refunded")
# order=Order — a dispute of the payment opened (once per Stripe dispute; a payment may have several): nothing is
# taken back yet (see order_chargeback); the order is held while any is open (shop.services.disputes).
order_disputed = DomainEvent("order_disputed")
# order=Order, dispute_id=str, amount=Decimal — a dispute was lost: ``amount`` of the payment is gone for good
# (never on funds withdrawn, which a won dispute undoes); sent once per dispute when its row becomes lost (handlers
# stay idempotent per dispute; the split of what it took is recorded once, ``supply_splits.dispute_splits``).
order_chargeback = DomainEvent("order_chargeback")
# order=Order — the order was cancelled before payment.
order_cancelled = DomainEvent("order_cancelled")
# order=Order, lines=[OrderLine] — the order was placed (lines written, before payment; ``lines`` are
# the rows just written, so handlers need not read them again); apps record who sold each line.
order_placed = DomainEvent("order_placed")
# creator_id, page_id, block_id, sku, product_id, ip, user_agent, referrer — a reader followed a buy
# link carrying a token without a click; a handler records the click (bots: none) and returns its id.
buy_link_followed = DomainEvent("buy_link_followed")
# product_ids=set[int] — what readers are shown about these products changed (fields, brand, images,
# attributes, variants, prices, deals, stock); sent by ``shop.services.cache_versions.touch_products``
# after the change (stock changes: after commit). Content forgets the cached pages that show them.
catalog_changed = DomainEvent("catalog_changed")
# listing_ids=list[int], reason=str — a brand's change to a supply offer put these storefront listings
# out of bounds and paused them (sent inside the change's transaction); creators tell each creator.
listings_paused = DomainEvent("listings_paused")
