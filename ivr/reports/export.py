"""Exporting reports as JSON Lines (schema ``hotline.report/1``) or CSV.

Every document is checked against the published schema before it is written, so a
consumer never receives a document the schema refuses: the first one aborts the export
with :class:`ExportError`. The CSV is a flat view of the same validated documents; its
columns are :data:`CSV_COLUMNS`, lists in one cell are joined with :data:`LIST_SEPARATOR`,
and ``ivr_path`` is compacted to ``step:input>step>...`` (a step without input is just its
name).
"""

from __future__ import annotations

import csv
import json
import re
import sys
from collections.abc import Callable
from datetime import datetime
from functools import cache
from pathlib import Path
from typing import Any, Literal, TextIO

from jsonschema import Draft202012Validator, FormatChecker  # type: ignore[import-untyped]
from jsonschema.exceptions import ValidationError, best_match  # type: ignore[import-untyped]
from sqlalchemy.orm import Session
from tqdm import tqdm  # type: ignore[import-untyped]

from ivr.crypto import DataCipher
from ivr.reports.document import SCHEMA_ID, Document, count_reports, iter_report_documents

ExportFormat = Literal["jsonl", "csv"]
FORMATS: tuple[ExportFormat, ...] = ("jsonl", "csv")
SCHEMA_PATH = (
    Path(__file__).resolve().parents[2] / "docs" / "schema" / "hotline.report-1.schema.json"
)
LIST_SEPARATOR = " | "
CSV_COLUMNS: tuple[str, ...] = (
    "report_number",
    "received_at",
    "language",
    "category",
    "classification",
    "immediate_danger",
    "priority",
    "status",
    "anonymous",
    "callback_number",
    "region",
    "repeat_caller",
    "jurisdiction_province",
    "jurisdiction_agency",
    "voicemail_count",
    "voicemail_seconds",
    "transcript",
    "urls",
    "emails",
    "phone_numbers",
    "handles",
    "platforms",
    "ivr_path",
    "call_status",
    "started_at",
    "ended_at",
    "duration_s",
    "ended_by",
    "last_step",
    "assignee",
)
# A spreadsheet runs a cell that starts with one of these as a formula ("CSV injection");
# transcripts are the caller's words, so such a cell gets a leading apostrophe.
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
_RFC3339 = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})", re.ASCII)
# Cells copied as they are from the document's top level.
_REPORT_KEYS = (
    "report_number",
    "received_at",
    "language",
    "category",
    "classification",
    "immediate_danger",
    "priority",
    "status",
    "assignee",
)
CSV_ENTITY_KEYS = ("urls", "emails", "phone_numbers", "handles", "platforms")
# Constraints whose value is safe and short enough to name in an error message.
_NAMED_CONSTRAINTS = frozenset({"const", "enum", "type", "pattern", "format", "minimum"})


class ExportError(Exception):
    """A report's document does not match the schema; the export stops there."""

    def __init__(self, report_number: str, path: str, reason: str) -> None:
        super().__init__(
            f"report {report_number} does not match schema {SCHEMA_ID} at {path}: {reason}"
        )
        self.report_number, self.path, self.reason = report_number, path, reason


def export_reports(
    session: Session,
    cipher: DataCipher,
    out: TextIO,
    *,
    fmt: ExportFormat,
    since: datetime | None,
    include_identifiers: bool,
    validate: bool = True,
    progress: bool = True,
) -> int:
    """Write every report received at or after ``since`` to ``out``; returns how many.

    ``fmt`` is ``jsonl`` (one document per line) or ``csv`` (header, one row per report).
    Raises :class:`ExportError` at the first document the schema refuses, after the
    documents before it were written. The progress bar goes to stderr, and only when
    stderr is a terminal.
    """
    write = _jsonl_writer(out) if fmt == "jsonl" else _csv_writer(out)
    documents = iter_report_documents(
        session, cipher, since=since, include_identifiers=include_identifiers
    )
    count = 0
    with tqdm(
        total=count_reports(session, since=since),
        desc="reports",
        unit="report",
        file=sys.stderr,
        disable=None if progress else True,  # None: tqdm shows it only on a terminal
    ) as bar:
        for document in documents:
            if validate:
                validate_document(document)
            write(document)
            count += 1
            bar.update()
    return count


@cache
def report_validator() -> Any:
    """The validator of ``hotline.report/1`` (the schema file is read once)."""
    schema = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    Draft202012Validator.check_schema(schema)
    checker = FormatChecker()
    # jsonschema checks date-time only when an optional package is installed; this one
    # does not depend on it.
    checker.checks("date-time", raises=ValueError)(_is_rfc3339)
    return Draft202012Validator(schema, format_checker=checker)


def validate_document(document: Document) -> None:
    """Raise :class:`ExportError` naming the report and the failing path, if invalid.

    The message names the constraint, never the offending value: that value may be a
    phone number or a transcript.
    """
    error: ValidationError | None = best_match(report_validator().iter_errors(document))
    if error is None:
        return
    reason = f"fails {error.validator}"
    if error.validator in _NAMED_CONSTRAINTS:
        reason += f" {error.validator_value!r}"
    elif error.validator in ("required", "additionalProperties"):
        reason = error.message  # names keys only
    elif "description" in error.schema:
        reason += f" (expected: {error.schema['description']})"
    raise ExportError(str(document.get("report_number")), error.json_path, reason)


def csv_row(document: Document) -> list[str]:
    """The CSV cells of a validated document, in :data:`CSV_COLUMNS` order."""
    values = {
        **_report_cells(document),
        **_caller_cells(document["caller"], document["jurisdiction"]),
        **_content_cells(document),
        **_call_cells(document["call"]),
    }
    return [_cell(values[column]) for column in CSV_COLUMNS]


def _report_cells(document: Document) -> dict[str, Any]:
    return {key: document[key] for key in _REPORT_KEYS}


def _caller_cells(caller: Document, jurisdiction: Document | None) -> dict[str, Any]:
    return {
        "anonymous": caller["anonymous"],
        "callback_number": caller["callback_number"],
        "region": caller["region"],
        "repeat_caller": caller["repeat_caller"],
        "jurisdiction_province": (jurisdiction or {}).get("province"),
        "jurisdiction_agency": (jurisdiction or {}).get("agency"),
    }


def _content_cells(document: Document) -> dict[str, Any]:
    voicemails = document["voicemails"]
    texts = [v["transcript"]["text"] for v in voicemails if v["transcript"]]
    entities = document["entities"]
    return {
        "voicemail_count": len(voicemails),
        "voicemail_seconds": sum(v["duration_s"] or 0 for v in voicemails),
        "transcript": _defuse(LIST_SEPARATOR.join(text for text in texts if text)),
        **{key: LIST_SEPARATOR.join(entities[key]) for key in CSV_ENTITY_KEYS},
        "ivr_path": ">".join(_path_step(step) for step in document["ivr_path"]),
    }


def _call_cells(call: Document) -> dict[str, Any]:
    return {
        "call_status": call["status"],
        **{key: call[key] for key in ("started_at", "ended_at", "duration_s", "ended_by")},
        "last_step": call["last_step"],
    }


def _jsonl_writer(out: TextIO) -> Callable[[Document], None]:
    def write(document: Document) -> None:
        out.write(json.dumps(document, ensure_ascii=False) + "\n")

    return write


def _csv_writer(out: TextIO) -> Callable[[Document], None]:
    writer = csv.writer(out)
    writer.writerow(CSV_COLUMNS)

    def write(document: Document) -> None:
        writer.writerow(csv_row(document))

    return write


def _path_step(step: dict[str, Any]) -> str:
    return step["step"] if step["input"] is None else f"{step['step']}:{step['input']}"


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _defuse(text: str) -> str:
    return "'" + text if text.startswith(_FORMULA_STARTS) else text


def _is_rfc3339(value: object) -> bool:
    if not isinstance(value, str):
        return True  # "format" only constrains strings
    if _RFC3339.fullmatch(value) is None:
        return False
    datetime.fromisoformat(value)  # ValueError on an impossible date such as 02-30
    return True
