"""Additive figures: counts and duration histograms that add up across days.

A :class:`Tally` holds what the dashboard needs of a set of calls and reports: counts
by ``(figure, key)`` (``key`` is ``""`` for a plain count, or a category, a step, an
operator...) and, per measure, a histogram of seconds. Two tallies add up, so a month is
the sum of its days.

The histograms have logarithmic bins (each 4% wider than the one before, from a
millisecond up) and keep, per bin, the smallest and the largest value seen. A
percentile is read as PostgreSQL's ``percentile_cont`` reads it (interpolating between
the two nearest ranks), a rank's value being interpolated between its bin's smallest and
largest value: exact while no bin holds more than two values, and never further from the
truth than its bin is wide (4%) otherwise.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

GROWTH = 1.04  # each bin this much wider than the one below
SMALLEST = 0.001  # seconds: bin 0 ends here; every value up to it (or below 0) is bin -1
_LOG_GROWTH = math.log(GROWTH)


def bin_of(value: float) -> int:
    """The histogram bin of ``value`` (seconds): -1 up to :data:`SMALLEST`, then
    ``ceil(log(value / SMALLEST) / log(GROWTH))``."""
    if value <= SMALLEST:
        return -1
    return math.ceil(math.log(value / SMALLEST) / _LOG_GROWTH)


@dataclass(slots=True)
class Bin:
    """How many values fell in a bin, and the smallest and largest of them."""

    n: int
    lo: float
    hi: float

    def merge(self, other: Bin) -> None:
        """Add ``other`` (the same bin, from other days) to this one."""
        self.n += other.n
        if other.lo < self.lo:
            self.lo = other.lo
        if other.hi > self.hi:
            self.hi = other.hi

    def value_at(self, offset: int) -> float:
        """The ``offset``-th smallest value of the bin (0-based), spread evenly from
        ``lo`` to ``hi``."""
        if self.n <= 1:
            return self.lo
        return self.lo + (self.hi - self.lo) * offset / (self.n - 1)


@dataclass
class Tally:
    """Counts by ``(figure, key)`` and histograms by measure."""

    counts: Counter[tuple[str, str]] = field(default_factory=Counter)
    values: dict[str, dict[int, Bin]] = field(default_factory=dict)

    def count(self, figure: str, key: str = "") -> int:
        """The count of ``figure`` (for ``key``)."""
        return self.counts[(figure, key)]

    def keyed(self, figure: str) -> Counter[str]:
        """Every key's count of ``figure``."""
        return Counter({k: n for (f, k), n in self.counts.items() if f == figure and n})

    def add_value(self, measure: str, value: float) -> None:
        """Count one value (seconds) of ``measure``."""
        bins = self.values.setdefault(measure, {})
        index = bin_of(value)
        found = bins.get(index)
        if found is None:
            bins[index] = Bin(1, value, value)
        else:
            found.merge(Bin(1, value, value))

    def add(self, other: Tally) -> Tally:
        """Add ``other`` into this tally; returns this tally."""
        self.counts.update(other.counts)
        for measure, bins in other.values.items():
            mine = self.values.setdefault(measure, {})
            for index, found in bins.items():
                same = mine.get(index)
                if same is None:
                    mine[index] = Bin(found.n, found.lo, found.hi)
                else:
                    same.merge(found)
        return self

    def quantiles(self, measure: str, qs: Sequence[float]) -> list[float | None]:
        """The ``qs`` percentiles (0-1) of ``measure``, as ``percentile_cont``; None when
        there is no value."""
        ordered = sorted(self.values.get(measure, {}).items())
        total = sum(b.n for _, b in ordered)
        if not total:
            return [None for _ in qs]
        out: list[float | None] = []
        for q in qs:
            position = q * (total - 1)
            low = math.floor(position)
            value = _value_at(ordered, low)
            if position > low:
                value += (position - low) * (_value_at(ordered, low + 1) - value)
            out.append(value)
        return out


def _value_at(ordered: Sequence[tuple[int, Bin]], rank: int) -> float:
    before = 0
    for _, found in ordered:
        if rank < before + found.n:
            return found.value_at(rank - before)
        before += found.n
    raise IndexError(rank)


def total(tallies: Iterable[Tally]) -> Tally:
    """The sum of ``tallies`` (a new tally)."""
    out = Tally()
    for tally in tallies:
        out.add(tally)
    return out
