"""Call figures: volumes, how calls ended, transfers, voicemails, call time, the funnel.

A call belongs to the bucket of the local day it started on. "Ended before a report":
the call is over and no report was made of it; its ``last_step`` is the step at which
the caller left (the IVR funnel). "Informational": such a call whose caller chose the
information option (flow variable ``info``).
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from sqlalchemy import ColumnElement, and_, func, select
from sqlalchemy.orm import Session

from ivr.metrics.periods import Period
from models import Call, Recording, Report

# Recordings that hold no message (see ivr.reports.pipeline.UNUSABLE_RECORDING).
NO_MESSAGE = ("absent", "failed")
CALL_COUNTS = (
    "calls",
    "calls_with_report",
    "calls_without_report",
    "informational_calls",
    "transfers_answered",
    "transfers_unanswered",
    "transfers_closed",
    "duration_total_s",
    "duration_count",
)


def in_period(column: Any, period: Period) -> ColumnElement[bool]:
    """``column`` (a UTC timestamp) falls within ``[period.start, period.end)``."""
    return and_(column >= period.start_utc, column < period.end_utc)


def _report_of_call(period: Period) -> ColumnElement[bool]:
    # A report is received when its call started: the range on both sides lets
    # PostgreSQL read only the range's reports (by index) instead of hashing them all.
    return and_(Report.call_id == Call.id, in_period(Report.received_at, period))


def _no_report() -> ColumnElement[bool]:
    return and_(Report.id.is_(None), Call.ended_at.is_not(None))


def call_counts(
    session: Session, period: Period, key: ColumnElement[Any]
) -> dict[Any, dict[str, int]]:
    """Per ``key`` (a bucket expression over ``Call.started_at``): the
    counts named in :data:`CALL_COUNTS`."""
    info = Call.flow_state[("vars", "info")].as_string() == "yes"
    count = func.count(Call.id)
    query = (
        select(
            key.label("key"),
            count,
            func.count(Report.id),
            count.filter(_no_report()),
            count.filter(_no_report(), info),
            count.filter(Call.transfer == "answered"),
            count.filter(Call.transfer == "unanswered"),
            count.filter(Call.transfer == "closed"),
            func.coalesce(func.sum(Call.duration_s), 0),
            func.count(Call.duration_s),
        )
        .outerjoin(Report, _report_of_call(period))
        .where(in_period(Call.started_at, period))
    )
    rows = session.execute(query.group_by(key))
    return {row[0]: dict(zip(CALL_COUNTS, map(int, row[1:]), strict=True)) for row in rows}


def voicemails(session: Session, period: Period, key: ColumnElement[Any]) -> dict[Any, int]:
    """Per ``key`` (over ``Call.started_at``): recordings that hold a message."""
    query = (
        select(key.label("key"), func.count(Recording.id))
        .join(Call, Call.id == Recording.call_id)
        .where(in_period(Call.started_at, period), Recording.status.not_in(NO_MESSAGE))
    )
    return {k: int(n) for k, n in session.execute(query.group_by(key))}


def durations(session: Session, period: Period, key: ColumnElement[Any]) -> list[tuple[Any, float]]:
    """Per ``key``: every known call time (seconds), as ``(key, seconds)`` rows."""
    query = select(key.label("key"), Call.duration_s).where(
        in_period(Call.started_at, period), Call.duration_s.is_not(None)
    )
    return [(k, float(v)) for k, v in session.execute(query)]


def funnel(session: Session, period: Period, key: ColumnElement[Any]) -> dict[Any, Counter[str]]:
    """Per ``key``: calls that ended before a report, by the step the caller left at; a
    call that never reached a step is counted under ``""``."""
    step = func.coalesce(Call.last_step, "")
    query = (
        select(key.label("key"), step, func.count(Call.id))
        .outerjoin(Report, _report_of_call(period))
        .where(in_period(Call.started_at, period), _no_report())
    )
    query = query.group_by(key, step)
    out: dict[Any, Counter[str]] = {}
    for k, name, n in session.execute(query):
        out.setdefault(k, Counter())[str(name)] = int(n)
    return out
