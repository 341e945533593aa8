"""Who does the work and what is waiting: per-operator figures and the backlog.

Per operator, over the period (from the report history, by the change's author):
reviews started (status -> ``in_review``), reports referred, closed and marked
duplicate (the throughput); and, now, the open reports assigned to them (the workload).
The backlog is what is open now (``new`` or ``in_review``), by priority.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.orm import Session

from ivr.metrics.calls import in_period
from ivr.metrics.periods import Period
from models import PRIORITIES, Report, ReportChange

OPEN_STATUSES = ("new", "in_review")
OPERATOR_COUNTS = ("reviews_started", "referred", "closed", "duplicate", "open_assigned")
_STATUS_COUNTS = {
    "in_review": "reviews_started",
    "referred": "referred",
    "closed": "closed",
    "duplicate": "duplicate",
}


def status_changes(
    session: Session, period: Period, key: ColumnElement[Any]
) -> dict[Any, Counter[tuple[str, str]]]:
    """Per ``key`` (over ``ReportChange.at``): ``(count name, author)`` -> how many, for
    the throughput counts of :data:`OPERATOR_COUNTS`."""
    query = select(
        key.label("key"), ReportChange.author, ReportChange.new_value, func.count(ReportChange.id)
    ).where(
        ReportChange.field == "status",
        ReportChange.new_value.in_(tuple(_STATUS_COUNTS)),
        in_period(ReportChange.at, period),
    )
    columns = (ReportChange.author, ReportChange.new_value)
    query = query.group_by(key, *columns)
    out: dict[Any, Counter[tuple[str, str]]] = {}
    for k, author, status, n in session.execute(query):
        out.setdefault(k, Counter())[(_STATUS_COUNTS[str(status)], str(author))] += int(n)
    return out


def open_assigned(session: Session) -> dict[str, int]:
    """Open reports assigned to each operator now (their workload)."""
    query = (
        select(Report.assignee, func.count())
        .where(Report.status.in_(OPEN_STATUSES), Report.assignee.is_not(None))
        .group_by(Report.assignee)
    )
    return {str(assignee): int(n) for assignee, n in session.execute(query)}


@dataclass(frozen=True)
class BacklogRow:
    """Open reports of one priority: how many, how many not yet picked up, the oldest."""

    priority: str
    open: int
    new: int
    oldest_received_at: datetime | None

    def oldest_age_s(self, now: datetime) -> float | None:
        """Seconds the oldest of them has waited at ``now``."""
        return (
            None
            if self.oldest_received_at is None
            else (now - self.oldest_received_at).total_seconds()
        )


def backlog(session: Session) -> list[BacklogRow]:
    """The open reports now, one row per priority (urgent first), every priority shown."""
    query = (
        select(
            Report.priority,
            func.count(),
            func.count().filter(Report.status == "new"),
            func.min(Report.received_at),
        )
        .where(Report.status.in_(OPEN_STATUSES))
        .group_by(Report.priority)
    )
    found = {p: (int(n), int(new), oldest) for p, n, new, oldest in session.execute(query)}
    rows = []
    for priority in PRIORITIES:
        n, new, oldest = found.get(priority, (0, 0, None))
        rows.append(BacklogRow(priority, n, new, oldest))
    return rows
