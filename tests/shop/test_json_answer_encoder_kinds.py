"""``json_answer``'s encoder takes a shortcut for exactly ``Decimal`` and ``datetime``; those and every other value,
their subclasses included, must render as ninja's encoder renders it (an Enum member as ``str()``, Django's rule for
dates and times: microseconds cut to milliseconds)."""

import json
from datetime import UTC, date, datetime, time, timedelta, timezone
from decimal import Decimal
from enum import Enum

import pytest
from ninja.responses import NinjaJSONEncoder

from shop.api.schemas import json_answer


class Price(Decimal):
    """A Decimal subclass (a library's money type, say)."""


class Level(Decimal, Enum):
    LOW = Decimal("1.50")


class FakeDatetime(datetime):
    """What freezegun's ``FakeDatetime`` is to the encoder: a ``datetime`` subclass (freezegun is not installed)."""


class Moment(datetime, Enum):
    LAUNCH = (2026, 1, 2, 3, 4, 5, 678901)


class Day(date):
    pass


@pytest.mark.parametrize("value", [
    # The shortcut's own kinds, exactly: signed zeros, exponent forms, extra places; UTC, +05:30 and naive moments.
    Decimal("12.50"), Decimal("0E-2"), Decimal("-0.00"), Decimal("1E+3"), Decimal("0.1000000000000000055511151231"),
    datetime(2026, 1, 2, 3, 4, 5, 678901, tzinfo=UTC), datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC),
    datetime(2026, 1, 2, 3, 4, 5, 678901, tzinfo=timezone(timedelta(hours=5, minutes=30))),
    datetime(2026, 1, 2, 3, 4, 5), datetime(2026, 1, 2, 3, 4, 5, 1000),
    # What it must not take: subclasses, Enum members, dates, times.
    Price("12.50"), Price("0E-2"), Level.LOW,
    FakeDatetime(2026, 1, 2, 3, 4, 5, 678901, tzinfo=UTC), FakeDatetime(2026, 1, 2, 3, 4, 5), Moment.LAUNCH,
    date(2026, 1, 2), Day(2026, 1, 2),
    time(3, 4, 5), time(3, 4, 5, 678901),
], ids=lambda value: type(value).__name__)
def test_a_value_renders_as_ninjas_encoder_renders_it_shortcut_or_not(value):
    payload = {"value": value, "in_a_list": [value]}

    assert json_answer(payload).content.decode() == json.dumps(payload, cls=NinjaJSONEncoder)
