"""The JSON Schemas (2020-12) of the API's bodies and answers: the one source the views
validate against and :mod:`ivr.api.spec` publishes in the OpenAPI document.

Answers are closed (``additionalProperties: false``) so that the schemathesis run notices
a field added to a view and not here. The report document is the published
``hotline.report/1`` schema itself (``docs/schema/``), not a copy.
"""

from __future__ import annotations

import json
from typing import Any

from ivr.reports.export import SCHEMA_PATH
from ivr.reports.queries import CALL_STATUSES, CATEGORIES, LANGUAGES, MAX_LIMIT
from ivr.reports.triage import CLASSIFICATIONS, SETTABLE_STATUSES
from models import PRIORITIES, STATUSES

Schema = dict[str, Any]

STRING = {"type": "string"}
DATE_TIME = {"type": "string", "format": "date-time"}


def nullable(schema: Schema) -> Schema:
    """``schema`` or null."""
    return {"anyOf": [schema, {"type": "null"}]}


def closed(required: dict[str, Schema], **optional: Schema) -> Schema:
    """An object with exactly these properties (``required`` all required)."""
    return {
        "type": "object",
        "additionalProperties": False,
        "required": list(required),
        "properties": {**required, **optional},
    }


def page_of(item: str) -> Schema:
    """A keyset page of ``item``."""
    return closed(
        {
            "items": {"type": "array", "items": {"$ref": f"#/components/schemas/{item}"}},
            "next_cursor": nullable(STRING),
            "prev_cursor": nullable(STRING),
        }
    )


def report_document_schema() -> Schema:
    """The published ``hotline.report/1`` schema, as a component (no ``$schema``/``$id``)."""
    schema: Schema = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    schema.pop("$schema", None)
    schema.pop("$id", None)
    return schema


REPORT_SUMMARY = closed(
    {
        "report_number": STRING,
        "call_sid": STRING,
        "received_at": DATE_TIME,
        "language": STRING,
        "category": STRING,
        "classification": nullable(STRING),
        "immediate_danger": nullable({"type": "boolean"}),
        "priority": {"enum": list(PRIORITIES)},
        "status": {"enum": list(STATUSES)},
        "assignee": nullable(STRING),
        "province": nullable(STRING),
        "has_voicemail": {"type": "boolean"},
    }
)

REPORT_TRIAGE = closed(
    {
        "report_number": STRING,
        "status": {"enum": list(STATUSES)},
        "assignee": nullable(STRING),
        "classification": nullable(STRING),
        "priority": {"enum": list(PRIORITIES)},
    }
)

REPORT_PATCH: Schema = {
    "type": "object",
    "additionalProperties": False,
    "minProperties": 1,
    "description": (
        "Fields to change. status: a move of the workflow (new -> in_review -> closed | "
        "duplicate; 'referred' needs a referral, made in the console). assignee: your own "
        "username claims the report; anyone else's (or null) needs the supervisor role."
    ),
    "properties": {
        "status": {"enum": list(SETTABLE_STATUSES)},
        "assignee": nullable({"type": "string", "minLength": 1, "maxLength": 64}),
        "classification": nullable({"enum": list(CLASSIFICATIONS)}),
    },
}

_REPORT_REF = nullable(
    closed(
        {
            "report_number": STRING,
            "status": {"enum": list(STATUSES)},
            "priority": {"enum": list(PRIORITIES)},
            "assignee": nullable(STRING),
        }
    )
)
_CALL_FIELDS: dict[str, Schema] = {
    "call_sid": STRING,
    "reference_number": STRING,
    "started_at": DATE_TIME,
    "ended_at": nullable(DATE_TIME),
    "duration_s": nullable({"type": "integer"}),
    "status": STRING,
    "language": nullable(STRING),
    "category": nullable(STRING),
    "province": nullable(STRING),
    "ended_by": nullable(STRING),
    "last_step": nullable(STRING),
    "has_voicemail": {"type": "boolean"},
    "report": _REPORT_REF,
}
CALL_SUMMARY = closed(_CALL_FIELDS)
CALL_DETAIL = closed(
    {
        **_CALL_FIELDS,
        "immediate_danger": nullable({"type": "boolean"}),
        "ivr_path": {
            "type": "array",
            "items": closed({"step": STRING, "input": nullable(STRING), "at": nullable(DATE_TIME)}),
        },
        "voicemails": {
            "type": "array",
            "items": closed(
                {
                    "recording_sid": STRING,
                    "status": STRING,
                    "duration_s": nullable({"type": "integer"}),
                    "stored": {"type": "boolean"},
                }
            ),
        },
    }
)

AUDIT_ENTRY = closed(
    {
        "id": {"type": "integer"},
        "at": DATE_TIME,
        "actor": nullable(STRING),
        "action": STRING,
        "target_type": nullable(STRING),
        "target_id": nullable(STRING),
        "outcome": STRING,
        "ip": nullable(STRING),
        "detail": {"type": "object"},
        "hash": STRING,
        "prev_hash": STRING,
    }
)

ERROR = {
    "type": "object",
    "required": ["error", "message"],
    "properties": {
        "error": STRING,
        "message": STRING,
        "details": {
            "type": "array",
            "items": closed({"path": STRING, "message": STRING}),
        },
    },
}


def components() -> dict[str, Schema]:
    """Every named schema, as ``components.schemas`` of the OpenAPI document."""
    return {
        "Error": ERROR,
        "ReportDocument": report_document_schema(),
        "ReportSummary": REPORT_SUMMARY,
        "ReportPage": page_of("ReportSummary"),
        "ReportPatch": REPORT_PATCH,
        "ReportTriage": REPORT_TRIAGE,
        "CallSummary": CALL_SUMMARY,
        "CallPage": page_of("CallSummary"),
        "CallDetail": CALL_DETAIL,
        "AuditEntry": AUDIT_ENTRY,
        "AuditPage": page_of("AuditEntry"),
        "OpenApiDocument": {"type": "object"},
    }


# --- query parameters ---------------------------------------------------------------------


def _param(name: str, schema: Schema, description: str) -> Schema:
    return {
        "name": name,
        "in": "query",
        "required": False,
        "schema": schema,
        "description": description,
    }


_DAY = {"type": "string", "format": "date"}
PAGING = (
    _param("cursor", STRING, "next_cursor or prev_cursor of the previous page"),
    _param("limit", {"type": "integer", "minimum": 1, "maximum": MAX_LIMIT}, "page size"),
)
CALL_FILTERS = (
    _param("from", _DAY, "started on or after this day (UTC)"),
    _param("to", _DAY, "started on or before this day (UTC)"),
    _param("status", {"enum": list(CALL_STATUSES)}, "the call's Twilio status"),
    _param("category", {"enum": list(CATEGORIES)}, "what the caller said it is about"),
    _param("language", {"enum": list(LANGUAGES)}, "the call's language"),
    _param("province", {"type": "string", "pattern": "^[A-Za-z]{2}$"}, "caller's province"),
    _param("priority", {"enum": list(PRIORITIES)}, "the report's priority"),
    _param("assignee", {"type": "string", "maxLength": 64}, "the report's assignee"),
    _param("has_voicemail", {"type": "boolean"}, "a message was left (or not)"),
    _param("report_number", {"type": "string", "pattern": "^[0-9]{1,16}$"}, "one report"),
    _param("report_status", {"enum": list(STATUSES)}, "the report's workflow status"),
)
AUDIT_FILTERS = (
    _param("actor", {"type": "string", "maxLength": 64}, "who acted"),
    _param("action", {"type": "string", "maxLength": 64}, "e.g. report.view"),
    _param("target_type", {"type": "string", "maxLength": 64}, "e.g. report"),
    _param("target_id", {"type": "string", "maxLength": 64}, "the target's id"),
    _param("outcome", {"enum": ["ok", "denied", "failed"]}, "ok, denied or failed"),
    _param("from", _DAY, "on or after this day (UTC)"),
    _param("to", _DAY, "on or before this day (UTC)"),
)
