"""What the retention policy purges, and purging it.

Three rules, each off when its period is 0:

- recordings of reports that reached a final status (referred, closed, duplicate) more
  than ``RETENTION_RECORDINGS_DAYS`` ago: the encrypted audio file is deleted, the
  transcript row too, and the recording is marked ``purged_at`` (its duration and
  SHA-256 stay, as the record that a message existed);
- the caller's number and callback number (ciphertexts on the call) of those reports
  after ``RETENTION_CALLBACK_DAYS`` (the keyed hash stays: it reveals nothing and keeps
  repeat callers visible);
- calls that never became a report, started more than ``RETENTION_NO_REPORT_CALLS_DAYS``
  ago, with their events and recordings, unless one of their recordings is a usable
  message (that is a report the pipeline owes, not data to drop).

The files go first, then the rows, in the caller's transaction: if the transaction fails,
rows already due point at missing files and the next run finishes the job.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, delete, exists, func, or_, select, text, update
from sqlalchemy.orm import Session

from ivr.audit import record
from ivr.audit.chain import lock_chain
from ivr.media.storage import BlobStore
from ivr.reports.pipeline import UNUSABLE_RECORDING
from models import Call, CallEvent, Recording, Report, ReportChange, Transcript

FINAL_STATUSES = ("referred", "closed", "duplicate")
PURGE_LOCK_KEY = 0x726574656E74  # "retent": any key no other lock of the app uses
CHUNK = 500  # ids per IN (...) list: well under SQLite's bound-parameter limit


@dataclass(frozen=True)
class RetentionPolicy:
    """Days to keep each kind of data; 0 keeps it forever."""

    recordings_days: int = 90
    callback_days: int = 90
    no_report_calls_days: int = 30

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> RetentionPolicy:
        """The policy of an app's configuration."""
        return cls(
            recordings_days=int(config["RETENTION_RECORDINGS_DAYS"]),
            callback_days=int(config["RETENTION_CALLBACK_DAYS"]),
            no_report_calls_days=int(config["RETENTION_NO_REPORT_CALLS_DAYS"]),
        )


@dataclass
class PurgePlan:
    """What is due at ``now``: ids and storage keys, and the counts to report."""

    now: datetime
    policy: RetentionPolicy
    recording_ids: list[int] = field(default_factory=list)
    transcripts: int = 0
    callback_call_ids: list[int] = field(default_factory=list)
    call_ids: list[int] = field(default_factory=list)
    call_events: int = 0
    files: list[str] = field(default_factory=list)

    def counts(self) -> dict[str, int]:
        """How many of each thing the purge removes."""
        return {
            "recordings_purged": len(self.recording_ids),
            "transcripts_deleted": self.transcripts,
            "audio_files_deleted": len(self.files),
            "caller_numbers_cleared": len(self.callback_call_ids),
            "calls_without_report_deleted": len(self.call_ids),
            "call_events_deleted": self.call_events,
        }


def _chunks(ids: Sequence[int]) -> Iterator[Sequence[int]]:
    for start in range(0, len(ids), CHUNK):
        yield ids[start : start + CHUNK]


def final_at() -> ColumnElement[datetime]:
    """When a report reached its current status (its last status change, else its update)."""
    changed = (
        select(func.max(ReportChange.at))
        .where(
            ReportChange.report_id == Report.id,
            ReportChange.field == "status",
            ReportChange.new_value == Report.status,
        )
        .scalar_subquery()
    )
    return func.coalesce(changed, Report.updated_at)


def _done_before(cutoff: datetime) -> list[ColumnElement[bool]]:
    return [Report.status.in_(FINAL_STATUSES), final_at() < cutoff]


def _recordings(session: Session, plan: PurgePlan) -> None:
    cutoff = plan.now - timedelta(days=plan.policy.recordings_days)
    rows = session.execute(
        select(Recording.id, Recording.storage_key)
        .join(Report, Report.call_id == Recording.call_id)
        .where(Recording.purged_at.is_(None), *_done_before(cutoff))
        .order_by(Recording.id)
    ).all()
    plan.recording_ids = [int(r.id) for r in rows]
    plan.files += [r.storage_key for r in rows if r.storage_key]
    for chunk in _chunks(plan.recording_ids):
        found = select(func.count()).where(Transcript.recording_id.in_(chunk))
        plan.transcripts += int(session.scalar(found) or 0)


def _callbacks(session: Session, plan: PurgePlan) -> None:
    cutoff = plan.now - timedelta(days=plan.policy.callback_days)
    ids = session.scalars(
        select(Call.id)
        .join(Report, Report.call_id == Call.id)
        .where(or_(Call.callback_enc.is_not(None), Call.from_enc.is_not(None)))
        .where(*_done_before(cutoff))
        .order_by(Call.id)
    )
    plan.callback_call_ids = [int(i) for i in ids]


def _calls_without_report(session: Session, plan: PurgePlan) -> None:
    cutoff = plan.now - timedelta(days=plan.policy.no_report_calls_days)
    has_report = exists(select(Report.id).where(Report.call_id == Call.id))
    owes_report = exists(
        select(Recording.id).where(
            Recording.call_id == Call.id,
            Recording.status.not_in(UNUSABLE_RECORDING),
            Recording.purged_at.is_(None),
        )
    )
    ids = session.scalars(
        select(Call.id).where(Call.started_at < cutoff, ~has_report, ~owes_report).order_by(Call.id)
    )
    plan.call_ids = [int(i) for i in ids]
    for chunk in _chunks(plan.call_ids):
        events = select(func.count()).where(CallEvent.call_id.in_(chunk))
        plan.call_events += int(session.scalar(events) or 0)
        keys = select(Recording.storage_key).where(
            Recording.call_id.in_(chunk), Recording.storage_key.is_not(None)
        )
        plan.files += [k for k in session.scalars(keys) if k]


def lock_purge(session: Session) -> None:
    """Hold the purge's lock until the transaction ends: two purges at once (two workers'
    schedules, a run by hand) would both count the same rows in their audit entries."""
    conn = session.connection()
    if conn.dialect.name == "postgresql":
        conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": PURGE_LOCK_KEY})
    else:
        lock_chain(session)  # SQLite: the database write lock, taken before reading


def plan_purge(session: Session, policy: RetentionPolicy, now: datetime) -> PurgePlan:
    """Find what the policy says must go at ``now`` (nothing is changed).

    Call :func:`lock_purge` first in a transaction that will apply the plan.
    """
    plan = PurgePlan(now=now, policy=policy)
    if policy.recordings_days > 0:
        _recordings(session, plan)
    if policy.callback_days > 0:
        _callbacks(session, plan)
    if policy.no_report_calls_days > 0:
        _calls_without_report(session, plan)
    return plan


def apply_purge(session: Session, plan: PurgePlan, store: BlobStore, *, actor: str) -> None:
    """Delete the files, then purge the rows and audit the counts (flushed, not committed)."""
    for key in plan.files:
        store.delete(key)
    for chunk in _chunks(plan.recording_ids):
        session.execute(delete(Transcript).where(Transcript.recording_id.in_(chunk)))
        session.execute(
            update(Recording)
            .where(Recording.id.in_(chunk))
            .values(purged_at=plan.now, storage_key=None)
        )
    for chunk in _chunks(plan.callback_call_ids):
        session.execute(
            update(Call).where(Call.id.in_(chunk)).values(callback_enc=None, from_enc=None)
        )
    for chunk in _chunks(plan.call_ids):
        # Events, recordings and transcripts go with the call (ON DELETE CASCADE).
        session.execute(delete(Call).where(Call.id.in_(chunk)))
    policy = plan.policy
    record(
        session,
        actor=actor,
        action="retention.purged",
        target_type="retention",
        detail={
            **plan.counts(),
            "as_of": plan.now.isoformat(),
            "recordings_days": policy.recordings_days,
            "callback_days": policy.callback_days,
            "no_report_calls_days": policy.no_report_calls_days,
        },
    )
    session.expire_all()
