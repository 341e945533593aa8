"""Report figures: volumes, breakdowns, and how fast reports are handled.

A report belongs to the bucket of the local day it was received on (the start of its
call). Durations are in seconds:

- call end -> ready: ``ready_at`` minus the call's ``ended_at`` (the pipeline's work);
- first review: the first change of status to ``in_review`` minus ``received_at``;
- referral: the first referral's ``referred_at`` minus ``received_at``.

An urgent report is reviewed within the target when its first review came at most
``target`` after it was received; one not yet reviewed counts as not within the target.
"""

from __future__ import annotations

from collections import Counter
from datetime import timedelta
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, func, select
from sqlalchemy.orm import Session

from ivr.metrics.calls import in_period
from ivr.metrics.periods import Period
from ivr.metrics.sql import dialect, seconds_between
from models import Call, Referral, Report, ReportChange

DIMENSIONS = ("category", "classification", "language", "province", "priority")
REPORT_COUNTS = ("reports", "urgent", "repeat_callers", "immediate_danger")
SLA_COUNTS = ("urgent", "urgent_within_target", "urgent_late", "urgent_unreviewed")
TIMINGS = ("ready_s", "review_s", "referral_s")
UNKNOWN = "unknown"


def report_counts(
    session: Session, period: Period, key: ColumnElement[Any]
) -> dict[Any, dict[str, int]]:
    """Per ``key`` (over ``Report.received_at``): the counts named in :data:`REPORT_COUNTS`."""
    count = func.count(Report.id)
    query = select(
        key.label("key"),
        count,
        count.filter(Report.priority == "urgent"),
        count.filter(Report.repeat_caller.is_(True)),
        count.filter(Report.immediate_danger.is_(True)),
    ).where(in_period(Report.received_at, period))
    rows = session.execute(query.group_by(key))
    return {row[0]: dict(zip(REPORT_COUNTS, map(int, row[1:]), strict=True)) for row in rows}


def dimensions(
    session: Session, period: Period, key: ColumnElement[Any]
) -> dict[Any, dict[str, Counter[str]]]:
    """Per ``key``: reports by each of :data:`DIMENSIONS` (NULL counted as ``unknown``).

    One query groups by all five at once (a few hundred combinations a day at most) and
    the margins are added up here: one pass over the reports instead of five.
    """
    columns = (
        Report.category,
        Report.classification,
        Report.language,
        Report.caller_region,
        Report.priority,
    )
    query = select(key.label("key"), *columns, func.count(Report.id)).where(
        in_period(Report.received_at, period)
    )
    query = query.group_by(key, *columns)
    out: dict[Any, dict[str, Counter[str]]] = {}
    for k, *values, n in session.execute(query):
        margins = out.setdefault(k, {name: Counter() for name in DIMENSIONS})
        for name, value in zip(DIMENSIONS, values, strict=True):
            margins[name][value or UNKNOWN] += int(n)
    return out


def _first_review(period: Period) -> Any:
    # Only the history of the period's reports is aggregated: a short range probes
    # ix_report_changes_report_at per report, a long one hash-joins. (A correlated
    # subquery would be evaluated once per percentile on PostgreSQL.)
    return (
        select(ReportChange.report_id, func.min(ReportChange.at).label("at"))
        .join(Report, Report.id == ReportChange.report_id)
        .where(
            in_period(Report.received_at, period),
            ReportChange.field == "status",
            ReportChange.new_value == "in_review",
        )
        .group_by(ReportChange.report_id)
        .subquery()
    )


def _first_referral(period: Period) -> Any:
    return (
        select(Referral.report_id, func.min(Referral.referred_at).label("at"))
        .join(Report, Report.id == Referral.report_id)
        .where(in_period(Report.received_at, period))
        .group_by(Referral.report_id)
        .subquery()
    )


def _timing_rows(session: Session, period: Period, key: ColumnElement[Any]) -> Select[Any]:
    name = dialect(session)
    review, referral = _first_review(period), _first_referral(period)
    query: Select[Any] = (
        select(
            key.label("key"),
            Report.priority.label("priority"),
            seconds_between(Report.ready_at, Call.ended_at, name).label("ready_s"),
            seconds_between(review.c.at, Report.received_at, name).label("review_s"),
            seconds_between(referral.c.at, Report.received_at, name).label("referral_s"),
        )
        .join(Call, and_(Call.id == Report.call_id, in_period(Call.started_at, period)))
        .outerjoin(review, review.c.report_id == Report.id)
        .outerjoin(referral, referral.c.report_id == Report.id)
        .where(in_period(Report.received_at, period))
    )
    return query


def timing_values(
    session: Session, period: Period, key: ColumnElement[Any]
) -> list[tuple[Any, float | None, float | None, float | None]]:
    """Per report of the period: ``(key, *TIMINGS)`` in seconds (None: not yet)."""
    rows = _timing_rows(session, period, key).subquery()
    query = select(rows.c.key, *(rows.c[name] for name in TIMINGS))
    return [
        (k, _seconds(ready), _seconds(review), _seconds(referral))
        for k, ready, review, referral in session.execute(query)
    ]


def _seconds(value: Any) -> float | None:
    return None if value is None else float(value)


def urgent_sla(
    session: Session, period: Period, key: ColumnElement[Any], target: timedelta
) -> dict[Any, dict[str, int]]:
    """Per ``key``: urgent reports, and those first reviewed within ``target``, late, or
    not yet (:data:`SLA_COUNTS`)."""
    rows = _timing_rows(session, period, key).where(Report.priority == "urgent").subquery()
    count = func.count()
    limit = target.total_seconds()
    query = select(
        rows.c.key,
        count,
        count.filter(rows.c.review_s <= limit),
        count.filter(rows.c.review_s > limit),
        count.filter(rows.c.review_s.is_(None)),
    ).group_by(rows.c.key)
    found = session.execute(query)
    return {row[0]: dict(zip(SLA_COUNTS, map(int, row[1:]), strict=True)) for row in found}
