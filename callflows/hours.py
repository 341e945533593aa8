"""Business hours: when a transfer to an operator is attempted."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_RANGE = re.compile(r"^(\d{2}):(\d{2})-(\d{2}):(\d{2})$")


@dataclass(frozen=True)
class Window:
    """Open on `weekday` (0 = Monday) from `start` (included) to `end` (excluded)."""

    weekday: int
    start: time
    end: time | None  # None: until midnight ("24:00")

    def contains(self, local: datetime) -> bool:
        """Whether a local wall-clock time falls in this window."""
        moment = local.time()
        if local.weekday() != self.weekday or moment < self.start:
            return False
        return self.end is None or moment < self.end


@dataclass(frozen=True)
class BusinessHours:
    """Weekly opening windows in a time zone, minus holidays (local dates)."""

    tz: str
    windows: tuple[Window, ...]
    holidays: frozenset[date]

    @classmethod
    def parse(
        cls,
        spec: str = "mon-fri 09:00-17:00",
        tz: str = "America/Winnipeg",
        holidays: tuple[str, ...] = (),
    ) -> BusinessHours:
        """Build from a spec like "mon-fri 09:00-12:00,13:00-17:00; sat 10:00-14:00".

        Segments are separated by ";"; days are names or ranges ("mon-fri", "fri-mon",
        "sat,sun"); times are 24-hour HH:MM, "24:00" meaning midnight. An empty spec is
        never open. Holidays are ISO dates ("2026-12-25") in the local time zone.
        """
        try:
            ZoneInfo(tz)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"unknown time zone {tz!r}") from exc
        windows = [w for segment in spec.split(";") if segment.strip() for w in _segment(segment)]
        try:
            days_off = frozenset(date.fromisoformat(day) for day in holidays)
        except ValueError as exc:
            raise ValueError(f"holidays must be ISO dates: {exc}") from exc
        return cls(tz=tz, windows=tuple(windows), holidays=days_off)

    def is_open(self, now: datetime) -> bool:
        """Whether the line is staffed at `now` (an aware datetime, any zone)."""
        if now.tzinfo is None or now.utcoffset() is None:
            raise ValueError("is_open() needs a timezone-aware datetime")
        local = now.astimezone(ZoneInfo(self.tz))
        if local.date() in self.holidays:
            return False
        return any(window.contains(local) for window in self.windows)


def _segment(segment: str) -> list[Window]:
    parts = segment.split()
    if len(parts) != 2:
        raise ValueError(f"business hours segment {segment.strip()!r}: expected 'DAYS HH:MM-HH:MM'")
    days, ranges = parts
    return [
        Window(weekday=day, start=start, end=end)
        for day in _days(days.lower())
        for start, end in (_range(text) for text in ranges.split(","))
    ]


def _days(text: str) -> list[int]:
    result: list[int] = []
    for item in text.split(","):
        first, _, last = item.partition("-")
        if first not in DAYS or (last and last not in DAYS):
            raise ValueError(f"unknown day in {text!r}: use {', '.join(DAYS)}")
        start, stop = DAYS.index(first), DAYS.index(last or first)
        result += [(start + offset) % 7 for offset in range((stop - start) % 7 + 1)]
    return result


def _range(text: str) -> tuple[time, time | None]:
    match = _RANGE.match(text)
    if not match:
        raise ValueError(f"time range {text!r}: expected HH:MM-HH:MM")
    h1, m1, h2, m2 = (int(group) for group in match.groups())
    if h1 > 23 or m1 > 59 or m2 > 59 or h2 > 24 or (h2 == 24 and m2):
        raise ValueError(f"time range {text!r}: not a valid time")
    start, end = time(h1, m1), None if h2 == 24 else time(h2, m2)
    if end is not None and end <= start:
        raise ValueError(f"time range {text!r}: must end after it starts (split overnight hours)")
    return start, end
