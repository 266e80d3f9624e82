"""``shop 0023_disputes2`` over a database as it was before: refunds without split rows get them by the rule
every refund uses, counting a lost dispute's split recorded between them, and each payment's disputes become
``Dispute`` rows (open, closed or lost as the old columns and splits said). Migrations run on PostgreSQL only
(SQLite can't alter tables inside the test's transaction)."""

from decimal import Decimal

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from shop.models import Dispute, SupplyLineSplit
from shop.payments.webhooks import handle_event
from shop.services.refunds import refund_order
from tests.creators.helpers import LOST, dispute_event

pytestmark = [pytest.mark.postgres, pytest.mark.django_db]

BEFORE = [("shop", "0022_partition")]


def split_rows(model) -> list[tuple]:
    return sorted(model.objects.values_list("order_line_id", "source_ref", "amount", "wholesale_part", "margin_part",
                                            "fee_part", "currency"))


def test_the_migration_backfills_refund_splits_around_a_lost_dispute_and_keeps_each_dispute(two_brand_order):
    order, _, _, line_a, line_b = two_brand_order
    first = refund_order(order, quantities={line_a.pk: 1})
    for number, (event_type, status) in enumerate(LOST):
        handle_event(dispute_event(order, event_type=event_type, event_id=f"evt_{number}", amount=3001,
                                   status=status, dispute_id="du_1"))
    second = refund_order(order, quantities={line_a.pk: 1, line_b.pk: 1})
    truth = split_rows(SupplyLineSplit)
    with connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # the rows committed, as on a live database

    executor = MigrationExecutor(connection)
    executor.migrate(BEFORE)
    old = executor.loader.project_state(BEFORE).apps
    old_splits = old.get_model("shop", "SupplyLineSplit")
    old_splits.objects.filter(source_ref__startswith="refund:").delete()  # as before refunds were split
    assert old.get_model("shop", "Payment").objects.get(order_id=order.pk).dispute_closed_at is not None
    assert split_rows(old_splits) == [row for row in truth if row[1] == "dispute:du_1"]

    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())

    # 30.01 disputed after one A came back, over what A (48.02), B (39.99) and the shipping (5.00) still held:
    # 15.50 and 12.90. B's later refund splits what the dispute left of it (27.09), not its 39.99 (the old
    # backfill's answer, which counted refunds only).
    assert truth == [
        (line_a.pk, "dispute:du_1", Decimal("15.50"), Decimal("6.46"), Decimal("8.27"), Decimal("0.77"), "USD"),
        (line_a.pk, f"refund:{first.pk}", Decimal("24.01"), Decimal("10.00"), Decimal("12.81"), Decimal("1.20"), "USD"),
        (line_a.pk, f"refund:{second.pk}", Decimal("24.01"), Decimal("10.00"), Decimal("12.81"), Decimal("1.20"),
         "USD"),
        (line_b.pk, "dispute:du_1", Decimal("12.90"), Decimal("5.81"), Decimal("6.45"), Decimal("0.64"), "USD"),
        (line_b.pk, f"refund:{second.pk}", Decimal("27.09"), Decimal("12.19"), Decimal("13.54"), Decimal("1.36"),
         "USD"),
    ]
    assert split_rows(SupplyLineSplit) == truth
    dispute = Dispute.objects.get()
    assert (dispute.gateway_dispute_id, dispute.status, dispute.amount) == ("du_1", "lost", Decimal("30.01"))
    assert dispute.closed_at is not None and dispute.lost_at == dispute.closed_at

    executor = MigrationExecutor(connection)
    executor.migrate(BEFORE)
    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())  # again: nothing more is written
    assert split_rows(SupplyLineSplit) == truth
