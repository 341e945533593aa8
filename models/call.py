"""A phone call to the line and every step it went through."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import Boolean, ForeignKey, Index, Integer, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.base import Base, BigIntPK, JSONDoc, UTCDateTime, utcnow

if TYPE_CHECKING:
    from models.recording import Recording


class Call(Base):
    """One inbound call, keyed by Twilio's CallSid.

    The caller's number is never stored in clear: ``from_enc`` holds it encrypted
    (see the app's cipher) and ``from_hash`` a keyed hash that spots repeat callers
    without revealing the number.
    """

    __tablename__ = "calls"
    # The call log walks calls newest first; these serve its filters on rare values.
    __table_args__ = (
        Index("ix_calls_status_started", "status", "started_at", "id"),
        Index("ix_calls_category_started", "category", "started_at", "id"),
        Index("ix_calls_region_started", "caller_region", "started_at", "id"),
        # The metrics rollup finds the days to recompute from what changed lately.
        Index("ix_calls_updated_at", "updated_at"),
    )

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    call_sid: Mapped[str] = mapped_column(String(64), unique=True)
    account_sid: Mapped[str] = mapped_column(String(64))
    reference_number: Mapped[str] = mapped_column(String(16), unique=True)
    from_enc: Mapped[bytes | None] = mapped_column(LargeBinary)
    from_hash: Mapped[str | None] = mapped_column(String(64), index=True)
    from_withheld: Mapped[bool] = mapped_column(Boolean, default=False)
    to_number: Mapped[str | None] = mapped_column(String(32))
    caller_country: Mapped[str | None] = mapped_column(String(2))
    caller_region: Mapped[str | None] = mapped_column(String(8))
    language: Mapped[str | None] = mapped_column(String(2))
    status: Mapped[str] = mapped_column(String(20))
    status_seq: Mapped[int] = mapped_column(Integer, default=-1)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    duration_s: Mapped[int | None] = mapped_column(Integer)
    ended_by: Mapped[str | None] = mapped_column(String(20))
    last_step: Mapped[str | None] = mapped_column(String(64))
    flow_name: Mapped[str] = mapped_column(String(64))
    flow_state: Mapped[dict[str, Any]] = mapped_column(JSONDoc, default=dict)
    category: Mapped[str | None] = mapped_column(String(20))
    immediate_danger: Mapped[bool | None] = mapped_column(Boolean)
    callback_enc: Mapped[bytes | None] = mapped_column(LargeBinary)
    transfer: Mapped[str | None] = mapped_column(String(20))
    degraded: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    events: Mapped[list[CallEvent]] = relationship(
        back_populates="call", order_by="CallEvent.id", cascade="all, delete-orphan"
    )
    recordings: Mapped[list[Recording]] = relationship(
        back_populates="call", order_by="Recording.id", cascade="all, delete-orphan"
    )

    @property
    def is_finished(self) -> bool:
        """True once Twilio reported a final call status."""
        return self.ended_at is not None


class CallEvent(Base):
    """One step of a call: a prompt presented, a key pressed, a callback received.

    ``input`` never holds an identifying value: the flow masks what a caller keys in
    at sensitive steps (their callback number).
    """

    __tablename__ = "call_events"
    __table_args__ = (Index("ix_call_events_call_id_id", "call_id", "id"),)

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    call_id: Mapped[int] = mapped_column(ForeignKey("calls.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(20))
    node: Mapped[str | None] = mapped_column(String(64))
    prompt: Mapped[str | None] = mapped_column(String(64))
    input: Mapped[str | None] = mapped_column(String(64))
    outcome: Mapped[str | None] = mapped_column(String(32))
    detail: Mapped[str | None] = mapped_column(Text)
    at: Mapped[datetime] = mapped_column(UTCDateTime)

    call: Mapped[Call] = relationship(back_populates="events")
