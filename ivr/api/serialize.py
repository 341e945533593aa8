"""What the API answers for a report, a call and an audit entry: plain values for JSON,
shaped as :mod:`ivr.api.schemas` says. Never a caller's number."""

from __future__ import annotations

from typing import Any

from ivr.reports.document import ivr_path, utc_iso
from ivr.reports.queries import CallLogRow
from models import AuditEntry, Call, Report

Json = dict[str, Any]


def report_summary(report: Report, call: Call, has_voicemail: bool) -> Json:
    """A report as listed (the full document is ``GET /reports/{number}``)."""
    return {
        "report_number": report.report_number,
        "call_sid": call.call_sid,
        "received_at": utc_iso(report.received_at),
        "language": report.language,
        "category": report.category,
        "classification": report.classification,
        "immediate_danger": report.immediate_danger,
        "priority": report.priority,
        "status": report.status,
        "assignee": report.assignee,
        "province": report.caller_region,
        "has_voicemail": has_voicemail,
    }


def report_triage(report: Report) -> Json:
    """The fields triage changes, after a PATCH."""
    return {
        "report_number": report.report_number,
        "status": report.status,
        "assignee": report.assignee,
        "classification": report.classification,
        "priority": report.priority,
    }


def call_summary(row: CallLogRow) -> Json:
    """A call of the call log and a reference to its report."""
    call, report = row.call, row.report
    return {
        "call_sid": call.call_sid,
        "reference_number": call.reference_number,
        "started_at": utc_iso(call.started_at),
        "ended_at": utc_iso(call.ended_at),
        "duration_s": call.duration_s,
        "status": call.status,
        "language": call.language,
        "category": call.category,
        "province": call.caller_region,
        "ended_by": call.ended_by,
        "last_step": call.last_step,
        "has_voicemail": row.has_voicemail,
        "report": None
        if report is None
        else {
            "report_number": report.report_number,
            "status": report.status,
            "priority": report.priority,
            "assignee": report.assignee,
        },
    }


def call_detail(row: CallLogRow) -> Json:
    """A call with its IVR path and its voicemails (no audio, no transcript)."""
    call = row.call
    return {
        **call_summary(row),
        "immediate_danger": call.immediate_danger,
        "ivr_path": ivr_path(call.events),
        "voicemails": [
            {
                "recording_sid": r.recording_sid,
                "status": r.status,
                "duration_s": r.duration_s,
                "stored": r.stored_at is not None,
            }
            for r in call.recordings
        ],
    }


def audit_entry(entry: AuditEntry) -> Json:
    """An audit entry with its place in the hash chain."""
    return {
        "id": entry.id,
        "at": utc_iso(entry.at),
        "actor": entry.actor,
        "action": entry.action,
        "target_type": entry.target_type,
        "target_id": entry.target_id,
        "outcome": entry.outcome,
        "ip": entry.ip,
        "detail": dict(entry.detail or {}),
        "hash": entry.hash,
        "prev_hash": entry.prev_hash,
    }
