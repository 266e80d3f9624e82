"""Input limits every entry point shares: text a column can store, integers a column can hold.

The limits come from the model fields themselves (``column_text(Order, "email")``), so a schema, a
form and the table agree without a second copy of the number. PostgreSQL refuses NUL in text and
text longer than its column (a 500 if it reaches the database); SQLite stores both silently, so the
check has to happen before the query on every backend.
"""

import re
from typing import Annotated

from django.core.exceptions import ValidationError
from django.db import models
from pydantic import AfterValidator, Field, StringConstraints

# C0 controls (NUL included) and DEL. Tab, line feed and carriage return are allowed only where a
# field says so (multi-line text); no field of the commerce API is multi-line.
_CONTROL_CHARACTERS = re.compile(r"[\x00-\x1f\x7f]")
CONTROL_CHARACTERS_MESSAGE = "Control characters (such as NUL) are not allowed."

# Integer columns: PostgreSQL's integer and bigint. Python ints are unbounded; the database's are not.
INT32_MAX = 2**31 - 1
INT64_MAX = 2**63 - 1


_ROW_ID = re.compile(r"[0-9]{1,18}")


def row_id(value) -> int | None:
    """``value`` (a query or form parameter) as a row id, or None: ASCII digits only, at most 18 of them
    (``str.isdigit`` also passes "²" and "٣", which ``int`` refuses or reads as another number)."""
    return int(value) if isinstance(value, str) and _ROW_ID.fullmatch(value) else None


def has_control_characters(value: str) -> bool:
    return bool(_CONTROL_CHARACTERS.search(value))


def refuse_control_characters(value: str) -> str:
    """A pydantic after-validator: the message becomes the API's 400 for this field."""
    if has_control_characters(value):
        raise ValueError(CONTROL_CHARACTERS_MESSAGE)
    return value


def validate_no_control_characters(value: str) -> None:
    """The same rule as a Django validator, for server-rendered forms."""
    if has_control_characters(value):
        raise ValidationError(CONTROL_CHARACTERS_MESSAGE, code="control_characters")


def column_max_length(model: type[models.Model], field_name: str) -> int:
    """The column's ``max_length`` (an EmailField's is 254)."""
    max_length = model._meta.get_field(field_name).max_length
    if max_length is None:
        raise ValueError(f"{model.__name__}.{field_name} has no max_length")
    return max_length


def text(*, max_length: int, min_length: int = 0, pattern: str | None = None, description: str | None = None):
    """A single-line string type for schemas: bounded, no control characters."""
    return Annotated[
        str,
        StringConstraints(min_length=min_length, max_length=max_length, pattern=pattern),
        AfterValidator(refuse_control_characters),
        Field(description=description),
    ]


def column_text(
    model: type[models.Model], field_name: str, *, min_length: int = 0, pattern: str | None = None,
    description: str | None = None,
):
    """``text`` limited to what ``model.field_name`` can store."""
    return text(max_length=column_max_length(model, field_name), min_length=min_length, pattern=pattern,
                description=description)


def integer(*, minimum: int, maximum: int, description: str | None = None):
    """An integer type for schemas, bounded so it fits the column (or a business range inside it)."""
    return Annotated[int, Field(ge=minimum, le=maximum, description=description)]


# A primary key in a path or a body.
ObjectId = integer(minimum=1, maximum=INT64_MAX, description="A positive id.")
