"""The one error shape every commerce API endpoint returns: {"code", "message", "field"}.

Raise ``ApiError`` (or a subclass) from services or endpoints; the handlers registered in
``settings/api.py`` turn it, and ninja's own validation errors, into 4xx JSON.
"""

from dataclasses import dataclass


@dataclass
class ApiError(Exception):
    code: str
    message: str
    field: str | None = None
    status: int = 400

    def as_body(self) -> dict:
        return {"code": self.code, "message": self.message, "field": self.field}


class NotFoundError(ApiError):
    def __init__(self, message: str = "Not found.", *, code: str = "not_found", field: str | None = None):
        super().__init__(code=code, message=message, field=field, status=404)


class ConflictError(ApiError):
    def __init__(self, message: str, *, code: str = "conflict", field: str | None = None):
        super().__init__(code=code, message=message, field=field, status=409)


def field_from_location(location: list) -> str | None:
    """ninja/pydantic report where an error is as ('body', 'payload', 'quantity'); keep the field path."""
    parts = [str(part) for part in location if part not in ("body", "query", "path", "payload", "form")]
    return ".".join(parts) or None
