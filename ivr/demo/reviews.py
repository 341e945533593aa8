"""What analysts did to a demo report, and when: review, classification, referral.

A report is picked up once it is ready, sooner when it is urgent (delays are drawn
log-normally around the medians of :mod:`ivr.demo.profile`); what has not happened by
the end of the demo period has not happened: recent reports are still new or in review.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import cache
from itertools import accumulate
from typing import Any

from ivr.demo import profile as p

Row = tuple[Any, ...]


@dataclass
class Review:
    """The report's state at the end of the period and the rows that got it there."""

    status: str = "new"
    assignee: str | None = None
    classification: str | None = None
    updated_at: datetime | None = None
    changes: list[Row] = field(default_factory=list)
    referrals: list[Row] = field(default_factory=list)


def _delay(rng: random.Random, median_hours: float) -> timedelta:
    return timedelta(hours=rng.lognormvariate(math.log(median_hours), 0.9))


@cache
def _cumulative(weighted: tuple[tuple[str, float], ...]) -> tuple[tuple[str, ...], list[float]]:
    return tuple(n for n, _ in weighted), list(accumulate(w for _, w in weighted))


_OPERATORS_CUM = list(accumulate(p.OPERATOR_WEIGHTS))


def _pick(rng: random.Random, weighted: tuple[tuple[str, float], ...]) -> str:
    names, cumulative = _cumulative(weighted)
    return rng.choices(names, cum_weights=cumulative)[0]


def review_rows(
    rng: random.Random,
    report_id: int,
    category: str,
    priority: str,
    ready: datetime,
    end: datetime,
    agency: str | None,
) -> Review:
    """Draw the review of one report (ReportChange and Referral rows, final state).

    ``agency`` is the suggested police service (None: the national centre).
    """
    review = Review()
    picked_up = ready + _delay(rng, p.REVIEW_MEDIAN_HOURS[priority])
    if picked_up > end:
        return review
    analyst = rng.choices(p.DEMO_OPERATORS, cum_weights=_OPERATORS_CUM)[0]
    review.status, review.assignee, review.updated_at = "in_review", analyst, picked_up
    review.changes += [
        (report_id, "assignee", None, analyst, None, analyst, picked_up),
        (report_id, "status", "new", "in_review", None, analyst, picked_up),
    ]
    decided = picked_up + _delay(rng, p.DECISION_MEDIAN_HOURS[priority])
    if decided > end:
        return review
    classification = _pick(rng, p.CLASSIFICATIONS[category])
    review.classification = classification
    classified = min(decided, picked_up + timedelta(minutes=rng.uniform(2, 30)))
    review.changes.append(
        (report_id, "classification", None, classification, None, analyst, classified)
    )
    status = _pick(rng, p.DECISIONS)
    if classification == "not_actionable" and status == "referred":
        status = "closed"
    review.updated_at = classified
    if status != "in_review":
        _decide(review, report_id, status, analyst, decided, agency or p.DEFAULT_AGENCY)
    return review


def _decide(
    review: Review, report_id: int, status: str, analyst: str, at: datetime, agency: str
) -> None:
    review.changes.append((report_id, "status", "in_review", status, None, analyst, at))
    review.status, review.updated_at = status, at
    if status == "referred":
        review.referrals.append((report_id, agency, at, f"DEMO-{report_id}", analyst, at))
