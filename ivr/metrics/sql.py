"""The few expressions that differ between PostgreSQL and SQLite: local date buckets,
seconds between two instants, and percentiles.

PostgreSQL does the time zone arithmetic itself (``AT TIME ZONE`` knows the rules).
SQLite has no time zone database, so the bucket expression shifts each UTC timestamp by
the zone's offset, chosen with a ``CASE`` over the few offset changes (daylight saving
time) within the range, computed in Python from ``zoneinfo``.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Date,
    Float,
    Integer,
    Select,
    and_,
    case,
    cast,
    func,
    literal,
    literal_column,
    or_,
    select,
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


def percentiles(
    session: Session, rows: Select[Any], columns: Sequence[str], quantiles: Sequence[float]
) -> dict[Any, dict[str, list[float | None]]]:
    """Continuous percentiles (as PostgreSQL's ``percentile_cont``) of each of ``columns``
    per ``key``: ``{key: {column: [value per quantile]}}``.

    ``rows`` selects a column labelled ``key`` and the ``columns`` (NULLs are ignored).
    PostgreSQL computes them all in one pass with ``percentile_cont``; SQLite numbers the
    rows of each key in order and interpolates between the two nearest ranks.
    """
    sub = rows.subquery()
    out: dict[Any, dict[str, list[float | None]]] = {}
    if dialect(session) == "postgresql":
        aggregates = [
            func.percentile_cont(q).within_group(sub.c[name]) for name in columns for q in quantiles
        ]
        for key, *values in session.execute(select(sub.c.key, *aggregates).group_by(sub.c.key)):
            for i, name in enumerate(columns):
                chunk = values[i * len(quantiles) : (i + 1) * len(quantiles)]
                out.setdefault(key, {})[name] = [_float(v) for v in chunk]
        return out
    for name in columns:
        for key, found in _ranked(session, sub.c.key, sub.c[name], quantiles).items():
            out.setdefault(key, {})[name] = found
    return out


def _ranked(
    session: Session, key: Any, value: Any, quantiles: Sequence[float]
) -> dict[Any, list[float | None]]:
    ranked = (
        select(
            key.label("key"),
            value.label("value"),
            (func.row_number().over(partition_by=key, order_by=value) - 1).label("rank"),
            func.count().over(partition_by=key).label("n"),
        )
        .where(value.is_not(None))
        .subquery()
    )
    wanted = []
    for q in quantiles:
        low = cast(q * (ranked.c.n - 1), Integer)
        wanted.append(and_(ranked.c.rank >= low, ranked.c.rank <= low + 1))
    query = select(ranked.c.key, ranked.c.value, ranked.c.rank, ranked.c.n).where(or_(*wanted))
    by_key: dict[Any, tuple[int, dict[int, float]]] = {}
    for k, v, rank, n in session.execute(query):
        by_key.setdefault(k, (int(n), {}))[1][int(rank)] = float(v)
    return {k: [_interpolate(ranks, n, q) for q in quantiles] for k, (n, ranks) in by_key.items()}


def _interpolate(ranks: dict[int, float], n: int, q: float) -> float:
    position = q * (n - 1)
    low = int(position)
    if low + 1 >= n or position == low:
        return ranks[low]
    return ranks[low] + (position - low) * (ranks[low + 1] - ranks[low])


def _float(value: Any) -> float | None:
    return None if value is None else float(value)


TOTAL: ColumnElement[Any] = literal_column("'all'")


def grouped(query: Select[Any], key: ColumnElement[Any]) -> Select[Any]:
    """``query`` grouped by ``key``, unless ``key`` is :data:`TOTAL` (one row for all)."""
    return query if key is TOTAL else query.group_by(key)


def fill(keys: Iterable[Any], found: dict[Any, Any], empty: Any) -> list[Any]:
    """``found[key]`` for every key in order, ``empty`` where nothing was found."""
    return [found.get(key, empty) for key in keys]
