"""Who does the work and what is waiting: per-operator figures and the backlog.

Per operator, over the period (from the report history, by the change's author):
reviews started (status -> ``in_review``), reports referred, closed and marked
duplicate (the throughput); and, now, the open reports assigned to them (the workload).
The backlog is what is open now (``new`` or ``in_review``), by priority.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
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


def operators(session: Session, period: Period) -> dict[str, dict[str, int]]:
    """Per operator (username): the counts named in :data:`OPERATOR_COUNTS`."""
    changes = (
        select(ReportChange.author, ReportChange.new_value, func.count(ReportChange.id))
        .where(
            ReportChange.field == "status",
            ReportChange.new_value.in_(tuple(_STATUS_COUNTS)),
            in_period(ReportChange.at, period),
        )
        .group_by(ReportChange.author, ReportChange.new_value)
    )
    out: dict[str, dict[str, int]] = {}
    for author, status, n in session.execute(changes):
        out.setdefault(author, dict.fromkeys(OPERATOR_COUNTS, 0))[_STATUS_COUNTS[str(status)]] = (
            int(n)
        )
    assigned = (
        select(Report.assignee, func.count(Report.id))
        .where(Report.status.in_(OPEN_STATUSES), Report.assignee.is_not(None))
        .group_by(Report.assignee)
    )
    for assignee, n in session.execute(assigned):
        out.setdefault(str(assignee), dict.fromkeys(OPERATOR_COUNTS, 0))["open_assigned"] = int(n)
    return dict(sorted(out.items()))


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
            func.count(Report.id),
            func.count(Report.id).filter(Report.status == "new"),
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
