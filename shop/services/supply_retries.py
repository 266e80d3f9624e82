"""Staff's view of money to brands that is stuck: transfers failed or in flight, reversals still to recover.

``supply_attempts_to_watch`` is the one reader for the admin screen (``shop.supply_admin.supply_attempts``);
``retry_supply_attempt`` queues ``retry_supply_attempt_task`` for one row, which runs the same attempt the
scheduled job runs (``supply_settlement.pay_supply_transfer`` / ``supply_recovery.recover_supply_reversal``):
same idempotency key, same in-flight rule, so a retry now and the job at the same moment send once.
"""

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from django_tasks import task

from shop.errors import InvalidInput, NotFound
from shop.models import (
    Brand, SupplyReversalStatus, SupplyTransfer, SupplyTransferReversal, SupplyTransferStatus,
)
from shop.services.supply_recovery import recover_supply_reversal
from shop.services.supply_settlement import pay_supply_transfer

TRANSFER, REVERSAL = "transfer", "reversal"
# What staff watch: a transfer not yet paid after a try (failed, or in flight), a reversal not yet recovered.
WATCHED_STATUSES = {
    TRANSFER: [SupplyTransferStatus.FAILED, SupplyTransferStatus.SENDING],
    REVERSAL: [SupplyReversalStatus.TO_RECOVER, SupplyReversalStatus.RECOVERING],
}


@dataclass(frozen=True)
class AttemptRow:
    kind: str
    id: int
    status: str
    attempts: int
    failure_message: str
    order_number: str
    brand_id: int
    brand_name: str
    amount: Decimal
    currency: str
    updated_at: datetime


@dataclass(frozen=True)
class AttemptFilters:
    kind: str = ""
    status: str = ""
    brand_id: int | None = None
    order_number: str = ""

    @classmethod
    def from_query(cls, query) -> "AttemptFilters":
        """From a request's GET; unknown values are dropped (the screen then shows everything)."""
        kind = query.get("kind", "") if query.get("kind", "") in WATCHED_STATUSES else ""
        statuses = {status for kinds in WATCHED_STATUSES.values() for status in kinds}
        status = query.get("status", "") if query.get("status", "") in statuses else ""
        brand = query.get("brand", "")
        return cls(kind=kind, status=status, brand_id=int(brand) if brand.isdigit() else None,
                   order_number=query.get("order", "").strip()[:40])


def _filtered(rows, filters: AttemptFilters, *, kind: str, order_path: str, brand_path: str):
    rows = rows.filter(status__in=[filters.status] if filters.status else WATCHED_STATUSES[kind])
    if filters.brand_id is not None:
        rows = rows.filter(**{brand_path: filters.brand_id})
    if filters.order_number:
        rows = rows.filter(**{f"{order_path}__number__iexact": filters.order_number})
    return rows


def supply_attempts_to_watch(filters: AttemptFilters = AttemptFilters(), *, limit: int = 200) -> list[AttemptRow]:
    """Transfers and reversals being recovered or failed, most recently changed first; three queries."""
    rows: list[tuple] = []
    if filters.kind in ("", TRANSFER):
        transfers = _filtered(SupplyTransfer.objects.select_related("order"), filters, kind=TRANSFER,
                              order_path="order", brand_path="payee_id")
        rows += [(TRANSFER, row, row.order.number, row.payee_id) for row in transfers.order_by("-updated_at")[:limit]]
    if filters.kind in ("", REVERSAL):
        reversals = _filtered(SupplyTransferReversal.objects.select_related("transfer__order"), filters,
                              kind=REVERSAL, order_path="transfer__order", brand_path="transfer__payee_id")
        rows += [(REVERSAL, row, row.transfer.order.number, row.transfer.payee_id)
                 for row in reversals.order_by("-updated_at")[:limit]]
    names = dict(Brand.objects.filter(pk__in={brand_id for *_rest, brand_id in rows}).values_list("pk", "name"))
    found = [
        AttemptRow(kind=kind, id=row.pk, status=row.status, attempts=row.attempts, failure_message=row.failure_message,
                   order_number=number, brand_id=brand_id, brand_name=names.get(brand_id, ""), amount=row.amount,
                   currency=row.currency, updated_at=row.updated_at)
        for kind, row, number, brand_id in rows
    ]
    return sorted(found, key=lambda row: (row.updated_at, row.kind, row.id), reverse=True)[:limit]


def retry_supply_attempt(kind: str, row_id: int) -> None:
    """Queue one more attempt for one watched row (staff's "retry now"); 400/404 for anything else."""
    if kind not in WATCHED_STATUSES:
        raise InvalidInput("Choose a transfer or a reversal.", code="invalid_kind", field="kind")
    model = SupplyTransfer if kind == TRANSFER else SupplyTransferReversal
    if not model.objects.filter(pk=row_id, status__in=WATCHED_STATUSES[kind]).exists():
        raise NotFound("Nothing to retry: the row is not failed or being recovered.", code="not_found", field="id")
    retry_supply_attempt_task.enqueue(kind, row_id)


@task()
def retry_supply_attempt_task(kind: str, row_id: int) -> None:
    if kind == TRANSFER:
        pay_supply_transfer(row_id)
    elif kind == REVERSAL:
        recover_supply_reversal(row_id)
