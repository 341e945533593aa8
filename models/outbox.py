"""The outbox: background work recorded in the same transaction as the state needing it."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, BigIntPK, JSONDoc, UTCDateTime, utcnow


class OutboxMessage(Base):
    """One job to run: ``task`` with ``args`` (ids only, never personal data).

    Written with the state that needs it, relayed to the queue after commit
    (``relayed_at``), and marked ``done_at`` by the job itself; a sweeper relays again
    whatever was never relayed or was relayed long ago and never finished.
    """

    __tablename__ = "outbox"
    __table_args__ = (Index("ix_outbox_pending", "done_at", "relayed_at"),)

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    task: Mapped[str] = mapped_column(String(64))
    args: Mapped[list[Any]] = mapped_column(JSONDoc, default=list)
    queue: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    relayed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    done_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(String(256))
