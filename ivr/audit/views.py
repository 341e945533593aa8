"""The audit log in the console: supervisors browse and filter it, newest entry first."""

from __future__ import annotations

from flask import Blueprint, Flask, render_template, request
from flask.typing import ResponseReturnValue

from ivr.audit.browse import OUTCOMES, parse_audit_filters, search_audit
from ivr.audit.web import audit_access
from ivr.auth import roles_required
from ivr.console import add_nav_item
from ivr.extensions import db
from ivr.i18n import _l
from ivr.reports.queries import InvalidQuery, Page

bp = Blueprint("audit_log", __name__)
FILTER_NAMES = ("actor", "action", "target_type", "target_id", "outcome", "from", "to")


@bp.get("/audit")
@roles_required("supervisor")
def entries() -> ResponseReturnValue:
    """One page of entries matching the form's filters; reading the log is itself logged."""
    args = {k: v for k, v in request.args.items() if k in FILTER_NAMES and v.strip()}
    error = None
    try:
        filters = parse_audit_filters(args)
        page = search_audit(db.session, filters, cursor=request.args.get("cursor") or None)
    except InvalidQuery as exc:
        error, page = str(exc), Page([], None, None)
    if error is None:
        audit_access("audit.search", "audit_log", None, filters=args, shown=len(page.items))
    html = render_template(
        "audit/entries.html", page=page, args=args, error=error, outcomes=OUTCOMES
    )
    return html, 400 if error else 200, {"Cache-Control": "no-store"}


def init_app(app: Flask) -> None:
    """Register the page and its navigation entry (supervisors and above)."""
    app.register_blueprint(bp)
    add_nav_item(app, "audit_log.entries", _l("Audit log"), role="supervisor", order=60)
