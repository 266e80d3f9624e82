"""Shop domain events → reader rewards (connected in ``ReadersConfig.ready``, beside creators' handlers)."""

from readers.services.rewards import accrue_reward, reverse_reward_for_dispute, reverse_reward_for_refund


def on_order_paid(*, order, lines=None, **_payload) -> None:
    accrue_reward(order, lines=lines)  # with the lines the shop passes, an order no share led to costs no query


def on_order_refunded(*, order, refund=None, **_payload) -> None:
    if refund is not None:
        reverse_reward_for_refund(order, refund)


def on_order_chargeback(*, order, dispute_id, amount, **_payload) -> None:
    reverse_reward_for_dispute(order, dispute_id=dispute_id, amount=amount)  # a lost dispute; an open one holds


def connect_shop_events() -> None:
    from shop import events

    events.order_paid.connect(on_order_paid)
    events.order_refunded.connect(on_order_refunded)
    events.order_chargeback.connect(on_order_chargeback)
