"""Retention: every section's enforcement, in one scheduled loop (``privacy.tasks.enforce_retention_task``)."""

from datetime import datetime

import structlog
from django.utils import timezone

from privacy.registry import registered_sections

log = structlog.get_logger(__name__)


def enforce_retention(*, now: datetime | None = None) -> dict[str, int]:
    """Delete or anonymise what has been kept long enough; returns rows affected per section."""
    now = now or timezone.now()
    done = {section.name: section.enforce_retention(now) for section in registered_sections()
            if section.enforce_retention}
    log.info("retention enforced", **done)
    return done
