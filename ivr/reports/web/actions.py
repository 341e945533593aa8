"""The triage forms of the record page: each POST changes one thing, then back to the page.

A refused change (:class:`ivr.reports.triage.TriageError`) changes nothing, is audited as
``report.<action>`` with outcome ``failed`` and the rule's code, and the record page shows
why (``?error=<code>``). A change the role does not allow is a 403 (audited by the
console as ``access.denied``).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, time

from flask import redirect, request, url_for
from flask.typing import ResponseReturnValue

from ivr.audit import audit_failure
from ivr.auth import roles_required
from ivr.extensions import cipher, db
from ivr.reports import triage
from ivr.reports.web import bp
from ivr.reports.web.context import actor, refuse, report_or_404
from models import Report
from models.base import utcnow

Change = Callable[[Report, triage.Actor], object]


def _apply(report_number: str, action: str, change: Change) -> ResponseReturnValue:
    report = report_or_404(report_number)
    target = url_for("reports.record", report_number=report.report_number)
    try:
        change(report, actor())
    except triage.NotPermitted:
        refuse(f"role may not {action} reports")
    except triage.TriageError as exc:
        db.session.rollback()
        audit_failure(
            f"report.{action}",
            "report",
            report.id,
            outcome="failed",
            code=exc.code,
            report_number=report.report_number,
        )
        return redirect(f"{target}?error={exc.code}#triage", 303)
    return redirect(f"{target}#triage", 303)


def _field(name: str) -> str:
    return request.form.get(name, "").strip()


def _optional(name: str) -> str | None:
    return _field(name) or None


def _referral_moment(value: str) -> datetime | None:
    """The referral's moment from the form's date: now when it is today (or empty), else
    noon UTC of that day; a malformed date is refused by the service's date check."""
    if not value:
        return None
    try:
        day = date.fromisoformat(value)
    except ValueError:
        return datetime.max.replace(tzinfo=UTC)  # refused as bad_date
    if day == utcnow().date():
        return None
    return datetime.combine(day, time(12), tzinfo=UTC)


def _not_before(moment: datetime | None, report: Report) -> datetime | None:
    """A referral dated the day the report came in is not before the report itself."""
    if moment is not None and moment.date() == report.received_at.date():
        return max(moment, report.received_at)
    return moment


@bp.post("/reports/<report_number>/claim")
@roles_required("operator")
def claim(report_number: str) -> ResponseReturnValue:
    """Take the report: assigned to me, and in review."""
    return _apply(report_number, "claim", lambda r, a: triage.claim(db.session, r, a))


@bp.post("/reports/<report_number>/assign")
@roles_required("supervisor")
def assign(report_number: str) -> ResponseReturnValue:
    """Assign the report to an analyst, or to nobody (supervisors)."""
    assignee = _optional("assignee")
    return _apply(report_number, "assign", lambda r, a: triage.assign(db.session, r, a, assignee))


@bp.post("/reports/<report_number>/status")
@roles_required("operator")
def status(report_number: str) -> ResponseReturnValue:
    """Move the report along the workflow."""
    new = _field("status")
    return _apply(report_number, "status", lambda r, a: triage.set_status(db.session, r, a, new))


@bp.post("/reports/<report_number>/classification")
@roles_required("operator")
def classification(report_number: str) -> ResponseReturnValue:
    """Set (or clear) the secondary classification."""
    value = _optional("classification")
    return _apply(report_number, "classify", lambda r, a: triage.classify(db.session, r, a, value))


@bp.post("/reports/<report_number>/priority")
@roles_required("operator")
def priority(report_number: str) -> ResponseReturnValue:
    """Override the priority, with a reason."""
    level, reason = _field("priority"), _field("reason")
    return _apply(
        report_number,
        "priority",
        lambda r, a: triage.override_priority(db.session, r, a, level, reason),
    )


@bp.post("/reports/<report_number>/notes")
@roles_required("operator")
def note(report_number: str) -> ResponseReturnValue:
    """Add a note (stored encrypted)."""
    text = _field("text")
    return _apply(
        report_number, "note", lambda r, a: triage.add_note(db.session, r, a, text, cipher.current)
    )


@bp.post("/reports/<report_number>/referrals")
@roles_required("operator")
def referral(report_number: str) -> ResponseReturnValue:
    """Record a referral and mark the report referred."""
    agency, reference = _field("agency"), _optional("reference")
    moment = _referral_moment(_field("referred_on"))
    return _apply(
        report_number,
        "refer",
        lambda r, a: triage.refer(
            db.session, r, a, agency=agency, reference=reference, referred_at=_not_before(moment, r)
        ),
    )
