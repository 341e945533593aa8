"""Reading reports and calls for analysts: the queue, the call log, one record.

No Flask here: the console pages and the JSON API both call these functions with a
SQLAlchemy session and show what they return.

Both lists use keyset pagination: a page is the ``limit`` rows that follow (or precede)
the sort key of a row the client saw, never an ``OFFSET``, so that page 10,000 of a
million calls costs what page 1 costs, and rows arriving meanwhile neither repeat nor
vanish across pages. The cursor handed to clients is that key, encoded opaquely
(:func:`encode_cursor`); a client must only pass back a cursor it was given.

- The analyst queue: open reports (``new``, ``in_review``), urgent first, then by
  priority, then oldest first (``priority_rank``, ``received_at``, ``id`` ascending).
- The call log: every call, newest first (``started_at``, ``id`` descending), with its
  report if it has one, filtered by :class:`CallFilters`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, fields
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, exists, func, select
from sqlalchemy.orm import InstrumentedAttribute, Session, selectinload

from ivr.reports.keyset import (
    DEFAULT_LIMIT,
    MAX_LIMIT,
    AnySelect,
    InvalidQuery,
    Keyset,
    Page,
    datetime_key,
    decode_cursor,
    encode_cursor,
    int_key,
    keyset_page,
    window,
)
from models import PRIORITIES, STATUSES, Call, Recording, Report

OPEN_STATUSES = ("new", "in_review")
CALL_STATUSES = (
    "queued",
    "ringing",
    "in-progress",
    "completed",
    "busy",
    "failed",
    "no-answer",
    "canceled",
)
CATEGORIES = ("csam", "luring", "exploitation", "other")
LANGUAGES = ("en", "fr")
# Recordings that hold no message (see ivr.reports.pipeline.UNUSABLE_RECORDING).
_NO_MESSAGE = ("absent", "failed")


@dataclass(frozen=True)
class CallLogRow:
    """A call of the call log, its report (None if the call made none), and whether the
    caller left a message."""

    call: Call
    report: Report | None
    has_voicemail: bool


@dataclass(frozen=True)
class CallFilters:
    """Filters of the call log; None means "any". All given filters must match.

    ``started_from`` is inclusive, ``started_before`` exclusive (UTC datetimes).
    ``status`` is the call's Twilio status, ``report_status`` its report's workflow status.
    ``category``, ``language`` and ``province`` are the call's; ``priority`` and
    ``assignee`` its report's; ``report_number`` matches one call exactly.
    ``has_report`` keeps only the calls that became a report (True) or did not (False);
    the JSON API's report list sets it, the console's call log does not offer it.
    """

    started_from: datetime | None = None
    started_before: datetime | None = None
    status: str | None = None
    category: str | None = None
    language: str | None = None
    province: str | None = None
    priority: str | None = None
    assignee: str | None = None
    has_voicemail: bool | None = None
    report_number: str | None = None
    report_status: str | None = None
    has_report: bool | None = None

    def is_empty(self) -> bool:
        """True when no filter is set."""
        return all(getattr(self, f.name) is None for f in fields(self))


_QUEUE = Keyset(
    "queue",
    (Report.priority_rank, Report.received_at, Report.id),
    False,
    (int_key, datetime_key, int_key),
)
_CALLS = Keyset("calls", (Call.started_at, Call.id), True, (datetime_key, int_key))
# The same order and the same cursor values, read from the report: a report's received_at is
# its call's started_at (ivr.reports.pipeline copies it) and its call_id the call's id. When a
# filter is on the report, PostgreSQL can then walk an index of reports in that order instead
# of every call.
_CALLS_BY_REPORT = Keyset(
    "calls", (Report.received_at, Report.call_id), True, (datetime_key, int_key), entity=1
)


# --- the analyst queue ----------------------------------------------------------------


def _queue(assignee: str | None) -> AnySelect:
    query = select(Report).where(Report.status.in_(OPEN_STATUSES))
    if assignee is not None:
        query = query.where(Report.assignee == assignee)
    return query


def analyst_queue_statement(
    *, cursor: str | None = None, limit: int = DEFAULT_LIMIT, assignee: str | None = None
) -> AnySelect:
    """The SELECT that :func:`analyst_queue` runs for one page (for EXPLAIN)."""
    return window(_queue(assignee), _QUEUE, cursor, limit).query


def analyst_queue(
    session: Session,
    *,
    cursor: str | None = None,
    limit: int = DEFAULT_LIMIT,
    assignee: str | None = None,
) -> Page[Report]:
    """Open reports (``new``, ``in_review``) in the order analysts take them.

    Urgent first, then by priority (``priority_rank``), then by arrival (``received_at``,
    oldest first), then id. ``assignee`` keeps only that user's reports. The reports'
    calls are loaded with them (``report.call``). Raises :class:`InvalidQuery` for a bad
    cursor.
    """
    query = _queue(assignee).options(selectinload(Report.call).selectinload(Call.recordings))
    rows, next_cursor, prev_cursor = keyset_page(session, query, _QUEUE, cursor, limit)
    return Page([row[0] for row in rows], next_cursor, prev_cursor)


def count_open_reports(session: Session) -> int:
    """How many reports wait in the queue."""
    query = select(func.count(Report.id)).where(Report.status.in_(OPEN_STATUSES))
    return session.scalar(query) or 0


# --- the call log ---------------------------------------------------------------------


def _has_voicemail() -> ColumnElement[bool]:
    return exists(
        select(Recording.id).where(
            Recording.call_id == Call.id, Recording.status.not_in(_NO_MESSAGE)
        )
    )


def _conditions(filters: CallFilters) -> list[ColumnElement[bool]]:
    f = filters
    equal: list[tuple[Any, InstrumentedAttribute[Any]]] = [
        (f.status, Call.status),
        (f.category, Call.category),
        (f.language, Call.language),
        (f.province, Call.caller_region),
        (f.priority, Report.priority),
        (f.assignee, Report.assignee),
        (f.report_number, Call.reference_number),
        (f.report_status, Report.status),
    ]
    found = [column == value for value, column in equal if value is not None]
    if f.started_from is not None:
        found.append(Call.started_at >= f.started_from)
    if f.started_before is not None:
        found.append(Call.started_at < f.started_before)
    if f.has_voicemail is not None:
        found.append(_has_voicemail() if f.has_voicemail else ~_has_voicemail())
    if f.has_report is False:
        found.append(Report.id.is_(None))
    return found


def _call_log(filters: CallFilters) -> tuple[AnySelect, Keyset]:
    columns = (Call, Report, _has_voicemail().label("has_voicemail"))
    on_report = filters.has_report is True or any(
        v is not None for v in (filters.priority, filters.assignee, filters.report_status)
    )
    if on_report:  # only calls with a report can match: walk the reports
        query = select(*columns).join(Report, Report.call_id == Call.id)
    else:
        query = select(*columns).outerjoin(Report, Report.call_id == Call.id)
    return query.where(*_conditions(filters)), _CALLS_BY_REPORT if on_report else _CALLS


def search_calls_statement(
    filters: CallFilters | None = None, *, cursor: str | None = None, limit: int = DEFAULT_LIMIT
) -> AnySelect:
    """The SELECT that :func:`search_calls` runs for one page (for EXPLAIN in benchmarks)."""
    query, keyset = _call_log(filters or CallFilters())
    return window(query, keyset, cursor, limit).query


def search_calls(
    session: Session,
    filters: CallFilters | None = None,
    *,
    cursor: str | None = None,
    limit: int = DEFAULT_LIMIT,
) -> Page[CallLogRow]:
    """The call log: calls matching ``filters``, newest first (``started_at``, ``id``).

    Each row carries the call, its report (or None) and whether a message was left.
    ``limit`` is capped at :data:`MAX_LIMIT`. Raises :class:`InvalidQuery` for a bad
    cursor (filters are not validated here: see :func:`parse_call_filters`).
    """
    query, keyset = _call_log(filters or CallFilters())
    rows, next_cursor, prev_cursor = keyset_page(session, query, keyset, cursor, limit)
    items = [CallLogRow(call, report, bool(voicemail)) for call, report, voicemail in rows]
    return Page(items, next_cursor, prev_cursor)


def _choice(name: str, value: str, allowed: Sequence[str]) -> str:
    if value not in allowed:
        raise InvalidQuery(f"{name} must be one of {', '.join(allowed)}")
    return value


def _day(name: str, value: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError as exc:
        raise InvalidQuery(f"{name} must be a date (YYYY-MM-DD)") from exc


def _flag(name: str, value: str) -> bool:
    if value.lower() in ("1", "true", "yes", "on"):
        return True
    if value.lower() in ("0", "false", "no", "off"):
        return False
    raise InvalidQuery(f"{name} must be yes or no")


def _text(name: str, value: str, *, digits: bool = False, size: int = 64) -> str:
    if len(value) > size or (digits and not value.isdigit()):
        raise InvalidQuery(f"{name} is not valid")
    return value


# The query-string names parse_call_filters reads.
CALL_FILTER_NAMES = (
    "from", "to", "status", "category", "language", "province", "priority", "assignee",
    "has_voicemail", "report_number", "report_status",
)  # fmt: skip


def query_values(args: Mapping[str, str]) -> dict[str, str]:
    """The query string's non-blank values, stripped. A NUL character is refused
    (:class:`InvalidQuery`): no stored text holds one, and PostgreSQL refuses it in a
    comparison, so it would be a server error rather than an empty page."""
    given = {k: v.strip() for k, v in args.items() if isinstance(v, str) and v.strip()}
    for name, value in given.items():
        if "\x00" in value:
            raise InvalidQuery(f"{name} is not valid")
    return given


def parse_call_filters(args: Mapping[str, str]) -> CallFilters:
    """:class:`CallFilters` from query-string values (blank values are ignored).

    Names: ``from`` and ``to`` (dates, ``YYYY-MM-DD``, UTC, both inclusive), ``status``,
    ``category``, ``language``, ``province``, ``priority``, ``assignee``,
    ``has_voicemail`` (yes/no, true/false, 1/0), ``report_number`` (digits),
    ``report_status``. Raises :class:`InvalidQuery` naming the first bad value.
    """
    given = query_values(args)
    values: dict[str, Any] = {}
    if "from" in given:
        values["started_from"] = _midnight(_day("from", given["from"]))
    if "to" in given:
        values["started_before"] = _midnight(_day("to", given["to"]) + timedelta(days=1))
    parsers: dict[str, Callable[[str], Any]] = {
        "status": lambda v: _choice("status", v, CALL_STATUSES),
        "category": lambda v: _choice("category", v, CATEGORIES),
        "language": lambda v: _choice("language", v, LANGUAGES),
        "province": lambda v: _text("province", v.upper(), size=8),
        "priority": lambda v: _choice("priority", v, PRIORITIES),
        "assignee": lambda v: _text("assignee", v),
        "has_voicemail": lambda v: _flag("has_voicemail", v),
        "report_number": lambda v: _text("report_number", v, digits=True, size=16),
        "report_status": lambda v: _choice("report_status", v, STATUSES),
    }
    for name, parse in parsers.items():
        if name in given:
            values[name] = parse(given[name])
    return CallFilters(**values)


def _midnight(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=UTC)


# --- one record ------------------------------------------------------------------------


def find_report(session: Session, report_number: str) -> Report | None:
    """The report with ``report_number``, with its call, the call's steps and recordings
    loaded; None if there is none."""
    query = (
        select(Report)
        .where(Report.report_number == report_number)
        .options(
            selectinload(Report.call).selectinload(Call.recordings),
            selectinload(Report.call).selectinload(Call.events),
        )
    )
    return session.scalar(query)


__all__ = [
    "CALL_FILTER_NAMES",
    "CALL_STATUSES",
    "CATEGORIES",
    "DEFAULT_LIMIT",
    "LANGUAGES",
    "MAX_LIMIT",
    "OPEN_STATUSES",
    "CallFilters",
    "CallLogRow",
    "InvalidQuery",
    "Page",
    "analyst_queue",
    "analyst_queue_statement",
    "count_open_reports",
    "decode_cursor",
    "encode_cursor",
    "find_report",
    "parse_call_filters",
    "search_calls",
    "search_calls_statement",
]
