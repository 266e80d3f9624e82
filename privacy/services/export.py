"""Export (GDPR Art. 15/20, PIPL Art. 45): everything every section holds about a person, one zip with a
JSON and a CSV file per section and a manifest."""

import csv
import io
import json
import zipfile
from datetime import datetime

from django.core.serializers.json import DjangoJSONEncoder
from django.utils import timezone

from creators.spreadsheets import spreadsheet_cell
from privacy.registry import Row, Subject, registered_sections


def export_sections(subject: Subject) -> dict[str, list[Row]]:
    return {section.name: section.export(subject) for section in registered_sections() if section.export}


def _csv(rows: list[Row]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    columns = list(rows[0]) if rows else []
    writer.writerow(columns)
    for row in rows:
        # Text that a spreadsheet would run as a formula gets a leading quote (creators.spreadsheets).
        writer.writerow(["" if row[name] is None else str(spreadsheet_cell(row[name])) for name in columns])
    return buffer.getvalue()


def export_archive(subject: Subject, *, now: datetime | None = None) -> bytes:
    """The zip: ``<section>.json`` and ``<section>.csv`` for every section, and ``manifest.json``."""
    now = now or timezone.now()
    sections = export_sections(subject)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        manifest = {"generated_at": now, "sections": {name: len(rows) for name, rows in sections.items()}}
        archive.writestr("manifest.json", json.dumps(manifest, cls=DjangoJSONEncoder, indent=2))
        for name, rows in sections.items():
            archive.writestr(f"{name}.json", json.dumps(rows, cls=DjangoJSONEncoder, indent=2))
            archive.writestr(f"{name}.csv", _csv(rows))
    return buffer.getvalue()
