"""Background work for the shop (Django's tasks API through django-tasks).

``release_expired_reservations_task`` is a scheduled job (``KOLSHOP_SCHEDULE``, every minute):
expired holds stop counting at once anyway (every availability query filters on expiry); the sweep
cancels the pending orders whose hold ran out and drops the rows. ``manage.py
release_expired_reservations`` runs the same sweep by hand.

``retry_refund_task`` tries a failed automatic refund again, with backoff; it is defined beside the code
that queues it (``shop.services.automatic_refunds``) and listed here with the shop's other tasks.
"""

from django_tasks import task

from shop.services.automatic_refunds import retry_refund_task  # noqa: F401 - the shop's tasks, in one list
from shop.services.expiry import release_expired_reservations
from shop.services.group_holds import expire_teams
from shop.services.notifications import send_order_email_task  # noqa: F401 - the shop's tasks, in one list
from shop.services.supply_recovery import retry_supply_reversals
from shop.services.supply_retries import retry_supply_attempt_task  # noqa: F401 - staff's "retry now", one row
from shop.services.supply_settlement import retry_supply_transfers


@task()
def release_expired_reservations_task() -> int:
    return release_expired_reservations()


@task()
def expire_group_teams_task() -> int:
    """Group-buy teams past their deadline: expire them and release every card hold (every minute)."""
    return expire_teams()


@task()
def retry_supply_transfers_task() -> int:
    """Brand payables whose transfer failed or never ran: again, each under its first idempotency key, then
    money to recover from brands by transfer reversals, each under its own (every 15 minutes); returns how
    many were tried."""
    return len(retry_supply_transfers()) + len(retry_supply_reversals())
