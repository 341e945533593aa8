"""A voicemail left during a call."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.base import Base, BigIntPK, UTCDateTime, utcnow

if TYPE_CHECKING:
    from models.call import Call


class Recording(Base):
    """A recording, keyed by Twilio's RecordingSid.

    It may be announced first by the ``<Record>`` action or by the recording status
    callback (the order is not guaranteed), so every field is filled from whichever
    arrives and never overwritten by an older status. Once purged by the retention
    policy (``purged_at``) only its duration and SHA-256 remain.
    """

    __tablename__ = "recordings"
    __table_args__ = (Index("ix_recordings_updated_at", "updated_at"),)  # the metrics rollup

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    call_id: Mapped[int] = mapped_column(ForeignKey("calls.id", ondelete="CASCADE"), index=True)
    recording_sid: Mapped[str] = mapped_column(String(64), unique=True)
    url: Mapped[str | None] = mapped_column(String(512))
    duration_s: Mapped[int | None] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(20))
    ended_with: Mapped[str | None] = mapped_column(String(16))
    sha256: Mapped[str | None] = mapped_column(String(64))
    storage_key: Mapped[str | None] = mapped_column(String(256))
    size_bytes: Mapped[int | None] = mapped_column(Integer)
    stored_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    twilio_deleted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    fetch_attempts: Mapped[int] = mapped_column(Integer, default=0)
    fetch_error: Mapped[str | None] = mapped_column(String(256))
    # Set by the retention purge: the audio and its transcript are gone, the facts stay.
    purged_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    call: Mapped[Call] = relationship(back_populates="recordings")
