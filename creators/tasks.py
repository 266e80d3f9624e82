"""Background work for revenue share (Django's tasks API through django-tasks).

The scheduler (``KOLSHOP_SCHEDULE``) enqueues ``lock_matured_commissions_task`` daily: commission
of lines paid more than ``KOLSHOP_COMMISSION_RETURN_WINDOW_DAYS`` ago moves from pending to locked;
and ``run_payouts_task`` weekly. The management commands of the same names run them by hand.
"""

from django_tasks import task

from creators.services.click_drain import drain_all_clicks
from creators.services.ledger import lock_matured_commissions
from creators.services.payouts import run_payouts


@task()
def lock_matured_commissions_task() -> int:
    return lock_matured_commissions()


@task()
def run_payouts_task() -> int:
    """Pay every connected creator whose locked balance reaches the threshold; returns the run's id."""
    return run_payouts().pk


@task()
def drain_clicks_task() -> int:
    """Write every queued click (``click_queue``), reclaiming batches of drainers that died a minute
    ago; a safety net beside the `clicks` process, which drains as clicks arrive. Returns the count."""
    return drain_all_clicks(reclaim_idle_ms=60_000)
