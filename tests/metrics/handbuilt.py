"""A small data set whose every figure was worked out by hand (see test_figures.py).

The metrics time zone is America/Winnipeg (UTC-6 in January). The period is the local
week of Monday 5 to Sunday 11 January 2026; the previous period is the week before.
"""

from __future__ import annotations

from datetime import date

from ivr.metrics import Period
from tests.metrics.builder import DataSet, utc

TZ = "America/Winnipeg"
PERIOD = Period(date(2026, 1, 5), date(2026, 1, 12), TZ, "day")
STEPS = ("language", "safety", "main_menu", "info", "danger", "message", "callback", "close")


def build() -> DataSet:
    """The calls, reports, reviews, referrals and recordings of the hand-built set."""
    data = DataSet()
    # Monday 5 January, 09:00 local: CSAM, reviewed after an hour, referred a day later.
    c1 = data.call(utc(2026, 1, 5, 15, 0), 120)
    data.report(c1, category="csam", region="MB", status="referred", ready_after_s=60)
    data.change(c1, "in_review", utc(2026, 1, 5, 16, 0), "alice")
    data.change(c1, "referred", utc(2026, 1, 6, 15, 0), "alice")
    data.referral(c1, utc(2026, 1, 6, 15, 0))
    data.recording(c1)
    # 05:30 UTC on Tuesday is still Monday 23:30 in Winnipeg: urgent luring, in French.
    c2 = data.call(utc(2026, 1, 6, 5, 30), 300)
    data.report(
        c2,
        category="luring",
        priority="urgent",
        language="fr",
        region="QC",
        danger=True,
        repeat=True,
        status="in_review",
        assignee="alice",
        ready_after_s=120,
    )
    data.change(c2, "in_review", utc(2026, 1, 6, 6, 0), "alice")
    data.recording(c2)
    # Wednesday: two calls that end before a report; one of them asked for information.
    data.call(utc(2026, 1, 7, 12, 0), 40, last_step="info", info=True)
    data.call(utc(2026, 1, 7, 13, 0), 10, last_step="language")
    # Thursday: urgent, reviewed two hours later (late), closed; the transfer rang out.
    c5 = data.call(utc(2026, 1, 8, 18, 0), 200, transfer="unanswered")
    data.report(
        c5,
        category="exploitation",
        priority="urgent",
        region="ON",
        classification="trafficking",
        status="closed",
        ready_after_s=300,
    )
    data.change(c5, "in_review", utc(2026, 1, 8, 20, 0), "bob")
    data.change(c5, "closed", utc(2026, 1, 9, 9, 0), "bob")
    data.recording(c5, status="absent")
    # Friday: urgent, nobody has looked at it yet; an operator answered the transfer.
    c6 = data.call(utc(2026, 1, 9, 18, 0), 60, transfer="answered")
    data.report(c6, category="other", priority="urgent")
    data.recording(c6)
    data.recording(c6)
    # Sunday 23:59 local: still in progress (not ended, so not "ended before a report").
    data.call(utc(2026, 1, 12, 5, 59), None, finished=False, last_step="main_menu")
    # Monday 12 January 00:00 local: after the period.
    data.call(utc(2026, 1, 12, 6, 0), 30, last_step="language")
    # The previous week: Sunday 4 January 23:00 local (05:00 UTC on the 5th), and one
    # caller who hung up at the main menu.
    c9 = data.call(utc(2026, 1, 5, 5, 0), 100)
    data.report(c9, category="csam")
    data.call(utc(2025, 12, 30, 12, 0), 20, last_step="main_menu")
    return data
