"""Metrics for supervisors: every figure of the line for a date range, computed in SQL.

No Flask in the query modules (:mod:`ivr.metrics.calls`, :mod:`ivr.metrics.reports`,
:mod:`ivr.metrics.work`, :mod:`ivr.metrics.dashboard`); the console pages live in
:mod:`ivr.metrics.views`.
"""

from ivr.metrics.dashboard import TABLES, Dashboard, Table, build_dashboard
from ivr.metrics.periods import GROUPINGS, InvalidPeriod, Period, parse_period

__all__ = [
    "GROUPINGS",
    "TABLES",
    "Dashboard",
    "InvalidPeriod",
    "Period",
    "Table",
    "build_dashboard",
    "parse_period",
]
