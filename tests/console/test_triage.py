"""Triage as a service: the workflow, assignment rights, overrides, notes, referrals, and
the change history and audit entries each change leaves."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest
from flask import Flask
from sqlalchemy import select
from sqlalchemy.orm import Session

from ivr.reports import triage
from ivr.reports.pipeline import refresh_report
from ivr.reports.triage import Actor, NotPermitted, TriageError
from models import AuditEntry, Referral, Report, ReportChange, ReportNote
from tests.auth.helpers import audit_actions, database, make_user
from tests.console.helpers import make_call
from tests.reports.factory import ReportFactory

OPERATOR = Actor("olga", "operator", "127.0.0.1")
OTHER = Actor("omar", "operator")
SUPERVISOR = Actor("sam", "supervisor")


def _run(app: Flask, number: str, change: Callable[[Session, Report], object]) -> None:
    """Apply ``change`` to the report in a transaction of its own (as a request does)."""
    with database(app).session() as session, session.begin():
        report = session.scalars(select(Report).where(Report.report_number == number)).one()
        change(session, report)


def _report(app: Flask, number: str) -> Report:
    with database(app).session() as session:
        return session.scalars(select(Report).where(Report.report_number == number)).one()


def _changes(app: Flask, number: str) -> list[tuple[str, str | None, str | None, str]]:
    with database(app).session() as session:
        rows = session.execute(
            select(ReportChange.field, ReportChange.old_value, ReportChange.new_value,
                   ReportChange.author)
            .join(Report, Report.id == ReportChange.report_id)
            .where(Report.report_number == number)
            .order_by(ReportChange.id)
        )  # fmt: skip
        return [(a, b, c, d) for a, b, c, d in rows]


def test_claim_assigns_to_self_and_starts_the_review(
    app: Flask, make_report: ReportFactory
) -> None:
    number = make_report()
    _run(app, number, lambda s, r: triage.claim(s, r, OPERATOR))
    report = _report(app, number)
    assert (report.assignee, report.status) == ("olga", "in_review")
    assert _changes(app, number) == [
        ("assignee", None, "olga", "olga"),
        ("status", "new", "in_review", "olga"),  # the start of the review, for the metrics
    ]
    assert audit_actions(app) == [("report.claim", "olga", "ok")]
    _run(app, number, lambda s, r: triage.claim(s, r, OPERATOR))  # again: nothing to do
    assert len(audit_actions(app)) == 1
    with pytest.raises(TriageError) as refused:
        _run(app, number, lambda s, r: triage.claim(s, r, OTHER))
    assert refused.value.code == "assigned_to_other"
    assert _report(app, number).assignee == "olga"


def test_only_supervisors_assign_and_only_to_active_accounts(
    app: Flask, make_report: ReportFactory
) -> None:
    number = make_report()
    analyst = make_user(app, "operator")
    with pytest.raises(NotPermitted):
        _run(app, number, lambda s, r: triage.assign(s, r, OPERATOR, analyst.username))
    with pytest.raises(TriageError) as unknown:
        _run(app, number, lambda s, r: triage.assign(s, r, SUPERVISOR, "nobody-by-that-name"))
    assert unknown.value.code == "unknown_user"
    assert _report(app, number).assignee is None
    _run(app, number, lambda s, r: triage.assign(s, r, SUPERVISOR, analyst.username))
    assert _report(app, number).assignee == analyst.username
    _run(app, number, lambda s, r: triage.assign(s, r, SUPERVISOR, None))
    assert _report(app, number).assignee is None
    assert [a for a, _, _ in audit_actions(app)] == ["report.assign", "report.assign"]


@pytest.mark.parametrize(
    ("start", "target", "allowed"),
    [
        ("new", "in_review", True),
        ("new", "closed", False),
        ("new", "duplicate", False),
        ("in_review", "closed", True),
        ("in_review", "duplicate", True),
        ("in_review", "in_review", False),
        ("closed", "in_review", False),
        ("duplicate", "closed", False),
        ("referred", "closed", False),
        ("in_review", "new", False),
    ],
)
def test_the_status_workflow(
    app: Flask, make_report: ReportFactory, start: str, target: str, allowed: bool
) -> None:
    number = make_call(make_report, fields={"status": start})
    if allowed:
        _run(app, number, lambda s, r: triage.set_status(s, r, OPERATOR, target))
        assert _report(app, number).status == target
        assert _changes(app, number) == [("status", start, target, "olga")]
        assert audit_actions(app) == [("report.status", "olga", "ok")]
    else:
        with pytest.raises(TriageError) as refused:
            _run(app, number, lambda s, r: triage.set_status(s, r, OPERATOR, target))
        assert refused.value.code in ("invalid_transition", "unknown_status")
        assert _report(app, number).status == start
        assert _changes(app, number) == [] and audit_actions(app) == []


def test_referred_needs_a_referral(app: Flask, make_report: ReportFactory) -> None:
    received = datetime.now(UTC) - timedelta(days=3)  # the factory's reports are in the future
    number = make_call(make_report, fields={"status": "in_review", "received_at": received})
    with pytest.raises(TriageError) as refused:
        _run(app, number, lambda s, r: triage.set_status(s, r, OPERATOR, "referred"))
    assert refused.value.code == "referral_required"
    with pytest.raises(TriageError) as too_early:
        _run(app, make_report(), lambda s, r: triage.refer(s, r, OPERATOR, agency="OPP"))
    assert too_early.value.code == "invalid_transition"  # a new report is not reviewed yet
    for bad in (
        {"agency": "  "},
        {"agency": "OPP", "referred_at": datetime.now(UTC) + timedelta(days=2)},
        {"agency": "OPP", "referred_at": datetime(2000, 1, 1, tzinfo=UTC)},
    ):
        with pytest.raises(TriageError):
            _run(app, number, lambda s, r, bad=bad: triage.refer(s, r, OPERATOR, **bad))
    _run(app, number, lambda s, r: triage.refer(
        s, r, OPERATOR, agency="Ontario Provincial Police", reference="OPP-2026-77"))  # fmt: skip
    assert _report(app, number).status == "referred"
    _run(app, number, lambda s, r: triage.refer(s, r, OPERATOR, agency="Children's Aid"))
    with database(app).session() as session:
        referrals = session.scalars(select(Referral).order_by(Referral.id)).all()
        assert [(r.agency, r.reference, r.author) for r in referrals] == [
            ("Ontario Provincial Police", "OPP-2026-77", "olga"),
            ("Children's Aid", None, "olga"),
        ]
    assert _changes(app, number) == [
        ("status", "in_review", "referred", "olga"),
        ("referral", None, "Ontario Provincial Police", "olga"),
        ("referral", None, "Children's Aid", "olga"),
    ]
    assert [a for a, _, _ in audit_actions(app)] == ["report.refer", "report.refer"]


def test_a_priority_override_needs_a_reason_and_survives_the_pipeline(
    app: Flask, make_report: ReportFactory
) -> None:
    number = make_report()  # the factory's luring report: high by the rules
    for reason in ("", "   "):
        with pytest.raises(TriageError) as refused:
            _run(app, number, lambda s, r, why=reason: triage.override_priority(
                s, r, OPERATOR, "low", why))  # fmt: skip
        assert refused.value.code == "reason_required"
    assert _report(app, number).priority == "high"
    _run(app, number, lambda s, r: triage.override_priority(
        s, r, OPERATOR, "low", "the same user name was referred last week"))  # fmt: skip
    report = _report(app, number)
    assert (report.priority, report.priority_rank, report.priority_overridden) == ("low", 3, True)
    with database(app).session() as session, session.begin():
        refresh_report(session, report.call_id, app.extensions["cipher"])
    assert (_report(app, number).priority, _report(app, number).priority_rank) == ("low", 3)
    with database(app).session() as session:
        change = session.scalars(select(ReportChange)).one()
        assert (change.field, change.old_value, change.new_value) == ("priority", "high", "low")
        assert change.reason == "the same user name was referred last week"


def test_notes_are_encrypted_and_classification_is_checked(
    app: Flask, make_report: ReportFactory
) -> None:
    number = make_report()
    text = "Caller sounded young; the handle dark wolf 42 appears in two other reports."
    _run(app, number, lambda s, r: triage.add_note(s, r, OPERATOR, text, app.extensions["cipher"]))
    with pytest.raises(TriageError):
        _run(
            app, number, lambda s, r: triage.add_note(s, r, OPERATOR, " ", app.extensions["cipher"])
        )
    with database(app).session() as session:
        note = session.scalars(select(ReportNote)).one()
        assert text.encode() not in note.text_enc
        report = session.scalars(select(Report)).one()
        assert triage.notes_of(session, report, app.extensions["cipher"]) == [(note, text)]
    with pytest.raises(TriageError):
        _run(app, number, lambda s, r: triage.classify(s, r, OPERATOR, "gossip"))
    _run(app, number, lambda s, r: triage.classify(s, r, OPERATOR, "sextortion"))
    _run(app, number, lambda s, r: triage.classify(s, r, OPERATOR, "sextortion"))  # no change
    assert _report(app, number).classification == "sextortion"
    assert [c[0] for c in _changes(app, number)] == ["note", "classification"]
    assert [a for a, _, _ in audit_actions(app)] == ["report.note", "report.classify"]
    with database(app).session() as session:
        details = [e.detail for e in session.scalars(select(AuditEntry).order_by(AuditEntry.id))]
    assert all(text not in str(d) for d in details)  # the note never reaches the audit log
