"""Date ranges for the metrics: local calendar days of one time zone, as UTC instants.

A range is ``[start, end)`` in local dates: ``start`` included, ``end`` excluded, both
read in the metrics time zone (``METRICS_TZ``). Its previous period has the same number
of days and ends where it starts.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

GROUPINGS = ("day", "week", "month")
MAX_DAYS = 3 * 366  # a wider range is refused: nobody reads a chart of ten years by day


class InvalidPeriod(ValueError):
    """A range, grouping or time zone that cannot be used (a 400 for the client)."""


@dataclass(frozen=True)
class Period:
    """``[start, end)`` in local dates of ``tz``, grouped by ``grouping``."""

    start: date
    end: date
    tz: str = "UTC"
    grouping: str = "day"

    def __post_init__(self) -> None:
        if self.grouping not in GROUPINGS:
            raise InvalidPeriod(f"grouping must be one of {', '.join(GROUPINGS)}")
        if not self.start < self.end:
            raise InvalidPeriod("the start must come before the end")
        if (self.end - self.start).days > MAX_DAYS:
            raise InvalidPeriod(f"a range is at most {MAX_DAYS} days")
        try:
            ZoneInfo(self.tz)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise InvalidPeriod(f"unknown time zone {self.tz!r}") from exc

    @property
    def zone(self) -> ZoneInfo:
        """The time zone as an object."""
        return ZoneInfo(self.tz)

    @property
    def days(self) -> int:
        """Length in days."""
        return (self.end - self.start).days

    @property
    def start_utc(self) -> datetime:
        """The first instant of the range (local midnight of ``start``), in UTC."""
        return local_midnight(self.start, self.zone)

    @property
    def end_utc(self) -> datetime:
        """The first instant after the range, in UTC."""
        return local_midnight(self.end, self.zone)

    def previous(self) -> Period:
        """The period of the same length just before this one."""
        return Period(self.start - timedelta(days=self.days), self.start, self.tz, self.grouping)

    def buckets(self) -> list[date]:
        """The first local day of every bucket that overlaps the range, in order."""
        first = bucket_start(self.start, self.grouping)
        out: list[date] = []
        day = first
        while day < self.end:
            out.append(day)
            day = next_bucket(day, self.grouping)
        return out


def local_midnight(day: date, zone: ZoneInfo) -> datetime:
    """Midnight at the start of ``day`` in ``zone``, as a UTC instant."""
    return datetime.combine(day, time(), zone).astimezone(UTC)


def bucket_start(day: date, grouping: str) -> date:
    """The first day of the bucket holding ``day`` (weeks start on Monday, as ISO weeks)."""
    if grouping == "week":
        return day - timedelta(days=day.weekday())
    if grouping == "month":
        return day.replace(day=1)
    return day


def next_bucket(day: date, grouping: str) -> date:
    """The first day of the bucket after the one starting on ``day``."""
    if grouping == "week":
        return day + timedelta(days=7)
    if grouping == "month":
        return date(day.year + day.month // 12, day.month % 12 + 1, 1)
    return day + timedelta(days=1)


def parse_period(
    start: str | None, end: str | None, grouping: str | None, *, tz: str, today: date
) -> Period:
    """A period from form values (ISO dates); the default is the last 30 days to today."""
    try:
        end_day = date.fromisoformat(end) if end else today + timedelta(days=1)
        start_day = date.fromisoformat(start) if start else end_day - timedelta(days=30)
    except ValueError as exc:
        raise InvalidPeriod("dates are YYYY-MM-DD") from exc
    return Period(start_day, end_day, tz, grouping or "day")


def utc_offsets(zone: ZoneInfo, start: datetime, end: datetime) -> list[tuple[datetime, int]]:
    """The UTC offset of ``zone`` (minutes) over ``[start, end)``: (from instant, offset)
    pieces, the first starting at ``start``. Transitions are found to the second."""
    pieces = [(start, _offset(zone, start))]
    probe = start
    while probe < end:
        step = min(probe + timedelta(days=1), end)
        if _offset(zone, step) != pieces[-1][1]:
            pieces.append((_transition(zone, probe, step), _offset(zone, step)))
        probe = step
    return pieces


def _offset(zone: ZoneInfo, at: datetime) -> int:
    delta = at.astimezone(zone).utcoffset()
    assert delta is not None
    return int(delta.total_seconds() // 60)


def _transition(zone: ZoneInfo, before: datetime, after: datetime) -> datetime:
    # Bisect: the offset at ``before`` differs from the one at ``after``.
    first = _offset(zone, before)
    while after - before > timedelta(seconds=1):
        middle = before + (after - before) / 2
        if _offset(zone, middle) == first:
            before = middle
        else:
            after = middle
    return after.replace(microsecond=0)
