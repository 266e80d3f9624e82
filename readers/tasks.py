"""Background work for readers' rewards: the scheduler (``KOLSHOP_SCHEDULE``) enqueues
``lock_matured_rewards_task`` daily, moving rewards of orders paid more than the return window ago
from pending to available (as creators' commission is locked)."""

from django_tasks import task

from readers.services.rewards import lock_matured_rewards


@task()
def lock_matured_rewards_task() -> int:
    return lock_matured_rewards()
