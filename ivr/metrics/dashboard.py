"""Every figure of the supervisors' dashboard for a period, with the previous period.

:func:`build_dashboard` runs the queries of :mod:`ivr.metrics.calls`,
:mod:`ivr.metrics.reports` and :mod:`ivr.metrics.work`; :meth:`Dashboard.tables` gives
each table as plain rows (for the page and the CSV files). No Flask here.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session

from ivr.metrics import calls, reports, rollup, work
from ivr.metrics.periods import Period
from ivr.metrics.tally import Tally, total

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
    The figures come from the daily rollup (:mod:`ivr.metrics.rollup`), the backlog and
    the operators' open reports from the reports as they are now.
    """
    wanted = frozenset(parts)
    if not wanted <= PARTS:
        raise ValueError(f"unknown parts: {sorted(wanted - PARTS)}")
    previous = period.previous()
    dash = Dashboard(period, previous, urgent_target, now, wanted)
    by_bucket: dict[date, Tally] = {}
    if wanted & {"summary", "series", "funnel", "breakdowns", "operators"}:
        by_bucket = rollup.figures(session, period, urgent_target)
    current, before = total(by_bucket.values()), Tally()
    if wanted & {"summary", "funnel", "breakdowns"}:
        # Only its totals: by month, the rollup's whole months are read as one row each.
        by_month = replace(previous, grouping="month")
        before = total(rollup.figures(session, by_month, urgent_target).values())
    if "summary" in wanted:
        now_row, before_row = _row(current), _row(before)
        dash.summary = {k: (now_row[k], before_row[k]) for k in SUMMARY}
    if "series" in wanted:
        dash.buckets = period.buckets()
        rows = [_row(by_bucket[b]) for b in dash.buckets]
        dash.series = {k: [row[k] for row in rows] for k in SERIES}
        dash.categories_by_bucket = {
            c: [by_bucket[b].count("dim:category", c) for b in dash.buckets] for c in CATEGORIES
        }
    if "funnel" in wanted:
        order = {step: i for i, step in enumerate(steps)}
        rows3 = _side_by_side(_most_common(current, "funnel"), _most_common(before, "funnel"))
        dash.funnel = sorted(rows3, key=lambda r: (order.get(r[0], len(order)), -r[1], -r[2], r[0]))
    if "breakdowns" in wanted:
        dash.breakdowns = {
            name: _side_by_side(
                _most_common(current, f"dim:{name}"), _most_common(before, f"dim:{name}")
            )
            for name in reports.DIMENSIONS
        }
    if "operators" in wanted:
        dash.operators = _operators(current, work.open_assigned(session))
    if "backlog" in wanted:
        dash.backlog = work.backlog(session)
    return dash


def _row(tally: Tally) -> dict[str, Number]:
    """The per-period figures (:data:`SUMMARY`) of a tally."""
    row: dict[str, Number] = {k: tally.count(k) for k in calls.CALL_COUNTS}
    row.update({k: tally.count(k) for k in reports.REPORT_COUNTS})
    row.update({k: tally.count(f"sla:{k}") for k in reports.SLA_COUNTS})
    row["voicemails"] = tally.count("voicemails")
    row["call_time_p50_s"], row["call_time_p90_s"] = tally.quantiles("duration_s", (0.5, 0.9))
    for timing in reports.TIMINGS:
        row[f"{timing}_p50"], row[f"{timing}_p90"] = tally.quantiles(timing, (0.5, 0.9))
    row["call_time_avg_s"] = _ratio(tally.count("duration_total_s"), tally.count("duration_count"))
    n_reports = tally.count("reports")
    row["urgent_share"] = _ratio(tally.count("urgent"), n_reports)
    row["repeat_caller_share"] = _ratio(tally.count("repeat_callers"), n_reports)
    row["urgent_within_target_share"] = _ratio(
        tally.count("sla:urgent_within_target"), tally.count("sla:urgent")
    )
    return row


def _most_common(tally: Tally, figure: str) -> list[tuple[str, int]]:
    return sorted(tally.keyed(figure).items(), key=lambda r: (-r[1], r[0]))


def _operators(tally: Tally, assigned: dict[str, int]) -> dict[str, dict[str, int]]:
    out: dict[str, dict[str, int]] = {}
    for (figure, author), n in tally.counts.items():
        if figure.startswith("op:") and n:
            out.setdefault(author, dict.fromkeys(work.OPERATOR_COUNTS, 0))[figure[3:]] = n
    for author, n in assigned.items():
        out.setdefault(author, dict.fromkeys(work.OPERATOR_COUNTS, 0))["open_assigned"] = n
    return dict(sorted(out.items()))


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
