"""Periods, their previous period and local-day buckets across daylight saving time."""

from __future__ import annotations

from datetime import date, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from ivr.metrics import InvalidPeriod, Period, parse_period
from ivr.metrics.periods import utc_offsets
from ivr.metrics.sql import as_date, bucket_of, dialect
from models import Call, Database
from tests.metrics.builder import DataSet, utc

WINNIPEG = "America/Winnipeg"


def test_previous_period_has_the_same_length_and_ends_at_the_start() -> None:
    period = Period(date(2026, 3, 1), date(2026, 4, 1), WINNIPEG, "week")
    assert period.previous() == Period(date(2026, 1, 29), date(2026, 3, 1), WINNIPEG, "week")
    assert period.start_utc == utc(2026, 3, 1, 6)  # CST
    assert period.end_utc == utc(2026, 4, 1, 5)  # CDT


def test_buckets_cover_the_range() -> None:
    period = Period(date(2026, 1, 28), date(2026, 3, 3), WINNIPEG, "month")
    assert period.buckets() == [date(2026, 1, 1), date(2026, 2, 1), date(2026, 3, 1)]
    weeks = Period(date(2026, 1, 7), date(2026, 1, 20), WINNIPEG, "week").buckets()
    assert weeks == [date(2026, 1, 5), date(2026, 1, 12), date(2026, 1, 19)]
    december = Period(date(2025, 12, 1), date(2026, 2, 1), "UTC", "month").buckets()
    assert december == [date(2025, 12, 1), date(2026, 1, 1)]


@pytest.mark.parametrize(
    ("start", "end", "grouping", "tz"),
    [
        ("2026-01-02", "2026-01-01", "day", WINNIPEG),
        ("2026-01-01", "2026-01-01", "day", WINNIPEG),
        ("2026-01-01", "2026-02-01", "hour", WINNIPEG),
        ("2026-01-01", "2026-02-01", "day", "Mars/Olympus"),
        ("2026-01-01", "2036-02-01", "day", WINNIPEG),
        ("1 January", "2026-02-01", "day", WINNIPEG),
    ],
)
def test_invalid_periods_are_refused(start: str, end: str, grouping: str, tz: str) -> None:
    with pytest.raises(InvalidPeriod):
        parse_period(start, end, grouping, tz=tz, today=date(2026, 6, 1))


def test_default_period_is_the_last_thirty_days() -> None:
    period = parse_period(None, None, None, tz=WINNIPEG, today=date(2026, 6, 1))
    assert (period.start, period.end, period.grouping) == (
        date(2026, 5, 3),
        date(2026, 6, 2),
        "day",
    )


def test_offsets_change_at_the_daylight_saving_transition() -> None:
    zone = ZoneInfo(WINNIPEG)
    pieces = utc_offsets(zone, utc(2026, 3, 1), utc(2026, 4, 1))
    assert pieces == [(utc(2026, 3, 1), -360), (utc(2026, 3, 8, 8), -300)]
    assert utc_offsets(ZoneInfo("America/St_Johns"), utc(2026, 1, 1), utc(2026, 1, 5)) == [
        (utc(2026, 1, 1), -210)
    ]


def test_buckets_follow_local_days_across_daylight_saving(module_db: Database) -> None:
    data = DataSet()
    instants = [
        utc(2026, 3, 8, 5, 30),  # Saturday 7 March 23:30 CST
        utc(2026, 3, 8, 6, 30),  # Sunday 8 March 00:30 CST
        utc(2026, 3, 9, 4, 30),  # Sunday 8 March 23:30 CDT
        utc(2026, 3, 9, 5, 30),  # Monday 9 March 00:30 CDT (23:30 on the 8th in CST)
    ]
    for at in instants:
        data.call(at, 10)
    period = Period(date(2026, 3, 1), date(2026, 4, 1), WINNIPEG, "day")
    with module_db.session() as session:
        data.write(session)
        key = bucket_of(Call.started_at, period, dialect(session))
        found = [as_date(v) for v in session.scalars(select(key).order_by(Call.started_at))]
        session.rollback()
    assert found == [date(2026, 3, 7), date(2026, 3, 8), date(2026, 3, 8), date(2026, 3, 9)]
    assert found[-1] - found[0] == timedelta(days=2)
