"""The supervisors' dashboard: the page and a CSV file per table.

Thin views: parse the period, build the figures (:mod:`ivr.metrics.dashboard`), render.
Every CSV download is audited (``metrics.export``).
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable
from datetime import UTC, date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from flask import Blueprint, Flask, Response, abort, current_app, render_template, request
from flask_babel import format_decimal, format_percent  # type: ignore[import-untyped]

from ivr.audit import audit_access
from ivr.auth import roles_required
from ivr.console import add_nav_item
from ivr.extensions import db
from ivr.i18n import _, _l
from ivr.metrics import labels, rollup
from ivr.metrics.dashboard import (
    CATEGORIES,
    PART_OF,
    PARTS,
    SERIES,
    TABLES,
    Dashboard,
    build_dashboard,
)
from ivr.metrics.periods import GROUPINGS, InvalidPeriod, Period, parse_period
from ivr.reports.web.labels import CATEGORY

bp = Blueprint("metrics", __name__, url_prefix="/dashboard")

__all__ = ["bp", "init_app"]


@bp.get("")
@roles_required("supervisor")
def dashboard() -> Response:
    """The dashboard for the period of the form (default: the last 30 days)."""
    period, error = _period_or_default()
    dash = _build(period)
    page = render_template(
        "metrics/dashboard.html",
        dash=dash,
        tables=dash.tables(),
        error=error,
        groupings=GROUPINGS,
        charts=json.dumps(_charts(dash)),
    )
    return _no_store(Response(page, status=400 if error else 200))


@bp.get("/<name>.csv")
@roles_required("supervisor")
def table_csv(name: str) -> Response:
    """One table of the dashboard as CSV, for the period of the query string."""
    if name not in TABLES:
        abort(404)
    try:
        period = _period()
    except InvalidPeriod as exc:
        abort(400, str(exc))
    table = _build(period, parts=(PART_OF[name],)).tables()[name]
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(table.columns)
    writer.writerows([_csv_cell(v) for v in row] for row in table.rows)
    audit_access(
        "metrics.export",
        "metrics",
        name,
        start=period.start.isoformat(),
        end=period.end.isoformat(),
        grouping=period.grouping,
        rows=len(table.rows),
    )
    filename = f"{name}-{period.start.isoformat()}-{period.end.isoformat()}.csv"
    response = Response(out.getvalue(), mimetype="text/csv")
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    return _no_store(response)


def _period() -> Period:
    args = request.args
    tz = _time_zone()
    return parse_period(
        args.get("start"), args.get("end"), args.get("grouping"), tz=tz, today=_today(tz)
    )


def _period_or_default() -> tuple[Period, str | None]:
    try:
        return _period(), None
    except InvalidPeriod as exc:
        tz = _time_zone()
        return parse_period(None, None, None, tz=tz, today=_today(tz)), str(exc)


def _time_zone() -> str:
    return rollup.settings(current_app.config)[0]


def _today(tz: str) -> date:
    return datetime.now(ZoneInfo(tz)).date()


def _build(period: Period, parts: Iterable[str] = PARTS) -> Dashboard:
    _tz, target = rollup.settings(current_app.config)
    steps = tuple(current_app.extensions["callflow"].flow.nodes)
    return build_dashboard(
        db.session, period, urgent_target=target, now=datetime.now(UTC), steps=steps, parts=parts
    )


def _charts(dash: Dashboard) -> dict[str, Any]:
    """What dashboard.js draws: labels and numbers only, translated."""
    return {
        "buckets": [b.isoformat() for b in dash.buckets],
        "volumes": {k: {"label": str(labels.FIGURES[k]), "data": dash.series[k]} for k in SERIES},
        "categories": {
            c: {"label": str(CATEGORY.get(c, c)), "data": dash.categories_by_bucket[c]}
            for c in CATEGORIES
        },
        "funnel": {
            "steps": [step or "\u2013" for step, _cur, _prev in dash.funnel],
            "current": [cur for _step, cur, _prev in dash.funnel],
            "previous": [prev for _step, _cur, prev in dash.funnel],
            "labels": [_("This period"), _("Previous period")],
        },
    }


def _csv_cell(value: Any) -> Any:
    # A text cell that a spreadsheet would read as a formula is quoted as text.
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@"):
        return "'" + value
    return value


def _no_store(response: Response) -> Response:
    response.headers["Cache-Control"] = "no-store"
    return response


def show(key: str, value: Any) -> str:
    """A figure's value as the page shows it."""
    if value is None:
        return "\u2013"
    if labels.is_share(key):
        return str(format_percent(value, "#,##0.0%"))
    if labels.is_duration(key):
        return labels.show_duration(value)
    return str(format_decimal(value))


def init_app(app: Flask) -> None:
    """Register the dashboard, its navigation entry and its template helpers."""
    app.register_blueprint(bp)
    add_nav_item(app, "metrics.dashboard", _l("Dashboard"), role="supervisor", order=60)

    @app.context_processor
    def metric_helpers() -> dict[str, Any]:
        return {"metric_labels": labels, "show_metric": show}
