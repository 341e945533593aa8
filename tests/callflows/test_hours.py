"""Business hours: windows, holidays in local dates, daylight saving time."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from callflows import BusinessHours

WINNIPEG = "America/Winnipeg"


@pytest.mark.parametrize(
    ("spec", "holidays", "now", "is_open"),
    [
        ("mon-fri 09:00-17:00", (), datetime(2026, 3, 4, 15, 0, tzinfo=UTC), True),  # 09:00 CST
        ("mon-fri 09:00-17:00", (), datetime(2026, 3, 4, 14, 59, tzinfo=UTC), False),
        ("mon-fri 09:00-17:00", (), datetime(2026, 3, 4, 23, 0, tzinfo=UTC), False),  # 17:00
        ("mon-fri 09:00-17:00", (), datetime(2026, 3, 9, 14, 0, tzinfo=UTC), True),  # 09:00 CDT
        ("mon-fri 09:00-17:00", (), datetime(2026, 11, 2, 14, 30, tzinfo=UTC), False),  # 08:30 CST
        ("mon-fri 09:00-17:00", (), datetime(2026, 3, 7, 16, 0, tzinfo=UTC), False),  # Saturday
        ("mon-fri 09:00-17:00", ("2026-12-25",), datetime(2026, 12, 25, 16, 0, tzinfo=UTC), False),
        ("mon-fri 09:00-17:00", ("2026-12-25",), datetime(2026, 12, 24, 16, 0, tzinfo=UTC), True),
        # holidays are local dates: 05:30 UTC on the 25th is still the 24th in Winnipeg
        ("mon-sun 00:00-24:00", ("2026-12-25",), datetime(2026, 12, 25, 5, 30, tzinfo=UTC), True),
        ("mon-sun 00:00-24:00", ("2026-12-25",), datetime(2026, 12, 25, 6, 30, tzinfo=UTC), False),
        ("mon-fri 09:00-12:00,13:00-17:00", (), datetime(2026, 3, 4, 18, 30, tzinfo=UTC), False),
        ("mon-fri 09:00-12:00,13:00-17:00", (), datetime(2026, 3, 4, 19, 0, tzinfo=UTC), True),
        ("mon-fri 09:00-17:00; sat 10:00-14:00", (), datetime(2026, 3, 7, 17, 0, tzinfo=UTC), True),
        ("fri-mon 10:00-11:00", (), datetime(2026, 3, 8, 15, 30, tzinfo=UTC), True),  # Sun (CDT)
        ("sat,sun 10:00-11:00", (), datetime(2026, 3, 4, 16, 30, tzinfo=UTC), False),
        ("", (), datetime(2026, 3, 4, 16, 0, tzinfo=UTC), False),
    ],
)
def test_is_open(spec: str, holidays: tuple[str, ...], now: datetime, is_open: bool) -> None:
    assert BusinessHours.parse(spec, WINNIPEG, holidays).is_open(now) is is_open


def test_any_aware_zone_is_accepted() -> None:
    hours = BusinessHours.parse("mon-fri 09:00-17:00", WINNIPEG)
    eastern = timezone(timedelta(hours=-5))
    assert hours.is_open(datetime(2026, 3, 4, 11, 0, tzinfo=eastern))  # 10:00 in Winnipeg


def test_naive_datetime_is_refused() -> None:
    hours = BusinessHours.parse()
    with pytest.raises(ValueError, match="timezone-aware"):
        hours.is_open(datetime(2026, 3, 4, 12, 0))


@pytest.mark.parametrize(
    ("spec", "tz", "holidays"),
    [
        ("mon-fri", WINNIPEG, ()),
        ("mon-fir 09:00-17:00", WINNIPEG, ()),
        ("mon-fri 9-17", WINNIPEG, ()),
        ("mon-fri 17:00-09:00", WINNIPEG, ()),
        ("mon-fri 09:00-24:30", WINNIPEG, ()),
        ("mon-fri 25:00-26:00", WINNIPEG, ()),
        ("mon-fri 09:00-17:00", "Mars/Olympus", ()),
        ("mon-fri 09:00-17:00", WINNIPEG, ("25/12/2026",)),
    ],
)
def test_bad_specs_are_refused(spec: str, tz: str, holidays: tuple[str, ...]) -> None:
    with pytest.raises(ValueError):
        BusinessHours.parse(spec, tz, holidays)
