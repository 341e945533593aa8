"""The dashboard's figures per local day: computed from the rows, kept in the rollup.

:func:`compute` reads calls, reports and their history and returns one
:class:`~ivr.metrics.tally.Tally` per local day. :func:`refresh` (the worker's sweep,
``flask --app wsgi metrics rollup``) stores them in ``metric_day_counts`` and
``metric_day_values`` for the days where something changed since its last run, and
:func:`figures` (the dashboard) adds up the stored days of a period, recomputing from the
rows only the days changed since: the figures are always those of the rows, however far
behind the worker is; the rollup only makes them cheap.

A day changes when one of its calls, recordings, reports, report changes or referrals is
written (``updated_at``, ``at``, ``created_at``), and also the day of a change itself
(the operators' figures count changes by the day they were made). Rows deleted by the
retention purge do not mark a day: the rollup keeps counting the purged calls of a day
until something else on that day changes and it is recomputed from what is left.

The rollup is kept for one time zone and one urgent-review target (the settings); for
another one, or before the first refresh, :func:`figures` computes everything from the
rows (correct, slow on millions of calls) and :func:`refresh` rebuilds it.
"""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import (
    ColumnElement,
    Date,
    DateTime,
    and_,
    cast,
    delete,
    false,
    func,
    insert,
    literal,
    or_,
    select,
    text,
    union,
)
from sqlalchemy.orm import Session

from ivr.metrics import calls, reports, work
from ivr.metrics.periods import Period, bucket_start, next_bucket
from ivr.metrics.sql import as_date, bucket_of, dialect
from ivr.metrics.tally import Bin, Tally
from models import (
    Call,
    MetricDayCount,
    MetricDayValues,
    MetricMonthCount,
    MetricMonthValues,
    MetricRollup,
    Recording,
    Referral,
    Report,
    ReportChange,
)

log = logging.getLogger(__name__)

# Bump when what the rollup holds changes: the next refresh rebuilds it.
VERSION = 2  # 2: the months
# Changes written this long before a refresh started may still have been uncommitted
# then (a long job's transaction, another host's clock): their days count as changed.
MARGIN = timedelta(minutes=15)
# Days computed together (one set of queries per span).
SPAN_DAYS = 31
LOCK_KEY = 0x6D6574726963  # pg_advisory_xact_lock: one refresh at a time


def settings(config: Mapping[str, Any]) -> tuple[str, timedelta]:
    """The metrics time zone and the urgent-review target of a configuration: what the
    dashboard reads with and what the rollup is kept for."""
    tz: str = config["METRICS_TZ"] or config["BUSINESS_TZ"]
    return tz, timedelta(minutes=config["URGENT_REVIEW_TARGET_MINUTES"])


# -- computing days from the rows -------------------------------------------------------


def compute(session: Session, span: Period, target: timedelta) -> dict[date, Tally]:
    """Every figure of every local day of ``span`` (its grouping is ignored), from the
    rows."""
    days = Period(span.start, span.end, span.tz, "day")
    name = dialect(session)
    call_day = bucket_of(Call.started_at, days, name)
    report_day = bucket_of(Report.received_at, days, name)
    change_day = bucket_of(ReportChange.at, days, name)
    out: dict[date, Tally] = {}

    def day(key: Any) -> Tally:
        return out.setdefault(as_date(key), Tally())

    for key, counts in calls.call_counts(session, days, call_day).items():
        day(key).counts.update({(figure, ""): n for figure, n in counts.items()})
    for key, n in calls.voicemails(session, days, call_day).items():
        day(key).counts[("voicemails", "")] += n
    for key, steps in calls.funnel(session, days, call_day).items():
        day(key).counts.update({("funnel", step): n for step, n in steps.items()})
    for key, seconds in calls.durations(session, days, call_day):
        day(key).add_value("duration_s", seconds)
    for key, counts in reports.report_counts(session, days, report_day).items():
        day(key).counts.update({(figure, ""): n for figure, n in counts.items()})
    for key, counts in reports.urgent_sla(session, days, report_day, target).items():
        day(key).counts.update({(f"sla:{figure}", ""): n for figure, n in counts.items()})
    for key, margins in reports.dimensions(session, days, report_day).items():
        tally = day(key)
        for dimension, values in margins.items():
            tally.counts.update({(f"dim:{dimension}", v): n for v, n in values.items()})
    for key, *timings in reports.timing_values(session, days, report_day):
        tally = day(key)
        for measure, value in zip(reports.TIMINGS, timings, strict=True):
            if value is not None:
                tally.add_value(measure, value)
    for key, changes in work.status_changes(session, days, change_day).items():
        day(key).counts.update({(f"op:{c}", author): n for (c, author), n in changes.items()})
    return {d: t for d, t in out.items() if days.start <= d < days.end}


def compute_days(
    session: Session, days: Iterable[date], tz: str, target: timedelta
) -> dict[date, Tally]:
    """:func:`compute` for the given days, a span of consecutive days at a time."""
    out: dict[date, Tally] = {}
    for start, end in spans(days):
        out.update(compute(session, Period(start, end, tz, "day"), target))
    return out


def spans(days: Iterable[date], longest: int = SPAN_DAYS) -> Iterator[tuple[date, date]]:
    """``[start, end)`` runs of consecutive days, at most ``longest`` days each."""
    start = end = None
    for day in sorted(set(days)):
        if start is not None and end is not None and day == end and (end - start).days < longest:
            end = day + timedelta(days=1)
            continue
        if start is not None and end is not None:
            yield start, end
        start, end = day, day + timedelta(days=1)
    if start is not None and end is not None:
        yield start, end


# -- what changed -----------------------------------------------------------------------


def changed_days(session: Session, since: datetime, tz: str) -> set[date]:
    """The local days whose figures may differ from what they were at ``since``."""
    instants = union(
        select(Call.started_at.label("at")).where(Call.updated_at >= since),
        select(Call.started_at)
        .join(Recording, Recording.call_id == Call.id)
        .where(Recording.updated_at >= since),
        select(Report.received_at).where(Report.updated_at >= since),
        select(Report.received_at)
        .join(ReportChange, ReportChange.report_id == Report.id)
        .where(ReportChange.at >= since),
        select(ReportChange.at).where(ReportChange.at >= since),
        select(Report.received_at)
        .join(Referral, Referral.report_id == Report.id)
        .where(Referral.created_at >= since),
    )
    zone = ZoneInfo(tz)
    return {_local_day(at, zone) for at in session.scalars(select(instants.subquery().c.at))}


def _local_day(at: Any, zone: ZoneInfo) -> date:
    if isinstance(at, str):  # SQLite, inside a UNION: the stored text, not the type's value
        at = datetime.fromisoformat(at)
    if at.tzinfo is None:
        at = at.replace(tzinfo=UTC)
    local: date = at.astimezone(zone).date()
    return local


# -- the stored rollup ------------------------------------------------------------------


@dataclass(frozen=True)
class Refreshed:
    """What a refresh did."""

    days: int
    rebuilt: bool
    seconds: float


def state(session: Session, tz: str, target: timedelta) -> MetricRollup | None:
    """The rollup's state, if it is kept for ``tz`` and ``target``."""
    found = session.get(MetricRollup, 1)
    if found is None or found.version != VERSION:
        return None
    if found.tz != tz or found.urgent_target_s != int(target.total_seconds()):
        return None
    return found


def refresh(
    session: Session,
    *,
    tz: str,
    target: timedelta,
    now: datetime,
    rebuild: bool = False,
    wait: bool = True,
    progress: Callable[[int, int], None] | None = None,
) -> Refreshed | None:
    """Bring the rollup up to date at ``now``: recompute the days changed since the last
    refresh, or every day (``rebuild``, or another time zone, target or version).

    Runs in its own transactions (a rebuild commits each span, the state last). Returns
    None without doing anything when another refresh holds the lock and not ``wait``.
    ``progress(done, total)`` is called after each span.
    """
    started = datetime.now(UTC)
    if not _lock(session, wait):
        session.rollback()
        return None
    current = state(session, tz, target)
    rebuilt = rebuild or current is None
    if rebuilt:
        days = _all_days(session, tz, now)
        # Without a state, pages compute from the rows until the last span is stored.
        session.execute(delete(MetricRollup))
        for model in (MetricDayCount, MetricDayValues, MetricMonthCount, MetricMonthValues):
            session.execute(delete(model))
    else:
        assert current is not None
        days = sorted(changed_days(session, current.refreshed_at - MARGIN, tz))
    runs = list(spans(days))
    done = 0
    for start, end in runs:
        tallies = compute(session, Period(start, end, tz, "day"), target)
        _store(session, start, end, tallies)
        done += (end - start).days
        if rebuilt:  # a span at a time, the lock taken again for the next one
            session.commit()
            _lock(session, True)
        if progress is not None:
            progress(done, len(days))
    for month in sorted({d.replace(day=1) for d in days}):
        _store_month(session, month)
    _save_state(session, tz, target, now)
    session.commit()
    seconds = (datetime.now(UTC) - started).total_seconds()
    return Refreshed(days=len(days), rebuilt=rebuilt, seconds=seconds)


def _lock(session: Session, wait: bool) -> bool:
    conn = session.connection()
    if conn.dialect.name == "sqlite":
        raw = conn.connection.driver_connection
        # SQLite: take the write lock before reading, as the writer to come.
        if isinstance(raw, sqlite3.Connection) and not raw.in_transaction:
            raw.execute("BEGIN IMMEDIATE")
        return True
    if wait:
        conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": LOCK_KEY})
        return True
    got = conn.execute(text("SELECT pg_try_advisory_xact_lock(:key)"), {"key": LOCK_KEY})
    return bool(got.scalar())


def _all_days(session: Session, tz: str, now: datetime) -> list[date]:
    first = session.scalar(select(func.min(Call.started_at)))
    if first is None:
        return []
    zone = ZoneInfo(tz)
    day, last = _local_day(first, zone), _local_day(now, zone)
    return [day + timedelta(days=i) for i in range((last - day).days + 1)]


def _store(session: Session, start: date, end: date, tallies: dict[date, Tally]) -> None:
    for model in (MetricDayCount, MetricDayValues):
        session.execute(delete(model).where(model.day >= start, model.day < end))
    counts = [
        {"day": d, "figure": figure, "key": key, "n": n}
        for d, tally in tallies.items()
        for (figure, key), n in tally.counts.items()
        if n
    ]
    values = [
        {"day": d, "measure": measure, "bin": index, "n": b.n, "lo": b.lo, "hi": b.hi}
        for d, tally in tallies.items()
        for measure, bins in tally.values.items()
        for index, b in bins.items()
    ]
    if counts:
        session.execute(insert(MetricDayCount), counts)
    if values:
        session.execute(insert(MetricDayValues), values)


def _store_month(session: Session, month: date) -> None:
    """A month's rows: the sums of its days' rows."""
    after = next_bucket(month, "month")
    c, v = MetricDayCount, MetricDayValues
    for model in (MetricMonthCount, MetricMonthValues):
        session.execute(delete(model).where(model.month == month))
    counts = (
        select(literal(month, Date), c.figure, c.key, func.sum(c.n))
        .where(c.day >= month, c.day < after)
        .group_by(c.figure, c.key)
    )
    session.execute(insert(MetricMonthCount).from_select(["month", "figure", "key", "n"], counts))
    values = (
        select(
            literal(month, Date), v.measure, v.bin, func.sum(v.n), func.min(v.lo), func.max(v.hi)
        )
        .where(v.day >= month, v.day < after)
        .group_by(v.measure, v.bin)
    )
    session.execute(
        insert(MetricMonthValues).from_select(["month", "measure", "bin", "n", "lo", "hi"], values)
    )


def _save_state(session: Session, tz: str, target: timedelta, now: datetime) -> None:
    # Core statements: the ORM's copy of the row (read by ``state``) may be stale.
    session.execute(delete(MetricRollup))
    session.execute(
        insert(MetricRollup).values(
            id=1,
            tz=tz,
            urgent_target_s=int(target.total_seconds()),
            version=VERSION,
            refreshed_at=now,
        )
    )


# -- reading a period -------------------------------------------------------------------


def figures(session: Session, period: Period, target: timedelta) -> dict[date, Tally]:
    """Every figure of ``period`` per bucket (the first day of each, see
    :meth:`Period.buckets`): stored days added up, changed days computed afresh."""
    current = state(session, period.tz, target)
    if current is None:
        log.info("metrics rollup not built for %s: computing from the rows", period.tz)
        fresh = compute(session, period, target)
        stored: dict[date, Tally] = {}
    else:
        changed = changed_days(session, current.refreshed_at - MARGIN, period.tz)
        wanted = {d for d in changed if period.start <= d < period.end}
        fresh = compute_days(session, wanted, period.tz, target)
        stored = _read(session, period, exclude=wanted)
    out: dict[date, Tally] = {b: stored.get(b) or Tally() for b in period.buckets()}
    for day, tally in fresh.items():
        out[bucket_start(day, period.grouping)].add(tally)
    return out


def _read(session: Session, period: Period, *, exclude: set[date]) -> dict[date, Tally]:
    """The stored figures of ``period`` per bucket, less the ``exclude`` days: by month
    where a bucket is a whole month with no day excluded, by day elsewhere."""
    name = dialect(session)
    months = _whole_months(period, exclude) if period.grouping == "month" else []
    out: dict[date, Tally] = {}
    dc, dv = MetricDayCount, MetricDayValues
    counts_bucket = _day_bucket(dc.day, period.grouping, name)
    counts_where = _days_of(dc.day, period, exclude, months)
    _read_counts(session, out, counts_bucket, dc.figure, dc.key, dc.n, counts_where)
    values_bucket = _day_bucket(dv.day, period.grouping, name)
    _read_values(session, out, values_bucket, dv, _days_of(dv.day, period, exclude, months))
    if months:
        mc, mv = MetricMonthCount, MetricMonthValues
        _read_counts(session, out, mc.month, mc.figure, mc.key, mc.n, [mc.month.in_(months)])
        _read_values(session, out, mv.month, mv, [mv.month.in_(months)])
    return out


def _whole_months(period: Period, exclude: set[date]) -> list[date]:
    """The calendar months inside ``period`` with none of the ``exclude`` days."""
    out = []
    month = period.start.replace(day=1)
    while month < period.end:
        after = next_bucket(month, "month")
        whole = period.start <= month and after <= period.end
        if whole and not any(month <= d < after for d in exclude):
            out.append(month)
        month = after
    return out


def _read_counts(
    session: Session,
    out: dict[date, Tally],
    bucket: Any,
    figure: Any,
    key: Any,
    n: Any,
    where: list[ColumnElement[bool]],
) -> None:
    query = select(bucket, figure, key, func.sum(n)).where(*where).group_by(bucket, figure, key)
    for found, f, k, total in session.execute(query):
        out.setdefault(as_date(found), Tally()).counts[(f, k)] += int(total)


def _read_values(
    session: Session,
    out: dict[date, Tally],
    bucket: Any,
    model: Any,
    where: list[ColumnElement[bool]],
) -> None:
    query = (
        select(
            bucket,
            model.measure,
            model.bin,
            func.sum(model.n),
            func.min(model.lo),
            func.max(model.hi),
        )
        .where(*where)
        .group_by(bucket, model.measure, model.bin)
    )
    # A bucket is read from days or from its month, never both: each bin is new to it.
    for found, measure, index, n, lo, hi in session.execute(query):
        bins = out.setdefault(as_date(found), Tally()).values.setdefault(measure, {})
        bins[int(index)] = Bin(int(n), float(lo), float(hi))


def _days_of(
    column: Any, period: Period, exclude: set[date], months: list[date]
) -> list[ColumnElement[bool]]:
    """The days of ``period`` but the ``exclude`` days and the days of ``months``, as
    ranges (the primary key's order: the edges of a year are read, not the year)."""
    ranges, cursor = [], period.start
    for month in months:
        if cursor < month:
            ranges.append((cursor, month))
        cursor = next_bucket(month, "month")
    if cursor < period.end:
        ranges.append((cursor, period.end))
    where = [or_(false(), *(and_(column >= a, column < b) for a, b in ranges))]
    if exclude:
        where.append(column.not_in(sorted(exclude)))
    return where


def _day_bucket(column: Any, grouping: str, name: str) -> ColumnElement[Any]:
    """The first day of the bucket of a date column."""
    if grouping == "day":
        return column  # type: ignore[no-any-return]
    if name == "postgresql":
        unit = literal(grouping, literal_execute=True)
        return cast(func.date_trunc(unit, cast(column, DateTime())), Date)
    if grouping == "week":
        return func.date(column, "-6 days", "weekday 1")
    return func.strftime("%Y-%m-01", column)
