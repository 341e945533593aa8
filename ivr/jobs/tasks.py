"""The pipeline's tasks. Each takes ids, opens its own sessions and is idempotent."""

from __future__ import annotations

import time
from datetime import UTC, datetime

from sqlalchemy import select

import transcripts
from ivr.calls.store import save_transcript
from ivr.jobs.context import JobContext
from ivr.jobs.outbox import schedule
from ivr.jobs.runner import task
from ivr.media.provider import TwilioMedia
from ivr.media.storage import AudioVault, DirectoryStore
from ivr.reports.pipeline import refresh_report
from models import Call, Recording, Transcript


def report_queue(call: Call) -> str:
    """Urgent work first: a child in immediate danger jumps the normal queue."""
    return "urgent" if call.immediate_danger else "normal"


def media_source(ctx: JobContext) -> TwilioMedia:
    """The provider's media API as configured."""
    cfg = ctx.config
    return TwilioMedia(cfg["TWILIO_API_BASE"], cfg["TWILIO_ACCOUNT_SID"], cfg["TWILIO_AUTH_TOKEN"])


def vault(ctx: JobContext) -> AudioVault:
    """Encrypted audio storage under ``RECORDINGS_DIR``."""
    return AudioVault(DirectoryStore(ctx.config["RECORDINGS_DIR"]), ctx.cipher)


@task("refresh_report", timeout=60)
def refresh_report_task(ctx: JobContext, call_id: int) -> None:
    """Create or update the report of a finished call."""
    with ctx.database.session() as session, session.begin():
        refresh_report(session, call_id, ctx.cipher)


@task("fetch_recording", timeout=180)
def fetch_recording(ctx: JobContext, recording_id: int) -> None:
    """Download a recording, keep it encrypted with its SHA-256, delete Twilio's copy.

    A rerun skips what is done: no second download once stored, no second delete.
    """
    with ctx.database.session() as session:
        recording = session.get(Recording, recording_id)
        if recording is None:
            return
        call = session.get(Call, recording.call_id)
        assert call is not None
        account_sid, sid, stored = call.account_sid, recording.recording_sid, recording.stored_at
        key = f"{call.started_at:%Y/%m}/{sid}.wav.enc"
    media = media_source(ctx)
    if stored is None:
        try:
            audio = media.fetch(account_sid, sid)
        except Exception as exc:
            _note_fetch_failure(ctx, recording_id, exc)
            raise
        digest = vault(ctx).put(key, audio)
        _stored(ctx, recording_id, key, digest, len(audio))
    if ctx.config["TWILIO_DELETE_RECORDINGS"]:
        _delete_at_provider(ctx, media, recording_id, account_sid, sid)


def _note_fetch_failure(ctx: JobContext, recording_id: int, exc: Exception) -> None:
    with ctx.database.session() as session, session.begin():
        recording = session.get(Recording, recording_id)
        if recording is not None:
            recording.fetch_attempts += 1
            recording.fetch_error = str(exc)[:256]


def _stored(ctx: JobContext, recording_id: int, key: str, digest: str, size: int) -> None:
    with ctx.database.session() as session, session.begin():
        # FOR NO KEY UPDATE: a transcript filed meanwhile (its foreign key check locks
        # the recording FOR KEY SHARE) does not wait for this job.
        recording = session.get(Recording, recording_id, with_for_update={"key_share": True})
        if recording is None or recording.stored_at is not None:
            return
        recording.storage_key, recording.sha256, recording.size_bytes = key, digest, size
        recording.stored_at = datetime.now(UTC)
        recording.fetch_error = None
        schedule(session, "transcribe_recording", recording_id, queue="media")


def _delete_at_provider(
    ctx: JobContext, media: TwilioMedia, recording_id: int, account_sid: str, sid: str
) -> None:
    with ctx.database.session() as session:
        recording = session.get(Recording, recording_id)
        if recording is None or recording.twilio_deleted_at is not None:
            return
    media.delete(account_sid, sid)
    with ctx.database.session() as session, session.begin():
        recording = session.get(Recording, recording_id)
        if recording is not None and recording.twilio_deleted_at is None:
            recording.twilio_deleted_at = datetime.now(UTC)


@task("transcribe_recording", timeout=900)
def transcribe_recording(ctx: JobContext, recording_id: int) -> None:
    """Transcribe a stored recording with the configured engine, then refresh the report."""
    with ctx.database.session() as session:
        recording = session.get(Recording, recording_id)
        if recording is None or recording.stored_at is None or recording.purged_at is not None:
            return
        call = session.get(Call, recording.call_id)
        assert call is not None and recording.storage_key and recording.sha256
        done = session.scalar(select(Transcript).where(Transcript.recording_id == recording_id))
        language, key, digest = call.language or "en", recording.storage_key, recording.sha256
        call_id, queue = call.id, report_queue(call)
    twilio_will_call_back = ctx.config["TRANSCRIBER"] == "twilio" and done is not None
    if done is None or (done.status in ("pending", "failed") and not twilio_will_call_back):
        engine = transcripts.get_transcriber(ctx.config["TRANSCRIBER"])
        started = time.perf_counter()
        result = engine.transcribe(vault(ctx).get(key, digest), language)
        elapsed = time.perf_counter() - started
        with ctx.database.session() as session, session.begin():
            if session.get(Recording, recording_id) is not None:
                save_transcript(session, ctx.cipher, recording_id, result, language, elapsed)
    with ctx.database.session() as session, session.begin():
        schedule(session, "refresh_report", call_id, queue=queue)
