"""Translated names of the values analysts see (categories, statuses, priorities...)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from ivr.i18n import _l

CATEGORY = {
    "csam": _l("Child sexual abuse material"),
    "luring": _l("Luring"),
    "exploitation": _l("Exploitation"),
    "other": _l("Other"),
    "unknown": _l("Not said"),
}
CLASSIFICATION = {
    "csam": _l("Child sexual abuse material"),
    "luring": _l("Luring"),
    "sextortion": _l("Sextortion"),
    "ncii": _l("Non-consensual intimate images of a minor"),
    "explicit_to_child": _l("Explicit material made available to a child"),
    "agreement": _l("Arrangement to commit an offence against a child"),
    "trafficking": _l("Trafficking"),
    "travel": _l("Travel to abuse a child"),
    "other": _l("Other"),
    "not_actionable": _l("Not actionable"),
}
PRIORITY = {
    "urgent": _l("Urgent"),
    "high": _l("High"),
    "normal": _l("Normal"),
    "low": _l("Low"),
}
STATUS = {
    "new": _l("New"),
    "in_review": _l("In review"),
    "referred": _l("Referred"),
    "closed": _l("Closed"),
    "duplicate": _l("Duplicate"),
}
LANGUAGE = {"en": _l("English"), "fr": _l("French")}
CALL_STATUS = {
    "completed": _l("Completed"),
    "busy": _l("Busy"),
    "no-answer": _l("No answer"),
    "failed": _l("Failed"),
    "canceled": _l("Canceled"),
    "in-progress": _l("In progress"),
    "ringing": _l("Ringing"),
    "queued": _l("Queued"),
}
# Why a triage change was refused (ivr.reports.triage.TriageError.code).
TRIAGE_ERRORS = {
    "not_open": _l("This report is no longer open."),
    "assigned_to_other": _l("This report is assigned to someone else."),
    "unknown_user": _l("There is no active account with that name."),
    "invalid_transition": _l("That status change is not allowed from the current status."),
    "referral_required": _l("To refer a report, fill in the referral form."),
    "unknown_status": _l("Unknown status."),
    "unknown_classification": _l("Unknown classification."),
    "unknown_priority": _l("Unknown priority."),
    "reason_required": _l("Give a reason for changing the priority."),
    "too_long": _l("The text is too long."),
    "note_empty": _l("The note is empty."),
    "agency_required": _l("Name the agency the report is referred to."),
    "bad_date": _l("The referral date must be between the day of the report and today."),
    "bad_input": _l("The form was not filled in correctly."),
}


def utc(moment: datetime | None) -> str:
    """A moment as analysts read it: ``2026-03-01 14:05 UTC``."""
    if moment is None:
        return ""
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")


def duration(seconds: int | None) -> str:
    """``95`` -> ``1:35``."""
    if seconds is None:
        return ""
    return f"{seconds // 60}:{seconds % 60:02d}"


def template_helpers() -> dict[str, Any]:
    """The labels and formatters, for every template."""
    return {
        "labels": {
            "category": CATEGORY,
            "classification": CLASSIFICATION,
            "priority": PRIORITY,
            "status": STATUS,
            "language": LANGUAGE,
            "call_status": CALL_STATUS,
        },
        "fmt_utc": utc,
        "fmt_duration": duration,
    }
