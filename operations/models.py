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


class OwedCacheSettle(models.Model):
    """A shared cache's settle that a process owed when it could not reach the cache (a lost invalidation), kept
    where every process sees it: any process's settler pays it once the cache answers, so the owing process being
    killed meanwhile leaves nothing stale (``operations.owed_settles``).

    A plain INSERT (writers recording the same cache's loss never wait for each other's transactions), at most one
    row per process, cache and outage while that row is unclaimed. A payer claims rows (``claim``, leased until
    ``claimed_until`` by the database's clock, so a payer killed mid-settle leaves them to the next), commits, settles
    and deletes what it claimed, so the table holds only what an outage left unpaid."""

    cache = models.CharField(max_length=100)  # ``SharedCache.name``
    lost_at = models.DateTimeField()  # when the write was lost (for people reading the table; nothing compares it)
    # Nullable: the previous release inserts rows without them (unclaimed) during a rolling deploy.
    claim = models.UUIDField(null=True, blank=True)  # the payer's token; None: nobody is paying it
    claimed_until = models.DateTimeField(null=True, blank=True)  # the claim's lease (database time)

    wagtail_reference_index_ignore = True

    class Meta:
        # A loss's probe and a payer's claim look for one cache's unpaid rows: after a long outage of many caches
        # (or rows a previous release's settlers left) they find them without reading the table.
        indexes = [models.Index(fields=["cache", "claim"], name="owed_settle_cache_claim")]

    def __str__(self) -> str:
        return f"{self.cache} owed since {self.lost_at.isoformat()}"
