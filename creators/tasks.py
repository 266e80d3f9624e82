"""Background work for revenue share (Django's tasks API through django-tasks).

Run ``lock_matured_commissions_task`` daily (a scheduler enqueues it, or
``manage.py lock_commissions`` from cron): commission of lines paid more than
``KOLSHOP_COMMISSION_RETURN_WINDOW_DAYS`` ago moves from pending to locked.
"""

from django_tasks import task

from creators.services.ledger import lock_matured_commissions


@task()
def lock_matured_commissions_task() -> int:
    return lock_matured_commissions()
