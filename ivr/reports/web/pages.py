"""The pages analysts read: the queue, the call log, the call record, a transcript."""

from __future__ import annotations

from typing import Any

from flask import abort, render_template, request
from flask.typing import ResponseReturnValue

from ivr.audit import audit_access
from ivr.auth import get_viewer, roles_required
from ivr.extensions import cipher, db
from ivr.reports import queries, triage
from ivr.reports.document import mask_number, transcripts_by_recording
from ivr.reports.web import bp
from ivr.reports.web.context import may_reveal, recording_of, refuse, report_or_404
from ivr.reports.web.labels import TRIAGE_ERRORS
from models import Report

PATH_KIND = "ivr"  # the CallEvents that are steps of the IVR path (see ivr.reports.document)


def queue_page() -> ResponseReturnValue:
    """The analyst queue (the console's home page): open reports, most pressing first."""
    mine = request.args.get("mine") == "1"
    viewer = get_viewer()
    assignee = viewer.username if mine and viewer is not None else None
    try:
        page = queries.analyst_queue(
            db.session, cursor=request.args.get("cursor") or None, assignee=assignee
        )
    except queries.InvalidQuery:
        abort(400)
    total = queries.count_open_reports(db.session)
    return render_template("reports/queue.html", page=page, mine=mine, total=total)


@bp.get("/calls")
@roles_required("operator")
def calls() -> ResponseReturnValue:
    """The call log: every call, newest first, filtered by the form's values."""
    args = {k: v for k, v in request.args.items() if k in queries.CALL_FILTER_NAMES}
    error = False
    try:
        filters = queries.parse_call_filters(args)
        page = queries.search_calls(db.session, filters, cursor=request.args.get("cursor") or None)
    except queries.InvalidQuery:
        error = True
        page = queries.Page([], None, None)
    status = 400 if error else 200
    return render_template("reports/calls.html", page=page, args=args, error=error), status


def record_context(report: Report, **extra: Any) -> dict[str, Any]:
    """Everything the record page shows (no transcript text, the caller masked)."""
    call = report.call
    number = None
    if not report.anonymous and call.callback_enc is not None:
        number = mask_number(cipher.current.decrypt_text(call.callback_enc))
    viewer = get_viewer()
    supervisor = viewer is not None and viewer.has_role("supervisor")
    error_code = request.args.get("error", "")
    return {
        "report": report,
        "call": call,
        "path": [ev for ev in call.events if ev.kind == PATH_KIND and ev.node],
        "masked_number": number,
        "may_reveal": may_reveal(),
        "recordings": call.recordings,
        "transcripts": transcripts_by_recording(db.session, call.recordings),
        "entities": report.entities or {},
        "notes": triage.notes_of(db.session, report, cipher.current),
        "referrals": triage.referrals_of(db.session, report),
        "history": triage.history_of(db.session, report),
        "next_statuses": [s for s in triage.TRANSITIONS[report.status] if s != "referred"],
        "may_refer": report.status in ("in_review", "referred"),
        "classifications": triage.CLASSIFICATIONS,
        "assignable": triage.assignable_users(db.session) if supervisor else [],
        "error": TRIAGE_ERRORS.get(error_code),
        "revealed_number": None,
        **extra,
    }


@bp.get("/reports/<report_number>")
@roles_required("operator")
def record(report_number: str) -> ResponseReturnValue:
    """The call record: facts, IVR path, voicemail, entities, triage (audited view)."""
    report = report_or_404(report_number)
    context = record_context(report)
    audit_access("report.view", "report", report.id, report_number=report.report_number)
    return render_template("reports/record.html", **context)


@bp.post("/reports/<report_number>/reveal")
@roles_required("operator")
def reveal(report_number: str) -> ResponseReturnValue:
    """The record page with the caller's number in clear, for permitted roles (audited)."""
    if not may_reveal():
        refuse("role may not reveal a caller's number")
    report = report_or_404(report_number)
    encrypted = report.call.callback_enc
    if report.anonymous or encrypted is None:
        abort(404)
    context = record_context(report, revealed_number=cipher.current.decrypt_text(encrypted))
    audit_access("caller.reveal", "report", report.id, report_number=report.report_number)
    return render_template("reports/record.html", **context)


@bp.get("/reports/<report_number>/recordings/<recording_sid>/transcript")
@roles_required("operator")
def transcript(report_number: str, recording_sid: str) -> ResponseReturnValue:
    """One voicemail's transcript, shown only when asked for (audited)."""
    report = report_or_404(report_number)
    recording = recording_of(report, recording_sid)
    found = transcripts_by_recording(db.session, [recording]).get(recording.id)
    if found is None or found.text_enc is None:
        abort(404)
    text = cipher.current.decrypt_text(found.text_enc)
    audit_access("transcript.view", "recording", recording.id, report_number=report.report_number)
    template = (
        "reports/_transcript.html"
        if request.args.get("fragment") == "1"
        else ("reports/transcript.html")
    )
    return render_template(
        template, report=report, recording=recording, transcript=found, text=text
    )


__all__ = ["calls", "queue_page", "record", "record_context", "refuse", "reveal", "transcript"]
