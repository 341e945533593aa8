"""The append-only, hash-chained audit log."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Index, String
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, BigIntPK, JSONDoc, UTCDateTime


class AuditEntry(Base):
    """Who did what to which record, when. Never updated, never deleted (except by the
    audited retention purge of the things it names, which keeps the entries).

    ``hash`` = SHA-256 over ``prev_hash`` and this entry's canonical content, so an
    edited or deleted entry breaks the chain (``flask audit verify``).
    """

    __tablename__ = "audit_entries"
    __table_args__ = (
        Index("ix_audit_entries_at", "at"),
        Index("ix_audit_entries_target", "target_type", "target_id"),
        Index("ix_audit_entries_actor", "actor"),
    )

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    actor: Mapped[str | None] = mapped_column(String(64))
    action: Mapped[str] = mapped_column(String(48))
    target_type: Mapped[str | None] = mapped_column(String(32))
    target_id: Mapped[str | None] = mapped_column(String(64))
    outcome: Mapped[str] = mapped_column(String(16), default="ok")
    ip: Mapped[str | None] = mapped_column(String(64))
    detail: Mapped[dict[str, Any]] = mapped_column(JSONDoc, default=dict)
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64), unique=True)
