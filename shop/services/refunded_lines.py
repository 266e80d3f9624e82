"""What settled refunds took of each order line: units and amount, the one count every reader of refunds per line
uses (a reward voucher's discount given back, the ledgers' "what earlier refunds already took")."""

from collections.abc import Iterable
from decimal import Decimal
from typing import NamedTuple

from django.db.models import Sum

from shop.models import RefundLine, RefundStatus


class Refunded(NamedTuple):
    units: int
    amount: Decimal


def refunded_by_line(order_id: int, *, refund_ids: Iterable[int] | None = None) -> dict[int, Refunded]:
    """{order line id: (units, amount)} the order's succeeded refunds took of its lines, or only these refunds'
    when ``refund_ids`` is given. A pending or failed refund took nothing; a refund of no line (a duplicate
    payment given back) takes nothing of any line. One query."""
    lines = RefundLine.objects.filter(refund__order_id=order_id, refund__status=RefundStatus.SUCCEEDED)
    if refund_ids is not None:
        lines = lines.filter(refund_id__in=sorted(set(refund_ids)))
    rows = (lines.order_by().values("order_line_id").annotate(units=Sum("quantity"), amount=Sum("amount"))
            .values_list("order_line_id", "units", "amount"))
    return {line_id: Refunded(units, amount) for line_id, units, amount in rows}
