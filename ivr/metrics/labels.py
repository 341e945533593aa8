"""What the dashboard calls each figure and table, and how it shows their values."""

from __future__ import annotations

from ivr.i18n import _, _l

FIGURES = {
    "calls": _l("Calls received"),
    "reports": _l("Reports created"),
    "calls_without_report": _l("Calls ended before a report"),
    "informational_calls": _l("Informational calls"),
    "transfers_answered": _l("Transfers answered"),
    "transfers_unanswered": _l("Transfers not answered"),
    "transfers_closed": _l("Transfers asked out of hours"),
    "voicemails": _l("Voicemails"),
    "call_time_avg_s": _l("Average call time"),
    "call_time_p50_s": _l("Median call time"),
    "call_time_p90_s": _l("Call time, 90th percentile"),
    "urgent": _l("Urgent reports"),
    "urgent_share": _l("Urgent share"),
    "immediate_danger": _l("Child in immediate danger"),
    "repeat_callers": _l("Reports from repeat callers"),
    "repeat_caller_share": _l("Repeat caller share"),
    "ready_s_p50": _l("Call end to report ready, median"),
    "ready_s_p90": _l("Call end to report ready, 90th percentile"),
    "review_s_p50": _l("Time to first review, median"),
    "review_s_p90": _l("Time to first review, 90th percentile"),
    "referral_s_p50": _l("Time to referral, median"),
    "referral_s_p90": _l("Time to referral, 90th percentile"),
    "urgent_within_target": _l("Urgent reports reviewed within the target"),
    "urgent_late": _l("Urgent reports reviewed late"),
    "urgent_unreviewed": _l("Urgent reports not yet reviewed"),
    "urgent_within_target_share": _l("Urgent reports reviewed within the target, share"),
}
TABLE_TITLES = {
    "summary": _l("Figures"),
    "series": _l("Over time"),
    "funnel": _l("Where callers leave before a report"),
    "backlog": _l("Backlog now"),
    "operators": _l("Operators"),
    "category": _l("Reports by category"),
    "classification": _l("Reports by classification"),
    "language": _l("Reports by language"),
    "province": _l("Reports by province"),
    "priority": _l("Reports by priority"),
}
OPERATOR_COLUMNS = {
    "reviews_started": _l("Reviews started"),
    "referred": _l("Referred"),
    "closed": _l("Closed"),
    "duplicate": _l("Marked duplicate"),
    "open_assigned": _l("Open and assigned now"),
}
GROUPING_NAMES = {"day": _l("Day"), "week": _l("Week"), "month": _l("Month")}


def is_duration(key: str) -> bool:
    """Whether the figure is a number of seconds."""
    return key.endswith("_s") or "_s_p" in key


def is_share(key: str) -> bool:
    """Whether the figure is a share (0 to 1)."""
    return key.endswith("_share")


def show_duration(seconds: float | None) -> str:
    """Seconds as people read them: ``45 s``, ``12 min``, ``3.5 h``, ``2.1 d``."""
    if seconds is None:
        return "\u2013"
    if seconds < 120:
        return _("%(n)s s", n=round(seconds))
    if seconds < 2 * 3600:
        return _("%(n)s min", n=round(seconds / 60))
    if seconds < 2 * 86400:
        return _("%(n)s h", n=round(seconds / 3600, 1))
    return _("%(n)s d", n=round(seconds / 86400, 1))
