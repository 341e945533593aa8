"""The structured report a call becomes, waiting in the analyst queue."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import Boolean, ForeignKey, Index, Integer, String, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.base import Base, BigIntPK, JSONDoc, UTCDateTime, utcnow

if TYPE_CHECKING:
    from models.call import Call

PRIORITIES = ("urgent", "high", "normal", "low")
STATUSES = ("new", "in_review", "referred", "closed", "duplicate")


class Report(Base):
    """One report per call that said what it is about or left a message.

    ``report_number`` is the call's reference number, the one read to the caller.
    ``priority_rank`` orders the queue (0 = urgent); ``priority_reasons`` says why.
    """

    __tablename__ = "reports"
    __table_args__ = (
        Index("ix_reports_queue", "status", "priority_rank", "received_at"),
        Index("ix_reports_received_at", "received_at"),
        Index("ix_reports_updated_at", "updated_at"),  # the metrics rollup's changes
        # The call log filtered on a report field walks these, newest first.
        Index("ix_reports_assignee_received", "assignee", "received_at", "call_id"),
        Index("ix_reports_priority_received", "priority", "received_at", "call_id"),
        Index("ix_reports_status_received", "status", "received_at", "call_id"),
        # The analyst queue: open reports only, in the queue's order, so its first page
        # reads 50 index entries and its count is an index-only scan, however many
        # closed reports pile up behind them.
        Index(
            "ix_reports_open_queue",
            "priority_rank",
            "received_at",
            "id",
            postgresql_where=text("status IN ('new', 'in_review')"),
            sqlite_where=text("status IN ('new', 'in_review')"),
        ),
        # The dashboard's backlog and the operators' open reports, read from the index
        # alone (ivr.metrics.work).
        Index(
            "ix_reports_open_backlog",
            "priority",
            "status",
            "assignee",
            "received_at",
            postgresql_where=text("status IN ('new', 'in_review')"),
            sqlite_where=text("status IN ('new', 'in_review')"),
        ),
    )

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    call_id: Mapped[int] = mapped_column(ForeignKey("calls.id", ondelete="CASCADE"), unique=True)
    report_number: Mapped[str] = mapped_column(String(16), unique=True)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime)
    channel: Mapped[str] = mapped_column(String(10), default="phone")
    language: Mapped[str] = mapped_column(String(2))
    category: Mapped[str] = mapped_column(String(20))
    classification: Mapped[str | None] = mapped_column(String(32))
    immediate_danger: Mapped[bool | None] = mapped_column(Boolean)
    priority: Mapped[str] = mapped_column(String(10))
    priority_rank: Mapped[int] = mapped_column(Integer)
    priority_reasons: Mapped[list[str]] = mapped_column(JSONDoc, default=list)
    priority_overridden: Mapped[bool] = mapped_column(Boolean, default=False)
    status: Mapped[str] = mapped_column(String(16), default="new")
    anonymous: Mapped[bool] = mapped_column(Boolean, default=True)
    caller_region: Mapped[str | None] = mapped_column(String(8))
    repeat_caller: Mapped[bool] = mapped_column(Boolean, default=False)
    entities: Mapped[dict[str, Any]] = mapped_column(JSONDoc, default=dict)
    jurisdiction_province: Mapped[str | None] = mapped_column(String(8))
    jurisdiction_agency: Mapped[str | None] = mapped_column(String(128))
    assignee: Mapped[str | None] = mapped_column(String(64))
    ready_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    call: Mapped[Call] = relationship()
