"""What the demo line looks like: who calls, from where, about what, and how it goes.

Figures are rounded public proportions: provinces by population (2021 census), the
categories of the tip line's published 2005-07 reports (18,312 reports, 13,837 child
sexual abuse material, 1,117 luring; the domain notes on the tip line), and plausible
shares for the rest (stated here, so that the dashboard's answers can be checked).
"""

from __future__ import annotations

DEMO_CALL_SID_PREFIX = "CAdemo"
DEMO_RECORDING_SID_PREFIX = "REdemo"
DEMO_OPERATORS = tuple(f"demo-op-{n:02d}" for n in range(1, 9))
# Some analysts review far more than others: workload per operator is not flat.
OPERATOR_WEIGHTS = (9, 7, 6, 5, 4, 3, 2, 1)
HOTLINE_NUMBER = "+18005550199"

# (region code as ivr.calls.numbers gives it, an area code there, population share %).
REGIONS = (
    ("ON", "416", 38.5),
    ("QC", "514", 22.6),
    ("BC", "604", 13.5),
    ("AB", "403", 11.6),
    ("MB", "204", 3.6),
    ("SK", "306", 3.0),
    ("NS/PE", "902", 3.0),
    ("NB", "506", 2.1),
    ("NL", "709", 1.4),
    ("NT/NU/YT", "867", 0.3),
)
# Share of callers choosing French, by region (overall about 22%).
FRENCH_SHARE = {"QC": 0.80, "NB": 0.30, "ON": 0.05}
FRENCH_SHARE_ELSEWHERE = 0.02
WITHHELD_SHARE = 0.25  # caller ID withheld: no number, no region
REPEAT_SHARE = 0.12  # calls from a number that called before

# Of the reports: the published 2005-07 split; the remainder shared as stated.
PUBLISHED_REPORTS, PUBLISHED_CSAM, PUBLISHED_LURING = 18_312, 13_837, 1_117
REST_SPLIT = (("exploitation", 0.40), ("other", 0.50), ("unknown", 0.10))
MENU_KEY = {"csam": "1", "luring": "2", "exploitation": "3", "other": "4"}

REPORT_SHARE = 0.62  # calls that become a report (the rest: hang-ups, information, transfers)
URGENT_SHARE = 0.05  # reports where the caller says a child is in immediate danger
CALLBACK_SHARE = 0.30  # reporters who leave a number
DETAILS_SHARE = 0.55  # messages naming addresses, handles, platforms

# Where the calls that never become a report end (shares of those calls).
NO_REPORT_ENDINGS = (
    ("language", 0.25),
    ("safety", 0.18),
    ("main_menu", 0.22),
    ("info", 0.15),  # informational: pressed 8, then hung up
    ("transfer_answered", 0.14),
    ("transfer_unanswered", 0.06),  # nobody answered, hung up at the danger question
)
# A reporter (category chosen) may still hang up at each later step.
REPORT_HANGUPS = (
    ("danger", 0.03),
    ("message", 0.06),
    ("callback", 0.04),
    ("callback_number", 0.02),
)

# Typical seconds spent at each step (scaled by a random factor 0.7-1.4).
STEP_SECONDS = {
    "language": 7,
    "safety": 14,
    "main_menu": 12,
    "info": 30,
    "transfer": 20,
    "danger": 7,
    "danger_advice": 9,
    "message": 0,  # the recording's own length
    "callback": 7,
    "callback_number": 15,
    "callback_confirm": 10,
    "close": 13,
}

# Analyst classification by IVR category: (classification, weight).
CLASSIFICATIONS = {
    "csam": (("csam", 0.85), ("ncii", 0.08), ("not_actionable", 0.07)),
    "luring": (
        ("luring", 0.55),
        ("sextortion", 0.3),
        ("explicit_to_child", 0.1),
        ("agreement", 0.05),
    ),
    "exploitation": (("trafficking", 0.45), ("travel", 0.25), ("agreement", 0.3)),
    "other": (("other", 0.6), ("not_actionable", 0.3), ("ncii", 0.1)),
    "unknown": (("other", 0.5), ("not_actionable", 0.5)),
}
# Median hours from a ready report to its first review, by priority.
REVIEW_MEDIAN_HOURS = {"urgent": 0.3, "high": 6.0, "normal": 30.0, "low": 72.0}
DECISION_MEDIAN_HOURS = {"urgent": 4.0, "high": 30.0, "normal": 48.0, "low": 96.0}
# How reviews end: (status, weight); not_actionable ones are closed.
DECISIONS = (("referred", 0.45), ("closed", 0.45), ("duplicate", 0.05), ("in_review", 0.05))
DEFAULT_AGENCY = "RCMP National Child Exploitation Crime Centre"

# Calls per hour of the day (local-ish), and per weekday (Mon..Sun), as weights.
HOUR_WEIGHTS = (1, 1, 1, 1, 1, 1, 2, 3, 5, 7, 8, 8, 8, 8, 8, 8, 7, 6, 6, 6, 5, 4, 3, 2)
WEEKDAY_WEIGHTS = (1.1, 1.1, 1.1, 1.05, 1.0, 0.85, 0.8)
