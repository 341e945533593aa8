"""The daily rollup: percentiles from histograms, what a refresh recomputes, and that the
dashboard counts a change at once, before the worker has refreshed anything.

On SQLite and PostgreSQL, each test on a database of its own (the tests write)."""

from __future__ import annotations

import random
import threading
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ivr.metrics import Dashboard, Period, build_dashboard, rollup
from ivr.metrics.tally import GROWTH, Tally, bin_of
from models import (
    Database,
    MetricDayCount,
    MetricMonthCount,
    MetricMonthValues,
    Report,
    ReportChange,
)
from tests.conftest import fresh_postgres
from tests.fixtures import database_of_its_own  # noqa: F401  (database_url: one per test)
from tests.metrics import handbuilt
from tests.metrics.builder import DataSet, utc

TARGET = timedelta(minutes=60)
TZ = handbuilt.TZ


def percentile_cont(values: list[float], q: float) -> float:
    """PostgreSQL's percentile_cont, written out."""
    ordered = sorted(values)
    position = q * (len(ordered) - 1)
    low = int(position)
    if low + 1 >= len(ordered):
        return ordered[low]
    return ordered[low] + (position - low) * (ordered[low + 1] - ordered[low])


def tally_of(values: list[float]) -> Tally:
    tally = Tally()
    for v in values:
        tally.add_value("x", v)
    return tally


def test_percentiles_of_few_values_are_exact() -> None:
    values = [60.0, 120.0, 300.0, 0.0, -2.0, 0.25]
    for q in (0.0, 0.1, 0.5, 0.9, 1.0):
        assert tally_of(values).quantiles("x", [q]) == [pytest.approx(percentile_cont(values, q))]
    assert Tally().quantiles("x", [0.5, 0.9]) == [None, None]


@pytest.mark.parametrize("seed", range(5))
def test_percentiles_of_many_values_are_within_a_bin(seed: int) -> None:
    rng = random.Random(seed)
    values = [rng.lognormvariate(5, 2) for _ in range(20_000)]
    found = tally_of(values).quantiles("x", [0.5, 0.9, 0.99])
    for q, value in zip((0.5, 0.9, 0.99), found, strict=True):
        exact = percentile_cont(values, q)
        assert value is not None
        assert abs(value - exact) <= exact * (GROWTH - 1)


def test_days_add_up_to_the_whole() -> None:
    rng = random.Random(7)
    days = [[rng.uniform(1, 5000) for _ in range(rng.randrange(1, 400))] for _ in range(30)]
    merged = Tally()
    for values in days:
        merged.add(tally_of(values))
    whole = tally_of([v for values in days for v in values])
    assert merged.values == whole.values
    assert merged.quantiles("x", [0.5, 0.9]) == whole.quantiles("x", [0.5, 0.9])


def test_bins_are_ordered_like_their_values() -> None:
    values = sorted([-5.0, 0.0, 0.001, 0.0011, 0.5, 1.0, 59.9, 60.0, 3600.0, 8.64e6])
    bins = [bin_of(v) for v in values]
    assert bins == sorted(bins)
    assert bins[0] == bins[1] == bins[2] == -1


def test_spans_split_runs_of_days() -> None:
    d = date(2026, 1, 1)
    days = [
        d,
        d + timedelta(days=1),
        d + timedelta(days=5),
        *(d + timedelta(days=10 + i) for i in range(40)),
    ]
    assert list(rollup.spans(days, longest=31)) == [
        (d, d + timedelta(days=2)),
        (d + timedelta(days=5), d + timedelta(days=6)),
        (d + timedelta(days=10), d + timedelta(days=41)),
        (d + timedelta(days=41), d + timedelta(days=50)),
    ]
    assert list(rollup.spans([])) == []


@pytest.fixture
def db(database_url: str) -> Iterator[Database]:
    """The hand-built data set on a database of this test's own, on each backend."""
    database = Database(database_url)
    _write(database, handbuilt.build())
    yield database
    database.dispose()


def _write(database: Database, data: DataSet) -> None:
    with database.session() as session, session.begin():
        data.write(session)


def summary(db: Database, period: Period = handbuilt.PERIOD) -> dict[str, tuple[object, object]]:
    with db.session() as session:
        dash = build_dashboard(session, period, urgent_target=TARGET, now=utc(2026, 1, 12))
    return dash.summary


def refresh(db: Database, now: datetime, **kwargs: object) -> rollup.Refreshed:
    with db.session() as session:
        done = rollup.refresh(session, tz=TZ, target=TARGET, now=now, **kwargs)  # type: ignore[arg-type]
    assert done is not None
    return done


def test_a_change_counts_at_once_and_the_refresh_recomputes_only_its_days(db: Database) -> None:
    first = refresh(db, datetime.now(UTC))
    assert first.rebuilt and first.days > 300  # every day from 2025-12-29 to today
    before = summary(db)
    assert before["reports"] == (4, 1)
    reviewed_before = before["review_s_p50"][0]
    # A report of Wednesday 7 January is reviewed now: its day's review times change.
    with db.session() as session, session.begin():
        session.add(
            ReportChange(
                report_id=_unreviewed_urgent_report(session),
                field="status",
                new_value="in_review",
                author="carol",
            )
        )
    after = summary(db)  # not refreshed: the changed day is computed from the rows
    assert after["review_s_p50"][0] != reviewed_before
    assert after["urgent_unreviewed"][0] == before["urgent_unreviewed"][0] - 1
    # A refresh recomputes the days written lately (the data set's two weeks, today), not
    # the year. Dated tomorrow, it leaves nothing changed since: the dashboard then reads
    # the rollup alone, and finds the change there.
    second = refresh(db, datetime.now(UTC) + timedelta(days=1))
    assert not second.rebuilt
    assert 1 <= second.days <= 16
    with db.session() as session:
        assert rollup.changed_days(session, watermark(session), TZ) == set()
        assert session.scalar(select(func.count()).select_from(MetricDayCount)) > 0
    assert summary(db) == after


def watermark(session: Session) -> datetime:
    state = rollup.state(session, TZ, TARGET)
    assert state is not None
    return state.refreshed_at - rollup.MARGIN


def _unreviewed_urgent_report(session: Session) -> int:
    reviewed = select(ReportChange.report_id).where(ReportChange.new_value == "in_review")
    found = session.scalars(
        select(Report.id).where(Report.priority == "urgent", Report.id.not_in(reviewed))
    ).first()
    assert found is not None
    return int(found)


@pytest.mark.parametrize("grouping", ["month", "week", "day"])
def test_whole_months_read_from_the_month_rows_give_the_same_figures(
    db: Database, grouping: str
) -> None:
    # December 2025 and January 2026 are whole months of this range: with the rollup they
    # are read from metric_month_*, the edges (29-30 November, 1 February) from the days.
    period = Period(date(2025, 11, 29), date(2026, 2, 2), TZ, grouping)
    from_rows = dashboard_of(db, period)
    refresh(db, datetime.now(UTC) + timedelta(days=1))
    with db.session() as session:
        assert session.scalar(select(func.count()).select_from(MetricMonthCount)) > 0
        assert session.scalar(select(func.count()).select_from(MetricMonthValues)) > 0
    from_rollup = dashboard_of(db, period)
    assert from_rollup.summary == from_rows.summary
    assert from_rollup.series == from_rows.series
    assert from_rollup.funnel == from_rows.funnel
    assert from_rollup.breakdowns == from_rows.breakdowns
    assert from_rollup.operators == from_rows.operators


def dashboard_of(db: Database, period: Period) -> Dashboard:
    with db.session() as session:
        return build_dashboard(session, period, urgent_target=TARGET, now=utc(2026, 1, 12))


def test_another_time_zone_is_computed_from_the_rows_and_rebuilds(db: Database) -> None:
    refresh(db, datetime.now(UTC) + timedelta(days=1))
    toronto = Period(date(2026, 1, 5), date(2026, 1, 12), "America/Toronto", "day")
    from_rows = summary(db, toronto)
    with db.session() as session:
        assert rollup.state(session, "America/Toronto", TARGET) is None
        done = rollup.refresh(
            session, tz="America/Toronto", target=TARGET, now=datetime.now(UTC) + timedelta(days=1)
        )
    assert done is not None and done.rebuilt
    assert summary(db, toronto) == from_rows


def test_a_refresh_running_is_not_waited_for_nor_read_half_done() -> None:
    # PostgreSQL's advisory lock (SQLite has one writer at a time anyway).
    with fresh_postgres() as url:
        db = Database(url)
        try:
            _write(db, handbuilt.build())
            _second_refresh_skips(db)
        finally:
            db.dispose()


def _second_refresh_skips(db: Database) -> None:
    refresh(db, datetime.now(UTC) + timedelta(days=1))
    expected = summary(db)
    holding, release = threading.Event(), threading.Event()

    def hold() -> None:
        with db.session() as session:
            rollup.refresh(
                session,
                tz=TZ,
                target=TARGET,
                now=datetime.now(UTC),
                rebuild=True,
                progress=lambda done, total: (holding.set(), release.wait(30)),
            )

    holder = threading.Thread(target=hold)
    holder.start()
    try:
        assert holding.wait(30)  # the rebuild has stored its first month, no more
        with db.session() as session:
            assert (
                rollup.refresh(session, tz=TZ, target=TARGET, now=datetime.now(UTC), wait=False)
                is None
            )
            assert rollup.state(session, TZ, TARGET) is None
        assert summary(db) == expected  # from the rows, not from a half-built rollup
    finally:
        release.set()
        holder.join(60)
    with db.session() as session:
        assert rollup.state(session, TZ, TARGET) is not None
    assert summary(db) == expected
