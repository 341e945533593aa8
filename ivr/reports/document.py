"""A report as the document of schema ``hotline.report/1`` (``docs/schema/``).

The document is what leaves the hotline (exports, later the JSON API): it is built from
the Report, its Call, the call's recordings with their transcripts and the call's IVR
steps. The callback number is only in clear when asked for (``include_identifiers``);
otherwise it is masked, keeping the country code and the last four digits.

``ivr_path`` holds every CallEvent of kind ``ivr``, in order: each of them is either a
prompt presented to the caller (``presented``, the re-prompt after ``timeout`` or
``invalid``, ``transfer_closed``, ``ended``) or something the caller did (a key pressed, a
recording ended, a transfer dialled). The other kinds (``status``, ``recording``,
``transcription``, ``replay``, ``fallback``) are webhooks, not steps of the path.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import UTC, datetime
from typing import Any

import phonenumbers
from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload

from ivr.crypto import DataCipher
from models import Call, CallEvent, Recording, Report, Transcript

SCHEMA_ID = "hotline.report/1"
ENTITY_KEYS = ("urls", "domains", "emails", "phone_numbers", "handles", "platforms")
PATH_EVENT_KIND = "ivr"
VISIBLE_DIGITS = 4

Document = dict[str, Any]

_LOAD_OPTIONS = (
    selectinload(Report.call).selectinload(Call.recordings),
    selectinload(Report.call).selectinload(Call.events),
)


def report_document(
    session: Session, report: Report, cipher: DataCipher, *, include_identifiers: bool
) -> Document:
    """The ``hotline.report/1`` document of one report.

    Loads what it needs through ``session``; to build many documents use
    :func:`iter_report_documents`, which loads them in batches.
    """
    transcripts = transcripts_by_recording(session, report.call.recordings)
    return build_document(report, transcripts, cipher, include_identifiers=include_identifiers)


def iter_report_documents(
    session: Session,
    cipher: DataCipher,
    *,
    since: datetime | None,
    include_identifiers: bool,
    batch_size: int = 500,
) -> Iterator[Document]:
    """Every report's document in report id order, received at or after ``since`` if given.

    Pages through the reports by id, ``batch_size`` at a time, with a fixed number of
    queries per page (reports, calls, recordings, events, transcripts): no query per
    report.
    """
    last_id = 0
    while True:
        reports = _report_page(session, since=since, after_id=last_id, limit=batch_size)
        if not reports:
            return
        recordings = [r for report in reports for r in report.call.recordings]
        transcripts = transcripts_by_recording(session, recordings)
        for report in reports:
            yield build_document(
                report, transcripts, cipher, include_identifiers=include_identifiers
            )
        last_id = reports[-1].id


def count_reports(session: Session, *, since: datetime | None) -> int:
    """How many reports :func:`iter_report_documents` yields for ``since``."""
    query = select(func.count(Report.id))
    if since is not None:
        query = query.where(Report.received_at >= since)
    return session.scalar(query) or 0


def _report_page(
    session: Session, *, since: datetime | None, after_id: int, limit: int
) -> list[Report]:
    query = select(Report).where(Report.id > after_id).order_by(Report.id).limit(limit)
    if since is not None:
        query = query.where(Report.received_at >= since)
    return list(session.scalars(query.options(*_LOAD_OPTIONS)))


def transcripts_by_recording(
    session: Session, recordings: Sequence[Recording]
) -> dict[int, Transcript]:
    """The transcripts of ``recordings`` by recording id, in one query."""
    ids = [r.id for r in recordings]
    if not ids:
        return {}
    rows = session.scalars(select(Transcript).where(Transcript.recording_id.in_(ids)))
    return {t.recording_id: t for t in rows}


def build_document(
    report: Report,
    transcripts: dict[int, Transcript],
    cipher: DataCipher,
    *,
    include_identifiers: bool,
) -> Document:
    """The document of ``report`` from objects already loaded (no query is made)."""
    call = report.call
    return {
        "schema": SCHEMA_ID,
        "report_number": report.report_number,
        "call_sid": call.call_sid,
        "received_at": utc_iso(report.received_at),
        "channel": report.channel,
        "language": report.language,
        "category": report.category,
        "classification": report.classification,
        "immediate_danger": report.immediate_danger,
        "priority": report.priority,
        "priority_reasons": list(report.priority_reasons or []),
        "status": report.status,
        "caller": _caller(report, cipher, include_identifiers=include_identifiers),
        "voicemails": [_voicemail(r, transcripts.get(r.id), cipher) for r in call.recordings],
        "entities": {key: list((report.entities or {}).get(key, [])) for key in ENTITY_KEYS},
        "ivr_path": ivr_path(call.events),
        "call": _call_facts(call),
        "jurisdiction": _jurisdiction(report),
        "assignee": report.assignee,
        "ready_at": utc_iso(report.ready_at),
    }


def utc_iso(moment: datetime | None) -> str | None:
    """ISO 8601 in UTC with a trailing ``Z`` (whole seconds), or None."""
    if moment is None:
        return None
    return moment.astimezone(UTC).replace(tzinfo=None).isoformat(timespec="seconds") + "Z"


def mask_number(e164: str) -> str:
    """``+16135550142`` -> ``+1******0142``: the country code and the last four digits.

    A number too short to keep four digits and still hide some is masked whole.
    """
    digits = e164.lstrip("+")
    try:
        country = str(phonenumbers.parse(e164, None).country_code)
    except phonenumbers.NumberParseException:
        country = digits[:1]  # not a number phonenumbers knows: keep as little as possible
    national = digits[len(country) :]
    shown = national[-VISIBLE_DIGITS:] if len(national) > VISIBLE_DIGITS else ""
    return f"+{country}{'*' * (len(national) - len(shown))}{shown}"


def ivr_path(events: Sequence[CallEvent]) -> list[dict[str, Any]]:
    """The IVR steps among a call's events (in id order): ``{step, input, at}``.

    See the module docstring for which events are steps.
    """
    return [
        {"step": ev.node, "input": ev.input, "at": utc_iso(ev.at)}
        for ev in events
        if ev.kind == PATH_EVENT_KIND and ev.node
    ]


def _caller(report: Report, cipher: DataCipher, *, include_identifiers: bool) -> Document:
    number: str | None = None
    encrypted = report.call.callback_enc
    if not report.anonymous and encrypted is not None:
        number = cipher.decrypt_text(encrypted)
        number = number if include_identifiers else mask_number(number)
    return {
        "anonymous": report.anonymous,
        "callback_number": number,
        "region": report.caller_region,
        "repeat_caller": report.repeat_caller,
    }


def _voicemail(recording: Recording, transcript: Transcript | None, cipher: DataCipher) -> Document:
    return {
        "recording_sid": recording.recording_sid,
        "duration_s": recording.duration_s,
        "sha256": recording.sha256,
        "stored": recording.stored_at is not None and recording.purged_at is None,
        "transcript": None if transcript is None else _transcript(transcript, cipher),
    }


def _transcript(transcript: Transcript, cipher: DataCipher) -> Document:
    text = None if transcript.text_enc is None else cipher.decrypt_text(transcript.text_enc)
    return {"text": text, "engine": transcript.engine, "status": transcript.status}


def _call_facts(call: Call) -> Document:
    return {
        "status": call.status,
        "started_at": utc_iso(call.started_at),
        "ended_at": utc_iso(call.ended_at),
        "duration_s": call.duration_s,
        "ended_by": call.ended_by,
        "last_step": call.last_step,
    }


def _jurisdiction(report: Report) -> Document | None:
    if report.jurisdiction_province is None and report.jurisdiction_agency is None:
        return None
    return {"province": report.jurisdiction_province, "agency": report.jurisdiction_agency}
