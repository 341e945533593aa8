"""Building what the console tests look at: varied calls and reports, stored audio."""

from __future__ import annotations

import io
import math
import wave
from typing import Any

from flask import Flask
from sqlalchemy import delete, select, update

from ivr.media.storage import AudioVault, DirectoryStore
from models import Call, Recording, Report
from tests.auth.helpers import database
from tests.reports.factory import ReportFactory


def tone_wav(seconds: float = 1.0, rate: int = 8000) -> bytes:
    """A real WAV file: a 440 Hz tone, 16-bit mono."""
    frames = int(seconds * rate)
    samples = (int(8000 * math.sin(2 * math.pi * 440 * i / rate)) for i in range(frames))
    pcm = b"".join(s.to_bytes(2, "little", signed=True) for s in samples)
    out = io.BytesIO()
    with wave.open(out, "wb") as wav:
        wav.setnchannels(1)
        wav.setsampwidth(2)
        wav.setframerate(rate)
        wav.writeframes(pcm)
    return out.getvalue()


def vault(app: Flask) -> AudioVault:
    """The app's encrypted recordings store."""
    return AudioVault(DirectoryStore(app.config["RECORDINGS_DIR"]), app.extensions["cipher"])


def store_audio(app: Flask, report_number: str, audio: bytes) -> str:
    """Put ``audio`` in the vault as the report's voicemail; returns its RecordingSid."""
    with database(app).session() as session, session.begin():
        recording = session.scalars(
            select(Recording).join(Call).where(Call.reference_number == report_number)
        ).one()
        key = f"recordings/{recording.recording_sid}.enc"
        recording.sha256 = vault(app).put(key, audio)
        recording.storage_key = key
        recording.size_bytes = len(audio)
        return recording.recording_sid


def make_call(
    factory: ReportFactory,
    *,
    minutes: int = 0,
    report: bool = True,
    voicemail: bool = True,
    call: dict[str, Any] | None = None,
    fields: dict[str, Any] | None = None,
) -> str:
    """A call made by the factory, with ``call`` columns and report ``fields`` changed;
    without its report when ``report`` is false. Returns the reference number."""
    number = factory(minutes=minutes, voicemail=voicemail)
    with factory.database.session() as session, session.begin():
        if call:
            session.execute(update(Call).where(Call.reference_number == number).values(**call))
        if not report:
            session.execute(delete(Report).where(Report.report_number == number))
        elif fields:
            session.execute(update(Report).where(Report.report_number == number).values(**fields))
    return number


def report_state(app: Flask, number: str) -> Report:
    """The report as stored now."""
    with database(app).session() as session:
        report = session.scalar(select(Report).where(Report.report_number == number))
        assert report is not None
        return report
