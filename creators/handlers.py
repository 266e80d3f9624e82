"""Shop domain events → creator services (connected in ``CreatorsConfig.ready``)."""

from creators.services.attribution import attribute_order
from creators.reports.rollup import mark_order_changed
from creators.services.ledger import accrue_commission, reverse_commission_for_dispute, reverse_commission_for_refund


def on_order_placed(*, order, **_payload) -> None:
    attribute_order(order)


def on_order_paid(*, order, **_payload) -> None:
    accrue_commission(order)
    mark_order_changed(order)


def on_order_refunded(*, order, refund=None, **_payload) -> None:
    if refund is not None:
        reverse_commission_for_refund(order, refund)
    mark_order_changed(order)  # a settled refund changes the day the order was paid


def on_order_disputed(*, order, **_payload) -> None:
    reverse_commission_for_dispute(order)
    mark_order_changed(order)


def on_order_cancelled(*, order, **_payload) -> None:
    mark_order_changed(order)


def connect_shop_events() -> None:
    from shop import events

    events.order_placed.connect(on_order_placed)
    events.order_paid.connect(on_order_paid)
    events.order_refunded.connect(on_order_refunded)
    events.order_disputed.connect(on_order_disputed)
    events.order_cancelled.connect(on_order_cancelled)
