"""The views of ``/api/v1``: thin (parse, call a service of :mod:`ivr.reports` or
:mod:`ivr.audit`, answer JSON). Each is declared on :data:`table`, which also writes the
OpenAPI document.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from flask import Blueprint, Response, jsonify, request
from flask.typing import ResponseReturnValue
from jsonschema import Draft202012Validator  # type: ignore[import-untyped]
from sqlalchemy import select
from werkzeug.exceptions import HTTPException

from ivr.api.auth import api_actor, api_error, authenticate_request, json_http_error
from ivr.api.schemas import AUDIT_FILTERS, CALL_FILTERS, PAGING, REPORT_PATCH
from ivr.api.serialize import audit_entry, call_detail, call_summary, report_summary, report_triage
from ivr.api.spec import RouteTable, openapi_document
from ivr.audit import audit_access
from ivr.audit.browse import parse_audit_filters, search_audit
from ivr.extensions import cipher, db
from ivr.reports import triage
from ivr.reports.document import report_document
from ivr.reports.queries import (
    DEFAULT_LIMIT,
    MAX_LIMIT,
    CallFilters,
    CallLogRow,
    InvalidQuery,
    find_report,
    parse_call_filters,
    search_calls,
)
from models import Call, Report

API_VERSION = "1.0.0"

bp = Blueprint("api", __name__, url_prefix="/api")
bp.before_request(authenticate_request)
bp.register_error_handler(HTTPException, json_http_error)
v1 = Blueprint("v1", __name__, url_prefix="/v1")
table = RouteTable(v1)

# Refusals of the triage services that name a value that does not exist (the request is
# wrong), as opposed to a move the report's current state does not allow (a conflict).
_UNPROCESSABLE = frozenset({"unknown_user", "unknown_status", "unknown_classification", "too_long"})
_PATCH_VALIDATOR = Draft202012Validator(REPORT_PATCH)


def _paging() -> tuple[str | None, int]:
    cursor = request.args.get("cursor") or None
    raw = request.args.get("limit", "")
    if not raw:
        return cursor, DEFAULT_LIMIT
    if not raw.isdigit() or not 1 <= int(raw) <= MAX_LIMIT:
        api_error(400, "invalid_query", f"limit: a whole number from 1 to {MAX_LIMIT}")
    return cursor, int(raw)


def _page(items: list[Any], next_cursor: str | None, prev_cursor: str | None) -> Response:
    return jsonify({"items": items, "next_cursor": next_cursor, "prev_cursor": prev_cursor})


def _call_filters() -> CallFilters:
    try:
        return parse_call_filters(request.args)
    except InvalidQuery as exc:
        api_error(400, "invalid_query", str(exc))


@table.operation(
    "GET",
    "/reports",
    summary="Reports, newest call first, with the call log's filters (keyset pages)",
    response="ReportPage",
    parameters=(*CALL_FILTERS, *PAGING),
)
def reports() -> ResponseReturnValue:
    """Reports matching the filters; list pages show nothing identifying (not audited)."""
    filters = _call_filters()
    cursor, limit = _paging()
    # The call log walked through the reports: only calls that became a report.
    try:
        page = search_calls(
            db.session, replace(filters, has_report=True), cursor=cursor, limit=limit
        )
    except InvalidQuery as exc:
        api_error(400, "invalid_query", str(exc))
    items = [
        report_summary(row.report, row.call, row.has_voicemail)
        for row in page.items
        if row.report is not None
    ]
    return _page(items, page.next_cursor, page.prev_cursor)


def _report(report_number: str) -> Report:
    report = find_report(db.session, report_number)
    if report is None:
        api_error(404, "not_found", f"no report {report_number}")
    return report


@table.operation(
    "GET",
    "/reports/<report_number>",
    summary="One report as a hotline.report/1 document (caller masked)",
    response="ReportDocument",
    errors=(404,),
    audited="report.view (and transcript.view when a transcript is included)",
)
def report(report_number: str) -> ResponseReturnValue:
    """The report's document; audited like the console's record page."""
    found = _report(report_number)
    document = report_document(db.session, found, cipher.current, include_identifiers=False)
    audit_access("report.view", "report", found.id, report_number=found.report_number, via="api")
    if any(v["transcript"] and v["transcript"]["text"] for v in document["voicemails"]):
        audit_access(
            "transcript.view", "report", found.id, report_number=found.report_number, via="api"
        )
    return jsonify(document)


@table.operation(
    "PATCH",
    "/reports/<report_number>",
    summary="Change a report's status, assignee or classification (triage rules apply)",
    response="ReportTriage",
    body="ReportPatch",
    errors=(403, 404, 409, 422),
    audited="report.claim / report.assign / report.status / report.classify",
)
def update_report(report_number: str) -> ResponseReturnValue:
    """Apply the body's changes in one transaction: all of them, or none."""
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        api_error(400, "invalid_body", "send a JSON object (Content-Type: application/json)")
    problems = sorted(_PATCH_VALIDATOR.iter_errors(body), key=lambda e: list(e.path))
    if problems:
        details = [
            {"path": "/".join(map(str, e.path)) or "/", "message": e.message} for e in problems
        ]
        api_error(422, "validation_failed", details[0]["message"], details=details)
    found = _report(report_number)
    try:
        _apply(found, body)
    except triage.TriageError as exc:
        status = 403 if isinstance(exc, triage.NotPermitted) else 409
        status = 422 if exc.code in _UNPROCESSABLE else status
        api_error(status, exc.code, exc.message)
    return jsonify(report_triage(found))


def _apply(report: Report, body: dict[str, Any]) -> None:
    actor, session = api_actor(), db.session
    if "assignee" in body:
        if body["assignee"] == actor.username:
            triage.claim(session, report, actor)
        else:
            triage.assign(session, report, actor, body["assignee"])
    if "status" in body and body["status"] != report.status:
        triage.set_status(session, report, actor, body["status"])
    if "classification" in body:
        triage.classify(session, report, actor, body["classification"])


@table.operation(
    "GET",
    "/calls",
    summary="The call log, newest first, with its filters (keyset pages); no caller number",
    response="CallPage",
    parameters=(*CALL_FILTERS, *PAGING),
)
def calls() -> ResponseReturnValue:
    """Calls matching the filters (not audited: nothing identifying is listed)."""
    filters = _call_filters()
    cursor, limit = _paging()
    try:
        page = search_calls(db.session, filters, cursor=cursor, limit=limit)
    except InvalidQuery as exc:
        api_error(400, "invalid_query", str(exc))
    return _page([call_summary(row) for row in page.items], page.next_cursor, page.prev_cursor)


@table.operation(
    "GET",
    "/calls/<call_sid>",
    summary="One call: facts, IVR path, voicemails (no audio, no transcript, no number)",
    response="CallDetail",
    errors=(404,),
    audited="call.view",
)
def call(call_sid: str) -> ResponseReturnValue:
    """One call by its CallSid; audited."""
    found = db.session.scalar(select(Call).where(Call.call_sid == call_sid))
    if found is None:
        api_error(404, "not_found", "no such call")
    rows = search_calls(db.session, CallFilters(report_number=found.reference_number)).items
    row = rows[0] if rows else CallLogRow(found, None, False)
    audit_access("call.view", "call", found.id, call_sid=found.call_sid, via="api")
    return jsonify(call_detail(row))


@table.operation(
    "GET",
    "/audit",
    summary="The audit log, newest first (keyset pages); supervisors and admins",
    response="AuditPage",
    role="supervisor",
    parameters=(*AUDIT_FILTERS, *PAGING),
    audited="audit.search",
)
def audit() -> ResponseReturnValue:
    """Audit entries matching the filters; reading the log is itself audited."""
    cursor, limit = _paging()
    try:
        filters = parse_audit_filters(request.args)
        page = search_audit(db.session, filters, cursor=cursor, limit=limit)
    except InvalidQuery as exc:
        api_error(400, "invalid_query", str(exc))
    items = [audit_entry(entry) for entry in page.items]
    audit_access("audit.search", None, None, via="api", count=len(items))
    return _page(items, page.next_cursor, page.prev_cursor)


@table.operation(
    "GET",
    "/openapi.json",
    summary="This API's OpenAPI 3.1 document",
    response="OpenApiDocument",
    role=None,
)
def openapi() -> ResponseReturnValue:
    """The OpenAPI document, generated from the route table."""
    return jsonify(openapi_document(table, API_VERSION))


bp.register_blueprint(v1)  # last: every route of v1 is declared above
