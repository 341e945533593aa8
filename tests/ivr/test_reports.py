"""Report building, priority and jurisdiction, on SQLite and PostgreSQL."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import select, text
from sqlalchemy.orm import Session

from ivr.calls.store import add_event, find_call, new_reference_number
from ivr.crypto import DataCipher
from ivr.jobs.outbox import schedule
from ivr.media.storage import AudioVault, DirectoryStore
from ivr.reports.pipeline import refresh_report
from ivr.reports.priority import prioritise
from models import Call, CallEvent, Database, Recording, Report, Transcript
from tests.conftest import app_config, running_app
from tests.live import wait_for

VOICEMAIL_FR = Path(__file__).resolve().parents[2] / "docs" / "samples" / "voicemail-fr.wav"
KNOWN_TRANSCRIPT = (
    "a man on a chat app keeps asking my daughter for photos, his username is @darkwolf42 "
    "on snapchat, he sent www.example.com/abc"
)


@pytest.mark.parametrize(
    ("category", "danger", "repeat", "details", "level"),
    [
        ("csam", True, False, False, "urgent"),
        ("other", True, True, True, "urgent"),
        ("luring", False, False, False, "high"),
        ("exploitation", None, False, False, "high"),
        ("csam", False, False, False, "normal"),
        ("csam", False, True, False, "high"),
        ("csam", False, False, True, "high"),
        ("other", False, False, False, "low"),
        ("unknown", None, False, True, "normal"),
        ("other", False, True, True, "high"),
        ("luring", False, True, True, "high"),
    ],
)
def test_priority_rules(
    category: str, danger: bool | None, repeat: bool, details: bool, level: str
) -> None:
    priority = prioritise(
        category=category, immediate_danger=danger, repeat_caller=repeat, details=details
    )
    assert priority.level == level
    assert priority.reasons
    assert priority.rank == ["urgent", "high", "normal", "low"].index(level)


@dataclass
class Made:
    session: Session
    cipher: DataCipher

    def call(
        self,
        *,
        category: str | None = "luring",
        caller: str | None = "+16135550142",
        language: str = "en",
        ended: bool = True,
        danger: bool | None = False,
        started_at: datetime | None = None,
    ) -> Call:
        started = started_at or datetime.now(UTC) - timedelta(minutes=5)
        call = Call(
            call_sid="CA" + uuid.uuid4().hex,
            account_sid="AC" + "1" * 32,
            reference_number=new_reference_number(),
            from_enc=self.cipher.encrypt_text(caller) if caller else None,
            from_hash=self.cipher.keyed_hash(caller) if caller else None,
            from_withheld=caller is None,
            caller_region="ON" if caller else None,
            status="completed" if ended else "in-progress",
            started_at=started,
            ended_at=started + timedelta(minutes=2) if ended else None,
            flow_name="default",
            flow_state={},
            category=category,
            language=language,
            immediate_danger=danger,
        )
        self.session.add(call)
        self.session.flush()
        return call

    def recording(
        self,
        call: Call,
        *,
        transcript: str | None = None,
        stored: bool = True,
        status: str = "completed",
    ) -> Recording:
        rec = Recording(
            call_id=call.id,
            recording_sid="RE" + uuid.uuid4().hex,
            status=status,
            duration_s=12,
            stored_at=datetime.now(UTC) if stored else None,
        )
        self.session.add(rec)
        self.session.flush()
        if transcript is not None:
            self.session.add(
                Transcript(
                    recording_id=rec.id,
                    engine="twilio",
                    status="completed",
                    language=call.language,
                    text_enc=self.cipher.encrypt_text(transcript),
                )
            )
            self.session.flush()
        self.session.refresh(call)
        return rec


@pytest.fixture
def made(app: Flask) -> Iterator[Made]:
    database = app.extensions["database"]
    with database.session() as session:
        yield Made(session, app.extensions["cipher"])
        session.rollback()


def test_report_from_a_known_transcript(made: Made) -> None:
    call = made.call(category="csam")
    made.recording(call, transcript=KNOWN_TRANSCRIPT)
    report = refresh_report(made.session, call.id, made.cipher)
    assert report is not None
    assert report.report_number == call.reference_number and report.status == "new"
    assert report.entities["handles"] == ["darkwolf42"]
    assert "snapchat" in report.entities["platforms"]
    assert report.entities["urls"] == ["www.example.com/abc"]
    assert report.priority == "high"  # csam, raised by the details
    assert any("addresses" in reason for reason in report.priority_reasons)
    assert (report.jurisdiction_province, report.jurisdiction_agency) == (
        "ON",
        "Ontario Provincial Police",
    )
    assert report.ready_at is not None and not report.repeat_caller
    again = refresh_report(made.session, call.id, made.cipher)
    assert again is report  # idempotent: the same row, not a second report


def test_repeat_callers_are_spotted_by_their_hash(made: Made) -> None:
    number = f"+1613555{uuid.uuid4().int % 10000:04d}"
    first = made.call(caller=number, started_at=datetime.now(UTC) - timedelta(days=3))
    second = made.call(caller=number)
    other = made.call(caller=None)
    assert refresh_report(made.session, first.id, made.cipher).repeat_caller is False  # type: ignore[union-attr]
    report = refresh_report(made.session, second.id, made.cipher)
    assert report is not None and report.repeat_caller
    assert "repeat caller" in " ".join(report.priority_reasons)
    anonymous = refresh_report(made.session, other.id, made.cipher)
    assert anonymous is not None and not anonymous.repeat_caller and anonymous.anonymous


def test_calls_that_said_nothing_keep_no_report(made: Made) -> None:
    silent = made.call(category=None)
    assert refresh_report(made.session, silent.id, made.cipher) is None
    absent = made.call(category="unknown")
    made.recording(absent, stored=False, status="absent")
    assert refresh_report(made.session, absent.id, made.cipher) is None
    unfinished = made.call(ended=False)
    assert refresh_report(made.session, unfinished.id, made.cipher) is None


def test_report_waits_for_its_recordings(made: Made) -> None:
    call = made.call(category="unknown")
    made.recording(call, stored=False, status="completed")
    report = refresh_report(made.session, call.id, made.cipher)
    assert report is not None and report.category == "unknown" and report.ready_at is None


def test_french_messages_are_not_transcribed_as_english(database_url: str, tmp_path: Path) -> None:
    config = app_config(database_url, tmp_path, TRANSCRIBER="pocketsphinx")
    with running_app(config) as app:
        database = app.extensions["database"]
        with database.session() as session:
            made = Made(session, app.extensions["cipher"])
            call = made.call(language="fr", category="luring")
            recording = made.recording(call)
            recording.storage_key = f"test/{recording.recording_sid}.wav.enc"
            vault = AudioVault(DirectoryStore(app.config["RECORDINGS_DIR"]), made.cipher)
            recording.sha256 = vault.put(recording.storage_key, VOICEMAIL_FR.read_bytes())
            schedule(session, "transcribe_recording", recording.id, queue="media")
            session.commit()  # the in-process dispatcher runs the job after commit
            recording_id, call_id = recording.id, call.id

        def transcript() -> Transcript | None:
            with database.session() as s:
                return s.scalar(select(Transcript).where(Transcript.recording_id == recording_id))

        done = wait_for(transcript, 30, "the transcription job")
        assert (done.status, done.detail, done.text_enc) == ("no_engine", "no engine for fr", None)
        report = wait_for(lambda: _report_of(database, call_id), 30, "the report")
        assert report.language == "fr" and report.ready_at is not None


def _report_of(database: Database, call_id: int) -> Report | None:
    with database.session() as s:
        return s.scalar(select(Report).where(Report.call_id == call_id))


@contextmanager
def _refresh_under_way(
    url: str, tmp_path: Path
) -> Iterator[tuple[Database, DataCipher, Call, Session]]:
    """An ended call on PostgreSQL, and its report refreshed in a transaction left open:
    the refresh's lock on the call is held until the block ends (then rolled back)."""
    with running_app(app_config(url, tmp_path)) as app:
        database: Database = app.extensions["database"]
        cipher: DataCipher = app.extensions["cipher"]
        with database.session() as session, session.begin():
            call = Made(session, cipher).call()
        job = database.session()
        job.begin()
        try:
            assert refresh_report(job, call.id, cipher) is not None  # not committed yet
            yield database, cipher, call, job
        finally:
            job.rollback()
            job.close()


def test_two_refreshes_of_one_call_at_once_make_one_report(
    own_postgres_url: str, tmp_path: Path
) -> None:
    with _refresh_under_way(own_postgres_url, tmp_path) as (database, cipher, call, first):
        call_id = call.id
        outcome: list[object] = []

        def second() -> None:
            with database.session() as session, session.begin():
                try:
                    outcome.append(refresh_report(session, call_id, cipher))
                except Exception as exc:  # what the race used to give
                    outcome.append(exc)

        racer = threading.Thread(target=second)
        racer.start()
        # The second refresh waits for the first one's lock on the call, not for a CPU.
        wait_for(lambda: _waiting_on_a_lock(first), 30, "the second refresh to wait")
        first.commit()
        racer.join(30)
        assert len(outcome) == 1 and isinstance(outcome[0], Report), outcome
        with database.session() as session:
            reports = session.scalars(select(Report).where(Report.call_id == call_id)).all()
            assert len(reports) == 1


def _waiting_on_a_lock(session: Session) -> bool:
    query = text(
        "SELECT count(*) FROM pg_stat_activity "
        "WHERE datname = current_database() AND wait_event_type = 'Lock'"
    )
    with session.get_bind().connect() as conn:
        return bool(conn.scalar(query))


def test_a_refresh_under_way_does_not_hold_up_a_late_callback_of_its_call(
    own_postgres_url: str, tmp_path: Path
) -> None:
    """A callback after the end (recording status, transcription) logs an event, whose
    foreign key check locks the call FOR KEY SHARE: the report's lock must not block it."""
    with _refresh_under_way(own_postgres_url, tmp_path) as (database, _cipher, call, _job):
        with database.session() as webhook, webhook.begin():
            webhook.execute(text("SET LOCAL lock_timeout = '2s'"))
            record = find_call(webhook, call.call_sid)
            assert record is not None
            add_event(webhook, record, "recording", datetime.now(UTC), outcome="late")
        with database.session() as session:
            kinds = session.scalars(select(CallEvent.kind).where(CallEvent.call_id == call.id))
            assert list(kinds) == ["recording"]
