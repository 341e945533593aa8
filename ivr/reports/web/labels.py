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
# The default flow's steps (callflows/flows/default.toml); another flow's show as named.
STEP = {
    "language": _l("Language"),
    "safety": _l("Safety message"),
    "main_menu": _l("Main menu"),
    "info": _l("Information"),
    "transfer": _l("Transfer to an operator"),
    "danger": _l("Danger check"),
    "danger_advice": _l("911 advice"),
    "message": _l("Message"),
    "callback": _l("Call back?"),
    "callback_number": _l("Callback number"),
    "callback_confirm": _l("Number read back"),
    "close": _l("Closing"),
}
# What happened at a step (callflows.state.Outcome).
OUTCOME = {
    "presented": _l("heard"),
    "chosen": _l("chose"),
    "operator": _l("asked for an operator"),
    "repeat": _l("asked to repeat"),
    "invalid": _l("invalid key"),
    "timeout": _l("no answer"),
    "default": _l("default path"),
    "recorded": _l("message recorded"),
    "empty": _l("empty message"),
    "hangup": _l("hung up"),
    "transfer_answered": _l("transfer answered"),
    "transfer_unanswered": _l("transfer not answered"),
    "transfer_closed": _l("transfer out of hours"),
    "ended": _l("ended"),
}
ENDED_BY = {
    "caller": _l("the caller hung up"),
    "ivr": _l("the line ended the call"),
    "busy": _l("busy"),
    "failed": _l("failed"),
    "no-answer": _l("no answer"),
    "canceled": _l("canceled"),
    "completed": _l("completed"),
}
HISTORY_FIELD = {
    "assignee": _l("Assignee"),
    "status": _l("Status"),
    "classification": _l("Classification"),
    "priority": _l("Priority"),
    "note": _l("Note"),
    "referral": _l("Referral"),
}
# The priority rules' reasons (ivr/reports/priority.py), stored in English in the report.
REASON = {
    "caller said a child is in immediate danger": _l("caller said a child is in immediate danger"),
    "repeat caller: one level up": _l("repeat caller: one level up"),
    "message names addresses, contacts or user names: one level up": _l(
        "message names addresses, contacts or user names: one level up"
    ),
}


def reason(text: str) -> str:
    """A priority reason in the viewer's language (``category luring: high`` included)."""
    if text in REASON:
        return str(REASON[text])
    category, sep, level = text.removeprefix("category ").partition(": ")
    if text.startswith("category ") and sep and level in PRIORITY:
        return str(
            _l(
                "category %(category)s: %(level)s",
                category=CATEGORY.get(category, category),
                level=PRIORITY[level],
            )
        )
    return text


def history_value(field: str, value: str | None) -> str:
    """An old or new value of a change, named like everywhere else in the console."""
    if value is None:
        return ""
    if field == "note":  # "note 12": the note itself is shown, encrypted at rest, above
        return str(_l("added"))
    names = {"status": STATUS, "priority": PRIORITY, "classification": CLASSIFICATION}
    return str(names.get(field, {}).get(value, value))


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
            "step": STEP,
            "outcome": OUTCOME,
            "ended_by": ENDED_BY,
            "history_field": HISTORY_FIELD,
        },
        "fmt_reason": reason,
        "fmt_history_value": history_value,
        "fmt_utc": utc,
        "fmt_duration": duration,
    }
