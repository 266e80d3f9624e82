"""Periodic jobs: which task runs when, and exactly once per occurrence across scheduler replicas.

``settings.KOLSHOP_SCHEDULE`` maps a job name to a crontab expression (UTC) and the dotted path of a
Django task. ``run_due_jobs`` enqueues every job whose occurrence fell in a time window; the
``ScheduledRun`` unique constraint lets only one replica claim an occurrence, so running two
schedulers (for availability) never runs a job twice. APScheduler supplies the cron arithmetic.
"""

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone as dt_timezone

from apscheduler.triggers.cron import CronTrigger
from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils.module_loading import import_string

from operations.models import ScheduledRun

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class ScheduledJob:
    name: str
    cron: str
    task_path: str

    @property
    def trigger(self) -> CronTrigger:
        return CronTrigger.from_crontab(self.cron, timezone=dt_timezone.utc)

    def occurrences(self, *, after: datetime, until: datetime) -> list[datetime]:
        """Due times in (after, until], oldest first."""
        found, previous, cursor = [], None, after + timedelta(microseconds=1)
        trigger = self.trigger
        while (due := trigger.get_next_fire_time(previous, cursor)) is not None and due <= until:
            found.append(due)
            previous, cursor = due, due + timedelta(microseconds=1)
        return found


def scheduled_jobs() -> list[ScheduledJob]:
    return [ScheduledJob(name, entry["cron"], entry["task"]) for name, entry in settings.KOLSHOP_SCHEDULE.items()]


def claim_and_enqueue(job: ScheduledJob, *, due_at: datetime) -> bool:
    """Enqueue ``job`` for the occurrence ``due_at`` unless another replica already did."""
    try:
        with transaction.atomic():
            run = ScheduledRun.objects.create(job=job.name, due_at=due_at)
    except IntegrityError:
        return False
    result = import_string(job.task_path).enqueue()
    ScheduledRun.objects.filter(pk=run.pk).update(task_result_id=str(result.id)[:64])
    logger.info("scheduled job enqueued", extra={"job": job.name, "due_at": due_at.isoformat()})
    return True


def run_due_jobs(*, after: datetime, until: datetime) -> list[tuple[str, datetime]]:
    """Enqueue each job's latest occurrence in (after, until]; returns what this replica enqueued.

    A scheduler that was down for a while runs a missed job once, not once per missed occurrence.
    """
    enqueued = []
    for job in scheduled_jobs():
        due = job.occurrences(after=after, until=until)
        if due and claim_and_enqueue(job, due_at=due[-1]):
            enqueued.append((job.name, due[-1]))
    return enqueued
