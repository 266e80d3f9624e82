"""Erasure by anonymisation: one rule decides whether it may happen now, one loop does it."""

from dataclasses import dataclass
from datetime import datetime

import structlog
from django.db import transaction
from django.utils import timezone

from privacy.registry import Subject, registered_sections

log = structlog.get_logger(__name__)


@dataclass(frozen=True)
class ErasureResult:
    erased: bool
    reasons: list[str]  # why it was deferred (empty when erased)
    rows_changed: int = 0


def erasure_blockers(subject: Subject, *, now: datetime | None = None) -> list[str]:
    """Why ``subject`` can't be erased now (empty: erasable now). Every section has its say."""
    now = now or timezone.now()
    return [reason for section in registered_sections() if section.erasure_blockers
            for reason in section.erasure_blockers(subject, now)]


@transaction.atomic
def erase_subject(subject: Subject, *, now: datetime | None = None) -> ErasureResult:
    """Anonymise everything every section holds about ``subject``, or nothing while anything blocks.
    Erasing twice changes nothing the second time."""
    now = now or timezone.now()
    reasons = erasure_blockers(subject, now=now)
    if reasons:
        log.info("erasure deferred", reasons=len(reasons))
        return ErasureResult(erased=False, reasons=reasons)
    changed = sum(section.anonymise(subject, now) for section in registered_sections() if section.anonymise)
    log.info("erasure done", rows_changed=changed)
    return ErasureResult(erased=True, reasons=[], rows_changed=changed)
