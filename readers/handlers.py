"""Shop domain events → reader rewards (connected in ``ReadersConfig.ready``, beside creators' handlers)."""

from readers.services.rewards import accrue_reward, reverse_reward_for_dispute, reverse_reward_for_refund


def on_order_paid(*, order, lines=None, **_payload) -> None:
    accrue_reward(order, lines=lines)  # with the lines the shop passes, an order no share led to costs no query


def on_order_refunded(*, order, refund=None, **_payload) -> None:
    if refund is not None:
        reverse_reward_for_refund(order, refund)


def on_order_disputed(*, order, **_payload) -> None:
    reverse_reward_for_dispute(order)


def connect_shop_events() -> None:
    from shop import events

    events.order_paid.connect(on_order_paid)
    events.order_refunded.connect(on_order_refunded)
    events.order_disputed.connect(on_order_disputed)
