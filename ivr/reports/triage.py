"""What analysts do to a report: claim, assign, move it through the workflow, classify it,
override its priority, add notes, refer it onward.

No Flask here: the console and the JSON API call these with the request's session and an
:class:`Actor`. Each function checks, changes the report, writes one
:class:`models.ReportChange` row per field changed (timestamped and attributed) and one
audit entry (``report.<action>``, in the same transaction), then flushes; the caller
commits. A refused change raises :class:`TriageError` (or :class:`NotPermitted`) and
changes nothing.

The workflow: ``new -> in_review -> referred | closed | duplicate``. ``referred`` is
reached only through :func:`refer`, which records the referral (agency, date, reference).
A move to ``in_review`` is recorded as ``ReportChange(field="status",
new_value="in_review")``: the time to first review is measured from it, the time to
referral from ``Referral.referred_at``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from ivr.audit import record
from ivr.crypto import DataCipher
from models import PRIORITIES, ROLES, Referral, Report, ReportChange, ReportNote, User
from models.base import utcnow

CLASSIFICATIONS = (
    "csam",
    "luring",
    "sextortion",
    "ncii",
    "explicit_to_child",
    "agreement",
    "trafficking",
    "travel",
    "other",
    "not_actionable",
)
TRANSITIONS: dict[str, tuple[str, ...]] = {
    "new": ("in_review",),
    "in_review": ("referred", "closed", "duplicate"),
    "referred": (),
    "closed": (),
    "duplicate": (),
}
# The statuses set_status can set (the others: "new" is where reports start, "referred"
# needs a referral, see refer()). Other values are refused.
SETTABLE_STATUSES = ("in_review", "closed", "duplicate")
MAX_REASON = 512
MAX_NOTE = 10_000
MAX_AGENCY = 128
MAX_REFERENCE = 64
# A referral dated ahead of now by more than this is a typing error.
CLOCK_SKEW = timedelta(minutes=5)


class TriageError(ValueError):
    """A change that is refused; ``code`` says which rule (for a translated message)."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


class NotPermitted(TriageError):
    """The actor's role does not allow this change (a 403)."""


@dataclass(frozen=True)
class Actor:
    """Who makes the change: a console user or an API token's user.

    ``role`` is ``operator``, ``supervisor`` or ``admin`` (each has the rights of those
    before it); ``ip`` goes into the audit entry.
    """

    username: str
    role: str
    ip: str | None = None

    def has_role(self, role: str) -> bool:
        """True when the actor's role is ``role`` or above."""
        return ROLES.index(self.role) >= ROLES.index(role) if self.role in ROLES else False


def _change(
    session: Session,
    report: Report,
    actor: Actor,
    field: str,
    old: Any,
    new: Any,
    reason: str | None = None,
) -> ReportChange:
    change = ReportChange(
        report_id=report.id,
        field=field,
        old_value=None if old is None else str(old)[:256],
        new_value=None if new is None else str(new)[:256],
        reason=reason,
        author=actor.username,
        at=utcnow(),
    )
    session.add(change)
    return change


def _audit(session: Session, report: Report, actor: Actor, action: str, **detail: Any) -> None:
    session.flush()
    record(
        session,
        actor=actor.username,
        action=f"report.{action}",
        target_type="report",
        target_id=report.id,
        detail={"report_number": report.report_number, **detail},
        ip=actor.ip,
    )


def _require(actor: Actor, role: str) -> None:
    if not actor.has_role(role):
        raise NotPermitted("forbidden", f"only a {role} (or above) may do this")


def _move(session: Session, report: Report, actor: Actor, status: str) -> str:
    """Change the status if the workflow allows it; returns the old status."""
    old = report.status
    if status not in TRANSITIONS.get(old, ()):
        raise TriageError("invalid_transition", f"a {old} report cannot become {status}")
    report.status = status
    _change(session, report, actor, "status", old, status)
    return old


def claim(session: Session, report: Report, actor: Actor) -> None:
    """Assign the report to the actor (any role) and, if it is ``new``, start its review.

    Refused when it is assigned to someone else (a supervisor reassigns it with
    :func:`assign`) or no longer open.
    """
    _require(actor, "operator")
    if report.status not in ("new", "in_review"):
        raise TriageError("not_open", f"a {report.status} report cannot be claimed")
    if report.assignee not in (None, actor.username):
        raise TriageError("assigned_to_other", "the report is assigned to someone else")
    detail: dict[str, Any] = {}
    if report.assignee is None:
        _change(session, report, actor, "assignee", None, actor.username)
        report.assignee = actor.username
        detail["assignee"] = actor.username
    if report.status == "new":
        _move(session, report, actor, "in_review")
        detail["status"] = "in_review"
    if detail:
        _audit(session, report, actor, "claim", **detail)


def assign(session: Session, report: Report, actor: Actor, assignee: str | None) -> None:
    """Assign the report to ``assignee`` (an active account), or to nobody (None).

    Supervisors and admins only. Unchanged assignments are not recorded.
    """
    _require(actor, "supervisor")
    if assignee is not None:
        user = session.scalar(select(User).where(User.username == assignee))
        if user is None or user.disabled_at is not None:
            raise TriageError("unknown_user", f"no active account named {assignee!r}")
    if assignee == report.assignee:
        return
    _change(session, report, actor, "assignee", report.assignee, assignee)
    old, report.assignee = report.assignee, assignee
    _audit(session, report, actor, "assign", old=old, new=assignee)


def set_status(session: Session, report: Report, actor: Actor, status: str) -> None:
    """Move the report along the workflow (``in_review``, ``closed``, ``duplicate``).

    An invalid move raises :class:`TriageError` (``invalid_transition``); ``referred``
    is refused here (``referral_required``): use :func:`refer`.
    """
    _require(actor, "operator")
    if status == "referred":
        raise TriageError("referral_required", "record a referral to refer a report")
    if status not in TRANSITIONS:
        raise TriageError("unknown_status", f"unknown status {status!r}")
    old = _move(session, report, actor, status)
    _audit(session, report, actor, "status", old=old, new=status)


def classify(session: Session, report: Report, actor: Actor, classification: str | None) -> None:
    """Set the analyst's secondary classification (one of :data:`CLASSIFICATIONS`) or
    clear it (None)."""
    _require(actor, "operator")
    if classification is not None and classification not in CLASSIFICATIONS:
        raise TriageError("unknown_classification", f"unknown classification {classification!r}")
    if classification == report.classification:
        return
    old, report.classification = report.classification, classification
    _change(session, report, actor, "classification", old, classification)
    _audit(session, report, actor, "classify", old=old, new=classification)


def override_priority(
    session: Session, report: Report, actor: Actor, priority: str, reason: str
) -> None:
    """Set the priority by hand, with a mandatory reason.

    The report is marked ``priority_overridden``: the pipeline's rules no longer change
    its priority (see :func:`ivr.reports.pipeline.refresh_report`).
    """
    _require(actor, "operator")
    if priority not in PRIORITIES:
        raise TriageError("unknown_priority", f"unknown priority {priority!r}")
    reason = (reason or "").strip()
    if not reason:
        raise TriageError("reason_required", "a priority override needs a reason")
    if len(reason) > MAX_REASON:
        raise TriageError("too_long", f"the reason is longer than {MAX_REASON} characters")
    old = report.priority
    report.priority, report.priority_rank = priority, PRIORITIES.index(priority)
    report.priority_overridden = True
    report.priority_reasons = [f"set by {actor.username}: {reason}"]
    _change(session, report, actor, "priority", old, priority, reason)
    _audit(session, report, actor, "priority", old=old, new=priority)


def add_note(
    session: Session, report: Report, actor: Actor, text: str, cipher: DataCipher
) -> ReportNote:
    """Add a note (stored encrypted: it may quote the caller)."""
    _require(actor, "operator")
    text = (text or "").strip()
    if not text:
        raise TriageError("note_empty", "the note is empty")
    if len(text) > MAX_NOTE:
        raise TriageError("too_long", f"the note is longer than {MAX_NOTE} characters")
    note = ReportNote(
        report_id=report.id, author=actor.username, text_enc=cipher.encrypt_text(text)
    )
    session.add(note)
    session.flush()
    # The history says a note was added, never what it says (the change log is not encrypted).
    _change(session, report, actor, "note", None, f"note {note.id}")
    _audit(session, report, actor, "note", note_id=note.id)
    return note


def notes_of(session: Session, report: Report, cipher: DataCipher) -> list[tuple[ReportNote, str]]:
    """The report's notes, oldest first, each with its decrypted text."""
    rows = session.scalars(
        select(ReportNote).where(ReportNote.report_id == report.id).order_by(ReportNote.id)
    )
    return [(note, cipher.decrypt_text(note.text_enc)) for note in rows]


def refer(
    session: Session,
    report: Report,
    actor: Actor,
    *,
    agency: str,
    reference: str | None = None,
    referred_at: datetime | None = None,
) -> Referral:
    """Record a referral to ``agency`` (when: ``referred_at``, default now) and set the
    status to ``referred``.

    The report must be ``in_review`` (or already ``referred``: a second agency). The date
    may not be before the report was received nor in the future.
    """
    _require(actor, "operator")
    agency, reference = (agency or "").strip(), (reference or "").strip() or None
    if not agency:
        raise TriageError("agency_required", "name the agency the report is referred to")
    if len(agency) > MAX_AGENCY or (reference and len(reference) > MAX_REFERENCE):
        raise TriageError("too_long", "the agency or the reference is too long")
    if report.status != "referred" and "referred" not in TRANSITIONS[report.status]:
        raise TriageError("invalid_transition", f"a {report.status} report cannot be referred")
    when = referred_at or utcnow()
    if when > utcnow() + CLOCK_SKEW or when < report.received_at:
        raise TriageError("bad_date", "the referral date must be between receipt and now")
    if report.status != "referred":
        _move(session, report, actor, "referred")
    referral = Referral(
        report_id=report.id,
        agency=agency,
        reference=reference,
        referred_at=when,
        author=actor.username,
    )
    session.add(referral)
    session.flush()
    _change(session, report, actor, "referral", None, agency)
    _audit(session, report, actor, "refer", agency=agency, referral_id=referral.id)
    return referral


def referrals_of(session: Session, report: Report) -> list[Referral]:
    """The report's referrals, oldest first."""
    query = select(Referral).where(Referral.report_id == report.id).order_by(Referral.id)
    return list(session.scalars(query))


def history_of(session: Session, report: Report) -> list[ReportChange]:
    """Every change of the report, oldest first."""
    query = (
        select(ReportChange)
        .where(ReportChange.report_id == report.id)
        .order_by(ReportChange.at, ReportChange.id)
    )
    return list(session.scalars(query))


def assignable_users(session: Session) -> list[str]:
    """Usernames of the active accounts a report may be assigned to."""
    query = select(User.username).where(User.disabled_at.is_(None)).order_by(User.username)
    return list(session.scalars(query))
