"""The metrics rollup: the dashboard's additive figures per local day, kept by the worker.

A day's rows are recomputed from the calls, reports and their history whenever any of
them changes (see :mod:`ivr.metrics.rollup`); the dashboard adds days up instead of
reading millions of rows. Counts are exact. Durations are kept as histograms with
logarithmic bins, each bin with its smallest and largest value, so that percentiles come
out exact for a few values and within one bin's width (2%) for many.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import BigInteger, Date, Float, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, UTCDateTime


class MetricDayCount(Base):
    """How many of ``figure`` (for ``key``, e.g. a category or a step) on a local day."""

    __tablename__ = "metric_day_counts"

    day: Mapped[date] = mapped_column(Date, primary_key=True)
    figure: Mapped[str] = mapped_column(String(32), primary_key=True)
    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    n: Mapped[int] = mapped_column(BigInteger)


class MetricDayValues(Base):
    """The values of ``measure`` (seconds) on a local day that fall in one histogram bin."""

    __tablename__ = "metric_day_values"

    day: Mapped[date] = mapped_column(Date, primary_key=True)
    measure: Mapped[str] = mapped_column(String(16), primary_key=True)
    bin: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    n: Mapped[int] = mapped_column(BigInteger)
    lo: Mapped[float] = mapped_column(Float)
    hi: Mapped[float] = mapped_column(Float)


class MetricRollup(Base):
    """The rollup's settings and how far it is up to date (one row).

    ``tz`` and ``urgent_target_s`` are those it was computed with; ``refreshed_at`` is
    when the last refresh started: every change before it (less a safety margin for
    transactions still open then) is in the rollup.
    """

    __tablename__ = "metric_rollup"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    tz: Mapped[str] = mapped_column(String(64))
    urgent_target_s: Mapped[int] = mapped_column(Integer)
    version: Mapped[int] = mapped_column(Integer)
    refreshed_at: Mapped[datetime] = mapped_column(UTCDateTime)


class MetricMonthCount(Base):
    """:class:`MetricDayCount` added up over a local calendar month (``month``: its first
    day), so that a long range reads a row per month rather than per day."""

    __tablename__ = "metric_month_counts"

    month: Mapped[date] = mapped_column(Date, primary_key=True)
    figure: Mapped[str] = mapped_column(String(32), primary_key=True)
    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    n: Mapped[int] = mapped_column(BigInteger)


class MetricMonthValues(Base):
    """:class:`MetricDayValues` merged over a local calendar month."""

    __tablename__ = "metric_month_values"

    month: Mapped[date] = mapped_column(Date, primary_key=True)
    measure: Mapped[str] = mapped_column(String(16), primary_key=True)
    bin: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    n: Mapped[int] = mapped_column(BigInteger)
    lo: Mapped[float] = mapped_column(Float)
    hi: Mapped[float] = mapped_column(Float)
