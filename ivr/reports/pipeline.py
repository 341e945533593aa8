"""Building a call's report from what is known of it, as often as something changes.

``refresh_report`` is idempotent: it reads the call, its recordings and transcripts
and brings the report up to date, so every step of the pipeline just schedules it.
"""

from __future__ import annotations

import tomllib
from datetime import UTC, datetime, timedelta
from functools import cache
from pathlib import Path

from sqlalchemy import exists, select
from sqlalchemy.orm import Session

from ivr.crypto import DataCipher
from ivr.reports.priority import prioritise
from models import Call, Recording, Report, Transcript
from transcripts import Entities, details_present, extract_entities

CHOSEN_CATEGORIES = frozenset({"csam", "luring", "exploitation", "other"})
UNUSABLE_RECORDING = frozenset({"absent", "failed"})
REPEAT_WINDOW = timedelta(days=365)
_ENTITY_KEYS = ("urls", "domains", "emails", "phone_numbers", "handles", "platforms")


@cache
def agencies() -> dict[str, str]:
    """Province code -> suggested police service (``jurisdictions.toml``)."""
    data = tomllib.loads(Path(__file__).with_name("jurisdictions.toml").read_text("utf-8"))
    return dict(data["agencies"])


def has_message(recordings: list[Recording]) -> bool:
    """True when the caller left a recording worth keeping."""
    return any(r.status not in UNUSABLE_RECORDING for r in recordings)


def qualifies(call: Call) -> bool:
    """A call becomes a report when it said what it is about or left a message."""
    return (
        call.category in CHOSEN_CATEGORIES
        or call.immediate_danger is True
        or has_message(call.recordings)
    )


def is_repeat_caller(session: Session, call: Call) -> bool:
    """The same (hashed) number called before, within the window."""
    if call.from_hash is None:
        return False
    earlier = select(Call.id).where(
        Call.from_hash == call.from_hash,
        Call.id != call.id,
        Call.started_at < call.started_at,
        Call.started_at >= call.started_at - REPEAT_WINDOW,
    )
    return bool(session.scalar(select(exists(earlier))))


def transcripts_of(session: Session, call: Call) -> list[Transcript]:
    """The transcripts of the call's recordings, in recording order."""
    ids = [r.id for r in call.recordings]
    if not ids:
        return []
    rows = session.scalars(
        select(Transcript).where(Transcript.recording_id.in_(ids)).order_by(Transcript.recording_id)
    )
    return list(rows)


def entities_of(transcripts: list[Transcript], cipher: DataCipher) -> dict[str, list[str]]:
    """Entities found in every completed transcript, merged in order, without repeats."""
    merged: dict[str, list[str]] = {key: [] for key in _ENTITY_KEYS}
    for transcript in transcripts:
        if transcript.status != "completed" or transcript.text_enc is None:
            continue
        found = extract_entities(cipher.decrypt_text(transcript.text_enc)).to_dict()
        for key in _ENTITY_KEYS:
            merged[key] += [v for v in found.get(key, []) if v not in merged[key]]
    return merged


def is_settled(call: Call, transcripts: list[Transcript]) -> bool:
    """Nothing is left to do: every recording stored and transcribed, or unusable."""
    done = {t.recording_id for t in transcripts if t.status != "pending"}
    return all(
        r.status in UNUSABLE_RECORDING or (r.stored_at is not None and r.id in done)
        for r in call.recordings
    )


def refresh_report(session: Session, call_id: int, cipher: DataCipher) -> Report | None:
    """Create or update the report of a finished call; None if it has none (yet).

    The call's row is locked first (PostgreSQL; SQLite has one writer at a time): two
    jobs refreshing the same call (a status and a recording callback) take turns, and the
    second updates the report the first made instead of failing on its unique call.
    ``FOR NO KEY UPDATE``, not ``FOR UPDATE``: a late callback's event (its foreign key
    check locks the call ``FOR KEY SHARE``) does not wait for the job.
    """
    call = session.get(Call, call_id, with_for_update={"key_share": True})
    if call is None or call.ended_at is None or not qualifies(call):
        return None
    transcripts = transcripts_of(session, call)
    repeat = is_repeat_caller(session, call)
    report = session.scalar(select(Report).where(Report.call_id == call.id))
    if report is None:
        report = Report(call_id=call.id, report_number=call.reference_number, status="new")
        session.add(report)
    # The new report is complete only below: nothing may flush it before then.
    with session.no_autoflush:
        _update(report, call, transcripts, cipher, repeat=repeat)
    session.flush()
    return report


def _update(
    report: Report, call: Call, transcripts: list[Transcript], cipher: DataCipher, *, repeat: bool
) -> None:
    _describe(report, call, repeat=repeat)
    report.entities = entities_of(transcripts, cipher)
    if not report.priority_overridden:
        found = Entities(**{k: tuple(v) for k, v in report.entities.items()})
        priority = prioritise(
            category=report.category,
            immediate_danger=report.immediate_danger,
            repeat_caller=report.repeat_caller,
            details=details_present(found),
        )
        report.priority, report.priority_rank = priority.level, priority.rank
        report.priority_reasons = list(priority.reasons)
    if report.ready_at is None and is_settled(call, transcripts):
        report.ready_at = datetime.now(UTC)


def _describe(report: Report, call: Call, *, repeat: bool) -> None:
    report.received_at = call.started_at
    report.channel = "phone"
    report.language = call.language or "en"
    report.category = call.category if call.category in CHOSEN_CATEGORIES else "unknown"
    report.immediate_danger = call.immediate_danger
    report.anonymous = call.callback_enc is None
    report.caller_region = call.caller_region
    report.repeat_caller = repeat
    report.jurisdiction_province = call.caller_region
    report.jurisdiction_agency = agencies().get(call.caller_region or "")
