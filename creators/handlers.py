"""Shop domain events → creator services (connected in ``CreatorsConfig.ready``)."""

from creators.services.attribution import attribute_placed_order
from creators.reports.rollup import mark_order_changed
from creators.services.ledger import accrue_commission, reverse_commission_for_dispute, reverse_commission_for_refund
from creators.services.links import record_buy_link_click


def on_order_placed(*, order, lines=None, **_payload) -> None:
    attribute_placed_order(order=order, lines=lines)


def on_order_paid(*, order, lines=None, **_payload) -> None:
    accrue_commission(order, locked_lines=lines)
    mark_order_changed(order)


def on_order_refunded(*, order, refund=None, **_payload) -> None:
    if refund is not None:
        reverse_commission_for_refund(order, refund)
    mark_order_changed(order)  # a settled refund changes the day the order was paid


def on_order_disputed(*, order, **_payload) -> None:
    mark_order_changed(order)  # nothing is reversed while a dispute is open: the earnings are held (ledger)


def on_order_chargeback(*, order, dispute_id, amount, **_payload) -> None:
    reverse_commission_for_dispute(order, dispute_id=dispute_id, amount=amount)
    mark_order_changed(order)


def on_order_cancelled(*, order, **_payload) -> None:
    mark_order_changed(order)


def on_buy_link_followed(*, creator_id, page_id, block_id, product_id, ip, user_agent, referrer="",
                         **_payload) -> int | None:
    click = record_buy_link_click(creator_id=creator_id, page_id=page_id, block_id=block_id, product_id=product_id,
                                  ip=ip, user_agent=user_agent, referrer=referrer)
    return click.pk if click is not None else None


def connect_shop_events() -> None:
    from shop import events

    events.order_placed.connect(on_order_placed)
    events.order_paid.connect(on_order_paid)
    events.order_refunded.connect(on_order_refunded)
    events.order_disputed.connect(on_order_disputed)
    events.order_chargeback.connect(on_order_chargeback)
    events.buy_link_followed.connect(on_buy_link_followed)
    events.order_cancelled.connect(on_order_cancelled)
