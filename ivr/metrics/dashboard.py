"""Every figure of the supervisors' dashboard for a period, with the previous period.

:func:`build_dashboard` runs the queries of :mod:`ivr.metrics.calls`,
:mod:`ivr.metrics.reports` and :mod:`ivr.metrics.work`; :meth:`Dashboard.tables` gives
each table as plain rows (for the page and the CSV files). No Flask here.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement
from sqlalchemy.orm import Session

from ivr.metrics import calls, reports, work
from ivr.metrics.periods import Period
from ivr.metrics.sql import TOTAL, as_date, bucket_of, dialect
from models import Call, Report

Number = int | float | None
CATEGORIES = ("csam", "luring", "exploitation", "other", "unknown")
# The summary's figures, in the order shown.
SUMMARY = (
    "calls",
    "reports",
    "calls_without_report",
    "informational_calls",
    "transfers_answered",
    "transfers_unanswered",
    "transfers_closed",
    "voicemails",
    "call_time_avg_s",
    "call_time_p50_s",
    "call_time_p90_s",
    "urgent",
    "urgent_share",
    "immediate_danger",
    "repeat_callers",
    "repeat_caller_share",
    "ready_s_p50",
    "ready_s_p90",
    "review_s_p50",
    "review_s_p90",
    "referral_s_p50",
    "referral_s_p90",
    "urgent_within_target",
    "urgent_late",
    "urgent_unreviewed",
    "urgent_within_target_share",
)
# The figures drawn per bucket (the "over time" table and its charts).
SERIES = (
    "calls",
    "reports",
    "calls_without_report",
    "informational_calls",
    "voicemails",
    "urgent",
    "call_time_p50_s",
    "review_s_p50",
    "urgent_within_target_share",
)
PARTS = frozenset({"summary", "series", "funnel", "breakdowns", "operators", "backlog"})
# The part of the dashboard each table is made of.
PART_OF = {
    "summary": "summary",
    "series": "series",
    "funnel": "funnel",
    "backlog": "backlog",
    "operators": "operators",
    **{name: "breakdowns" for name in reports.DIMENSIONS},
}
TABLES = (
    "summary",
    "series",
    "funnel",
    "backlog",
    "operators",
    *reports.DIMENSIONS,
)


@dataclass(frozen=True)
class Table:
    """One table of the dashboard: column names and rows, as written to CSV."""

    name: str
    columns: tuple[str, ...]
    rows: list[tuple[Any, ...]]


@dataclass
class Dashboard:
    """The figures of ``period`` and of ``previous`` (same length, just before)."""

    period: Period
    previous: Period
    urgent_target: timedelta
    now: datetime
    parts: frozenset[str] = PARTS
    summary: dict[str, tuple[Number, Number]] = field(default_factory=dict)
    buckets: list[date] = field(default_factory=list)
    series: dict[str, list[Number]] = field(default_factory=dict)
    categories_by_bucket: dict[str, list[int]] = field(default_factory=dict)
    funnel: list[tuple[str, int, int]] = field(default_factory=list)
    breakdowns: dict[str, list[tuple[str, int, int]]] = field(default_factory=dict)
    operators: dict[str, dict[str, int]] = field(default_factory=dict)
    backlog: list[work.BacklogRow] = field(default_factory=list)

    def tables(self) -> dict[str, Table]:
        """Every table that was built (see ``parts``), by name (see :data:`TABLES`)."""
        return {name: self.table(name) for name in TABLES if PART_OF[name] in self.parts}

    def table(self, name: str) -> Table:
        """One table (its part must have been built)."""
        if name == "summary":
            return Table(name, ("figure", "current", "previous"), self._summary_rows())
        if name == "series":
            columns = ("bucket", *SERIES, *(f"reports_{c}" for c in CATEGORIES))
            return Table(name, columns, self._series_rows())
        if name == "funnel":
            return Table(name, ("step", "current", "previous"), list(self.funnel))
        if name == "backlog":
            return Table(name, ("priority", "open", "new", "oldest_wait_s"), self._backlog_rows())
        if name == "operators":
            rows = [
                (op, *(row[k] for k in work.OPERATOR_COUNTS)) for op, row in self.operators.items()
            ]
            return Table(name, ("operator", *work.OPERATOR_COUNTS), rows)
        return Table(name, (name, "current", "previous"), list(self.breakdowns[name]))

    def _summary_rows(self) -> list[tuple[Any, ...]]:
        return [(k, *self.summary[k]) for k in SUMMARY]

    def _series_rows(self) -> list[tuple[Any, ...]]:
        return [
            (
                b.isoformat(),
                *(self.series[k][i] for k in SERIES),
                *(self.categories_by_bucket[c][i] for c in CATEGORIES),
            )
            for i, b in enumerate(self.buckets)
        ]

    def _backlog_rows(self) -> list[tuple[Any, ...]]:
        return [(r.priority, r.open, r.new, _round(r.oldest_age_s(self.now))) for r in self.backlog]


def build_dashboard(
    session: Session,
    period: Period,
    *,
    urgent_target: timedelta,
    now: datetime,
    steps: Sequence[str] = (),
    parts: Iterable[str] = PARTS,
) -> Dashboard:
    """The figures for ``period`` and its previous period: all of them, or only the
    ``parts`` asked for (:data:`PARTS`; e.g. one table for its CSV file).

    ``steps`` orders the funnel (the flow's nodes in order); ``now`` ages the backlog.
    """
    wanted = frozenset(parts)
    if not wanted <= PARTS:
        raise ValueError(f"unknown parts: {sorted(wanted - PARTS)}")
    previous = period.previous()
    dash = Dashboard(period, previous, urgent_target, now, wanted)
    if "summary" in wanted:
        current = _totals(session, period, urgent_target)
        before = _totals(session, previous, urgent_target)
        dash.summary = {k: (current[k], before[k]) for k in SUMMARY}
    if "series" in wanted:
        dash.buckets = period.buckets()
        by_bucket = _per_bucket(session, period, urgent_target, dash.buckets)
        dash.series = {k: [row[k] for row in by_bucket] for k in SERIES}
        dash.categories_by_bucket = _categories(session, period, dash.buckets)
    if "funnel" in wanted:
        dash.funnel = _funnel(session, period, previous, steps)
    if "breakdowns" in wanted:
        dash.breakdowns = _breakdowns(session, period, previous)
    if "operators" in wanted:
        dash.operators = work.operators(session, period)
    if "backlog" in wanted:
        dash.backlog = work.backlog(session)
    return dash


def _figures(
    session: Session, period: Period, target: timedelta, keys: tuple[Any, Any]
) -> dict[Any, dict[str, Number]]:
    """Every per-bucket figure, keyed by the bucket value (``keys``: the key expression
    over calls, then over reports)."""
    call_key, report_key = keys
    counts = calls.call_counts(session, period, call_key)
    mails = calls.voicemails(session, period, call_key)
    times = calls.call_time(session, period, call_key)
    rep = reports.report_counts(session, period, report_key)
    timing = reports.timings(session, period, report_key)
    sla = reports.urgent_sla(session, period, report_key, target)
    out: dict[Any, dict[str, Number]] = {}
    for k in {*counts, *mails, *times, *rep, *timing, *sla}:
        out[k] = _combine(
            counts.get(k, {}),
            mails.get(k, 0),
            times.get(k, [None, None]),
            rep.get(k, {}),
            timing.get(k, {}),
            sla.get(k, {}),
        )
    return out


def _combine(
    counts: dict[str, int],
    mails: int,
    times: list[float | None],
    rep: dict[str, int],
    timing: dict[str, float | None],
    sla: dict[str, int],
) -> dict[str, Number]:
    row: dict[str, Number] = dict.fromkeys(SUMMARY, None)
    row.update({k: counts.get(k, 0) for k in calls.CALL_COUNTS})
    row.update({k: rep.get(k, 0) for k in reports.REPORT_COUNTS})
    row.update({k: sla.get(k, 0) for k in reports.SLA_COUNTS})
    row.update(timing)
    row["voicemails"] = mails
    row["call_time_p50_s"], row["call_time_p90_s"] = times
    row["call_time_avg_s"] = _ratio(
        counts.get("duration_total_s", 0), counts.get("duration_count", 0)
    )
    n_reports = rep.get("reports", 0)
    row["urgent_share"] = _ratio(rep.get("urgent", 0), n_reports)
    row["repeat_caller_share"] = _ratio(rep.get("repeat_callers", 0), n_reports)
    row["urgent_within_target_share"] = _ratio(
        sla.get("urgent_within_target", 0), sla.get("urgent", 0)
    )
    return row


def _totals(session: Session, period: Period, target: timedelta) -> dict[str, Number]:
    found = _figures(session, period, target, (TOTAL, TOTAL))
    return found.get("all") or _combine({}, 0, [None, None], {}, {}, {})


def _per_bucket(
    session: Session, period: Period, target: timedelta, buckets: list[date]
) -> list[dict[str, Number]]:
    name = dialect(session)
    keys = (
        bucket_of(Call.started_at, period, name),
        bucket_of(Report.received_at, period, name),
    )
    found = {as_date(k): v for k, v in _figures(session, period, target, keys).items()}
    empty = _combine({}, 0, [None, None], {}, {}, {})
    return [found.get(b, empty) for b in buckets]


def _categories(session: Session, period: Period, buckets: list[date]) -> dict[str, list[int]]:
    key: ColumnElement[Any] = bucket_of(Report.received_at, period, dialect(session))
    found = {as_date(k): v for k, v in reports.category_counts(session, period, key).items()}
    return {c: [found.get(b, Counter())[c] for b in buckets] for c in CATEGORIES}


def _breakdowns(
    session: Session, period: Period, previous: Period
) -> dict[str, list[tuple[str, int, int]]]:
    now, before = reports.breakdowns(session, period), reports.breakdowns(session, previous)
    return {
        name: _side_by_side(now[name].most_common(), before[name].most_common())
        for name in reports.DIMENSIONS
    }


def _funnel(
    session: Session, period: Period, previous: Period, steps: Sequence[str]
) -> list[tuple[str, int, int]]:
    now, before = calls.funnel(session, period), calls.funnel(session, previous)
    order = {step: i for i, step in enumerate(steps)}
    rows = _side_by_side(now, before)
    return sorted(rows, key=lambda row: (order.get(row[0], len(order)), -row[1], -row[2], row[0]))


def _side_by_side(
    current: list[tuple[str, int]], previous: list[tuple[str, int]]
) -> list[tuple[str, int, int]]:
    # The current period's order, then what only the previous period had.
    before = dict(previous)
    rows = [(k, n, before.pop(k, 0)) for k, n in current]
    return rows + [(k, 0, n) for k, n in before.items()]


def _ratio(part: int, whole: int) -> float | None:
    return None if not whole else part / whole


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 1)
