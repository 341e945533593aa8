"""The transcript of a voicemail, encrypted at rest."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Float, ForeignKey, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, BigIntPK, UTCDateTime, utcnow


class Transcript(Base):
    """What an engine made of one recording: ``text_enc`` holds the text encrypted.

    ``status`` is ``completed``, ``failed``, ``no_engine`` (e.g. no French engine) or
    ``pending`` (waiting for Twilio's transcription callback).
    """

    __tablename__ = "transcripts"

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    recording_id: Mapped[int] = mapped_column(
        ForeignKey("recordings.id", ondelete="CASCADE"), unique=True
    )
    engine: Mapped[str] = mapped_column(String(32))
    status: Mapped[str] = mapped_column(String(16))
    language: Mapped[str | None] = mapped_column(String(2))
    text_enc: Mapped[bytes | None] = mapped_column(LargeBinary)
    detail: Mapped[str | None] = mapped_column(String(256))
    audio_seconds: Mapped[float | None] = mapped_column(Float)
    elapsed_seconds: Mapped[float | None] = mapped_column(Float)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
