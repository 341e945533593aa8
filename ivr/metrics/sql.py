"""The few expressions that differ between PostgreSQL and SQLite: local date buckets and
seconds between two instants.

PostgreSQL does the time zone arithmetic itself (``AT TIME ZONE`` knows the rules).
SQLite has no time zone database, so the bucket expression shifts each UTC timestamp by
the zone's offset, chosen with a ``CASE`` over the few offset changes (daylight saving
time) within the range, computed in Python from ``zoneinfo``.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Date,
    Float,
    case,
    cast,
    func,
    literal,
)
from sqlalchemy.orm import InstrumentedAttribute, Session

from ivr.metrics.periods import Period, utc_offsets


def dialect(session: Session) -> str:
    """``postgresql`` or ``sqlite``."""
    return session.get_bind().dialect.name


Column = ColumnElement[Any] | InstrumentedAttribute[Any]


def bucket_of(
    column: Column, period: Period, name: str, *, since: datetime | None = None
) -> ColumnElement[Any]:
    """The first local day of the bucket holding ``column`` (a UTC timestamp).

    ``since`` is the earliest instant the query reads (default the period's start); the
    SQLite offsets are computed from there.
    """
    if name == "postgresql":
        local = func.timezone(literal(period.tz, literal_execute=True), column)
        unit = literal(period.grouping, literal_execute=True)
        return cast(func.date_trunc(unit, local), Date)
    local_text = _sqlite_local(column, period, since or period.start_utc)
    if period.grouping == "week":
        return func.date(local_text, "-6 days", "weekday 1")
    if period.grouping == "month":
        return func.strftime("%Y-%m-01", local_text)
    return func.date(local_text)


def _sqlite_local(column: Column, period: Period, since: datetime) -> ColumnElement[Any]:
    pieces = utc_offsets(period.zone, since, period.end_utc)
    modifier: ColumnElement[Any]
    if len(pieces) == 1:
        modifier = literal(f"{pieces[0][1]:+d} minutes")
    else:
        whens = [
            (column < start, f"{pieces[i - 1][1]:+d} minutes")
            for i, (start, _) in enumerate(pieces)
            if i
        ]
        modifier = case(*whens, else_=f"{pieces[-1][1]:+d} minutes")
    return func.datetime(column, modifier)


def as_date(value: Any) -> date:
    """A bucket value as returned by either database, as a date."""
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    return date.fromisoformat(str(value)[:10])


def seconds_between(later: Column, earlier: Column, name: str) -> ColumnElement[Any]:
    """``later - earlier`` in seconds (a float)."""
    if name == "postgresql":
        return cast(func.extract("epoch", later - earlier), Float)
    return cast((func.julianday(later) - func.julianday(earlier)) * 86400.0, Float)
