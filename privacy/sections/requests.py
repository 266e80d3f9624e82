"""The person's own data-subject requests (kept as proof they were answered; no e-mail once closed)."""

from privacy.models import DataSubjectRequest
from privacy.registry import Row, Section, Subject, register_section


def _requests_rows(subject: Subject) -> list[Row]:
    return list(DataSubjectRequest.objects.filter(subject_key=subject.key).order_by("pk").values(
        "id", "kind", "status", "channel", "reason", "created_at", "verified_at", "due_at", "completed_at"))


register_section(Section(name="data_subject_requests", order=90, export=_requests_rows))
