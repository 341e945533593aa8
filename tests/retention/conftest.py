"""Fixtures of the retention tests: an app on a database of its own, and a builder of
calls and reports at chosen times (the purge touches every row, so nothing is shared)."""

from __future__ import annotations

import secrets
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy.orm import Session

from ivr.crypto import DataCipher
from ivr.media.storage import AudioVault, DirectoryStore
from models import Call, CallEvent, Database, Recording, Report, ReportChange, Transcript
from tests.conftest import ACCOUNT_SID, app_config, running_app

NUMBER = "+16135550142"  # fictional (555-01XX)
VOICEMAIL = b"RIFF demo: a man on a chat app keeps asking my daughter for photos"


@pytest.fixture(params=["sqlite", "postgres"])
def own_app(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Flask]:
    """The app on a database of its own (SQLite, then PostgreSQL)."""
    name = "sqlite_url" if request.param == "sqlite" else "own_postgres_url"
    url: str = request.getfixturevalue(name)
    with running_app(app_config(url, tmp_path)) as app:
        yield app


@dataclass
class Made:
    """What the builder made for one call: ids and the audio file, if any."""

    call_id: int
    report_id: int | None
    recording_id: int | None
    file: Path | None


@dataclass
class Builder:
    """Makes calls (with events, a voicemail, a report) as they would be at given times."""

    app: Flask

    @property
    def database(self) -> Database:
        database: Database = self.app.extensions["database"]
        return database

    @property
    def cipher(self) -> DataCipher:
        cipher: DataCipher = self.app.extensions["cipher"]
        return cipher

    def _voicemail(self, call: Call, started: datetime, stored: bool) -> Recording:
        recording = Recording(
            recording_sid="RE" + uuid.uuid4().hex,
            status="completed" if stored else "absent",
            duration_s=14 if stored else None,
        )
        if stored:
            key = f"{started:%Y/%m}/{recording.recording_sid}.wav.enc"
            vault = AudioVault(DirectoryStore(self.app.config["RECORDINGS_DIR"]), self.cipher)
            recording.sha256, recording.storage_key = vault.put(key, VOICEMAIL), key
            recording.stored_at = started + timedelta(minutes=1)
        call.recordings.append(recording)
        return recording

    def call(
        self,
        started: datetime,
        *,
        voicemail: str | None = "stored",
        status: str | None = None,
        status_at: datetime | None = None,
    ) -> Made:
        """A finished call at ``started``; ``status`` gives it a report, which reached
        that status at ``status_at``. ``voicemail``: "stored", "absent" or None."""
        with self.database.session() as session, session.begin():
            call = self._call(started)
            recording = None
            if voicemail is not None:
                recording = self._voicemail(call, started, voicemail == "stored")
            session.add(call)
            session.flush()
            if recording is not None and voicemail == "stored":
                text = self.cipher.encrypt_text("his name is dark wolf 42")
                session.add(
                    Transcript(
                        recording_id=recording.id, engine="test", status="completed", text_enc=text
                    )
                )
            report_id = None
            if status is not None:
                report_id = self._report(session, call, status, status_at or started)
            file = None
            if recording is not None and recording.storage_key:
                file = Path(self.app.config["RECORDINGS_DIR"]) / recording.storage_key
            return Made(call.id, report_id, recording.id if recording else None, file)

    def _call(self, started: datetime) -> Call:
        call = Call(
            call_sid="CA" + uuid.uuid4().hex,
            account_sid=ACCOUNT_SID,
            reference_number=str(10**7 + secrets.randbelow(9 * 10**7)),
            from_enc=self.cipher.encrypt_text(NUMBER),
            from_hash=self.cipher.keyed_hash(NUMBER),
            callback_enc=self.cipher.encrypt_text(NUMBER),
            caller_country="CA",
            caller_region="ON",
            language="en",
            status="completed",
            started_at=started,
            ended_at=started + timedelta(minutes=3),
            duration_s=180,
            ended_by="ivr",
            last_step="close",
            flow_name="default",
            flow_state={},
            category="luring",
        )
        for node in ("language", "main_menu", "danger", "message", "close"):
            call.events.append(CallEvent(kind="ivr", node=node, outcome="chosen", at=started))
        return call

    def _report(self, session: Session, call: Call, status: str, status_at: datetime) -> int:
        report = Report(
            call_id=call.id,
            report_number=call.reference_number,
            received_at=call.started_at,
            language="en",
            category="luring",
            priority="high",
            priority_rank=1,
            status=status,
            anonymous=False,
            created_at=call.ended_at,
            updated_at=status_at,
        )
        session.add(report)
        session.flush()
        if status != "new":
            session.add(
                ReportChange(
                    report_id=report.id,
                    field="status",
                    old_value="new" if status == "in_review" else "in_review",
                    new_value=status,
                    author="analyst",
                    at=status_at,
                )
            )
        return report.id


@pytest.fixture
def build(own_app: Flask) -> Builder:
    """The builder of calls for ``own_app``."""
    return Builder(own_app)
