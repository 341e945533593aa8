"""Synthetic data for the metrics tests, written with bulk inserts (tens of thousands of
rows in a second or two on either database). Nothing here is real or identifying."""

from __future__ import annotations

import itertools
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import insert
from sqlalchemy.orm import Session

from models import Call, Recording, Referral, Report, ReportChange

RANKS = {"urgent": 0, "high": 1, "normal": 2, "low": 3}


def utc(*args: int) -> datetime:
    """A UTC instant."""
    return datetime(*args, tzinfo=UTC)  # type: ignore[misc]


@dataclass
class DataSet:
    """Rows to insert; ids are chosen here so that rows can refer to each other."""

    calls: list[dict[str, Any]] = field(default_factory=list)
    reports: list[dict[str, Any]] = field(default_factory=list)
    changes: list[dict[str, Any]] = field(default_factory=list)
    referrals: list[dict[str, Any]] = field(default_factory=list)
    recordings: list[dict[str, Any]] = field(default_factory=list)
    _ids: Iterator[int] = field(default_factory=lambda: itertools.count(1))

    def call(
        self,
        started_at: datetime,
        duration_s: int | None = 60,
        *,
        last_step: str | None = "close",
        transfer: str | None = None,
        info: bool = False,
        finished: bool = True,
    ) -> int:
        """A call; ``finished`` false leaves it in progress (no end, no duration)."""
        n = next(self._ids)
        ended = started_at + timedelta(seconds=duration_s or 0) if finished else None
        self.calls.append(
            {
                "id": n,
                "call_sid": f"CA{uuid.uuid4().hex}",
                "account_sid": "AC" + "1" * 32,
                "reference_number": f"{n:08d}",
                "status": "completed" if finished else "in-progress",
                "started_at": started_at,
                "ended_at": ended,
                "duration_s": duration_s if finished else None,
                "ended_by": "caller" if finished else None,
                "last_step": last_step,
                "flow_name": "default",
                "flow_state": {"node": last_step, "vars": {"info": "yes"} if info else {}},
                "transfer": transfer,
            }
        )
        return n

    def report(
        self,
        call_id: int,
        *,
        category: str = "csam",
        priority: str = "normal",
        language: str = "en",
        region: str | None = None,
        classification: str | None = None,
        danger: bool | None = None,
        repeat: bool = False,
        status: str = "new",
        assignee: str | None = None,
        ready_after_s: float | None = None,
    ) -> int:
        """The report of ``call_id`` (received when the call started)."""
        call = self.calls[call_id - 1]
        ready = None
        if ready_after_s is not None:
            ready = call["ended_at"] + timedelta(seconds=ready_after_s)
        self.reports.append(
            {
                "id": call_id,
                "call_id": call_id,
                "report_number": call["reference_number"],
                "received_at": call["started_at"],
                "language": language,
                "category": category,
                "classification": classification,
                "immediate_danger": danger,
                "priority": priority,
                "priority_rank": RANKS[priority],
                "status": status,
                "caller_region": region,
                "jurisdiction_province": region,
                "repeat_caller": repeat,
                "assignee": assignee,
                "ready_at": ready,
            }
        )
        return call_id

    def received_at(self, report_id: int) -> datetime:
        """When the report was received."""
        value: datetime = self.reports_by_id()[report_id]["received_at"]
        return value

    def reports_by_id(self) -> dict[int, dict[str, Any]]:
        """Reports by id."""
        return {r["id"]: r for r in self.reports}

    def change(self, report_id: int, status: str, at: datetime, author: str) -> None:
        """A status change of a report."""
        self.changes.append(
            {
                "report_id": report_id,
                "field": "status",
                "new_value": status,
                "at": at,
                "author": author,
            }
        )

    def referral(self, report_id: int, at: datetime) -> None:
        """A referral of a report to a police service."""
        self.referrals.append(
            {
                "report_id": report_id,
                "agency": "Test police service",
                "referred_at": at,
                "author": "t",
            }
        )

    def recording(self, call_id: int, status: str = "stored") -> None:
        """A recording of a call."""
        self.recordings.append(
            {"call_id": call_id, "recording_sid": f"RE{uuid.uuid4().hex}", "status": status}
        )

    def write(self, session: Session) -> None:
        """Insert everything (executemany per table) and flush."""
        for model, rows in (
            (Call, self.calls),
            (Report, self.reports),
            (ReportChange, self.changes),
            (Referral, self.referrals),
            (Recording, self.recordings),
        ):
            for chunk in _chunks(rows, 5000):
                session.execute(insert(model), chunk)
        session.flush()


def _chunks(rows: list[dict[str, Any]], size: int) -> Iterator[list[dict[str, Any]]]:
    for i in range(0, len(rows), size):
        yield rows[i : i + size]
