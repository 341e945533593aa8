"""What analysts do to a report: notes, referrals and the history of every change."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, BigIntPK, UTCDateTime, utcnow


class ReportNote(Base):
    """An analyst's note on a report (encrypted: it may quote the caller)."""

    __tablename__ = "report_notes"

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    report_id: Mapped[int] = mapped_column(ForeignKey("reports.id", ondelete="CASCADE"), index=True)
    author: Mapped[str] = mapped_column(String(64))
    text_enc: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Referral(Base):
    """A report referred onward: to whom, when, under which reference."""

    __tablename__ = "referrals"
    __table_args__ = (Index("ix_referrals_created_at", "created_at"),)  # the metrics rollup

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    report_id: Mapped[int] = mapped_column(ForeignKey("reports.id", ondelete="CASCADE"), index=True)
    agency: Mapped[str] = mapped_column(String(128))
    referred_at: Mapped[datetime] = mapped_column(UTCDateTime)
    reference: Mapped[str | None] = mapped_column(String(64))
    author: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class ReportChange(Base):
    """One change of one field of a report, timestamped and attributed."""

    __tablename__ = "report_changes"
    __table_args__ = (
        Index("ix_report_changes_report_at", "report_id", "at"),
        # The dashboard counts changes by kind over a period (ivr.metrics.work).
        Index("ix_report_changes_field_value_at", "field", "new_value", "at"),
        Index("ix_report_changes_at", "at"),  # the metrics rollup's changes
    )

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    report_id: Mapped[int] = mapped_column(ForeignKey("reports.id", ondelete="CASCADE"))
    field: Mapped[str] = mapped_column(String(32))
    old_value: Mapped[str | None] = mapped_column(String(256))
    new_value: Mapped[str | None] = mapped_column(String(256))
    reason: Mapped[str | None] = mapped_column(String(512))
    author: Mapped[str] = mapped_column(String(64))
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
