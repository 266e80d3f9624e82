from django.db import models


class ScheduledRun(models.Model):
    """One occurrence of a scheduled job, claimed by the scheduler replica that enqueued it.

    The unique (job, due_at) pair is the lock: every replica computes the same due time from the
    job's cron expression, and only the one whose insert succeeds enqueues the task.
    """

    job = models.CharField(max_length=100)
    due_at = models.DateTimeField()
    enqueued_at = models.DateTimeField(auto_now_add=True)
    task_result_id = models.CharField(max_length=64, blank=True)

    wagtail_reference_index_ignore = True

    class Meta:
        constraints = [models.UniqueConstraint(fields=["job", "due_at"], name="scheduled_run_once_per_occurrence")]
        indexes = [models.Index(fields=["job", "-due_at"], name="scheduled_run_latest")]

    def __str__(self) -> str:
        return f"{self.job} @ {self.due_at.isoformat()}"
