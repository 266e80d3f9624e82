"""The scheduled personal-data job (settings.KOLSHOP_SCHEDULE "enforce_retention", daily)."""

from django_tasks import task

from privacy.services.requests import retry_deferred_requests
from privacy.services.retention import enforce_retention


@task()
def enforce_retention_task() -> dict[str, int]:
    """Retry deferred erasures, then enforce every section's retention (each step is idempotent)."""
    return {"deferred_requests_done": retry_deferred_requests(), **enforce_retention()}
