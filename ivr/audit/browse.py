"""Reading the audit log: filters and keyset pages, newest entry first.

Flask-free (the JSON API and a console page call it with the request's session). Pages
are keyed on the entry id, which only grows: a page never shifts when entries are
appended meanwhile.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, select
from sqlalchemy.orm import Session

from ivr.reports.queries import (
    DEFAULT_LIMIT,
    MAX_LIMIT,
    InvalidQuery,
    Page,
    decode_cursor,
    query_values,
)
from ivr.reports.queries import encode_cursor as _encode
from models import AuditEntry

SCOPE = "audit"
OUTCOMES = ("ok", "denied", "failed")
MAX_TEXT = 64


@dataclass(frozen=True)
class AuditFilters:
    """All given filters must match; None means any. ``at_from`` inclusive, ``at_before``
    exclusive (UTC)."""

    actor: str | None = None
    action: str | None = None
    target_type: str | None = None
    target_id: str | None = None
    outcome: str | None = None
    at_from: datetime | None = None
    at_before: datetime | None = None

    def conditions(self) -> list[ColumnElement[bool]]:
        """The WHERE conditions of the filters that are set."""
        columns = {
            "actor": AuditEntry.actor,
            "action": AuditEntry.action,
            "target_type": AuditEntry.target_type,
            "target_id": AuditEntry.target_id,
            "outcome": AuditEntry.outcome,
        }
        found = [
            column == getattr(self, name)
            for name, column in columns.items()
            if getattr(self, name) is not None
        ]
        if self.at_from is not None:
            found.append(AuditEntry.at >= self.at_from)
        if self.at_before is not None:
            found.append(AuditEntry.at < self.at_before)
        return found


def _day(name: str, value: str) -> datetime:
    try:
        day = date.fromisoformat(value)
    except ValueError as exc:
        raise InvalidQuery(f"{name}: a date is YYYY-MM-DD") from exc
    return datetime(day.year, day.month, day.day, tzinfo=UTC)


def parse_audit_filters(args: Mapping[str, str]) -> AuditFilters:
    """:class:`AuditFilters` from query-string values: ``actor``, ``action``,
    ``target_type``, ``target_id``, ``outcome``, ``from`` and ``to`` (dates, inclusive,
    UTC). Blank values are ignored; raises :class:`InvalidQuery` naming a bad one."""
    given = query_values(args)
    values: dict[str, Any] = {}
    for name in ("actor", "action", "target_type", "target_id", "outcome"):
        if name in given:
            if len(given[name]) > MAX_TEXT:
                raise InvalidQuery(f"{name}: at most {MAX_TEXT} characters")
            values[name] = given[name]
    if values.get("outcome") not in (None, *OUTCOMES):
        raise InvalidQuery(f"outcome: one of {', '.join(OUTCOMES)}")
    if "from" in given:
        values["at_from"] = _day("from", given["from"])
    if "to" in given:
        values["at_before"] = _day("to", given["to"]) + timedelta(days=1)
    return AuditFilters(**values)


def _int(value: Any) -> int:
    if not isinstance(value, int) or isinstance(value, bool):
        raise ValueError("not an integer")
    return value


def search_audit(
    session: Session,
    filters: AuditFilters | None = None,
    *,
    cursor: str | None = None,
    limit: int = DEFAULT_LIMIT,
) -> Page[AuditEntry]:
    """Entries matching ``filters``, newest first; ``next_cursor`` leads to older ones.

    ``limit`` is capped at :data:`MAX_LIMIT`; a bad cursor raises :class:`InvalidQuery`.
    """
    limit = max(1, min(limit, MAX_LIMIT))
    query = select(AuditEntry).where(*(filters or AuditFilters()).conditions())
    if cursor is not None:
        _, (last_id,) = decode_cursor(cursor, SCOPE, (_int,))
        query = query.where(AuditEntry.id < last_id)
    rows = list(session.scalars(query.order_by(AuditEntry.id.desc()).limit(limit + 1)))
    more = len(rows) > limit
    rows = rows[:limit]
    next_cursor = _encode(SCOPE, "after", [rows[-1].id]) if more else None
    return Page(rows, next_cursor, None)
