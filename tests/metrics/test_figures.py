"""Every figure of the dashboard against the hand-built data set (tests/metrics/handbuilt.py),
on SQLite and PostgreSQL. The expected values were worked out by hand from that file."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import delete

from ivr.metrics import Dashboard, Period, build_dashboard, rollup
from models import Database, MetricRollup
from tests.metrics import handbuilt
from tests.metrics.builder import utc

TARGET = timedelta(minutes=60)
NOW = utc(2026, 1, 12, 6, 0)


@pytest.fixture(scope="module")
def written(module_db: Database) -> Database:
    """The hand-built data set, written once per backend."""
    with module_db.session() as session, session.begin():
        handbuilt.build().write(session)
    return module_db


@pytest.fixture(scope="module", params=["rows", "rollup"])
def db(request: pytest.FixtureRequest, written: Database) -> Database:
    """The data set, its figures computed from the rows, or read from the daily rollup
    alone (refreshed as of tomorrow: no day has changed since)."""
    with written.session() as session:
        if request.param == "rollup":
            tomorrow = datetime.now(UTC) + timedelta(days=1)
            rollup.refresh(session, tz=handbuilt.TZ, target=TARGET, now=tomorrow, rebuild=True)
        else:
            session.execute(delete(MetricRollup))
            session.commit()
    return written


def dashboard(db: Database, period: Period = handbuilt.PERIOD) -> Dashboard:
    with db.session() as session:
        return build_dashboard(
            session, period, urgent_target=TARGET, now=NOW, steps=handbuilt.STEPS
        )


def test_call_figures_and_previous_period(db: Database) -> None:
    summary = dashboard(db).summary
    assert summary["calls"] == (7, 2)
    assert summary["reports"] == (4, 1)
    assert summary["calls_without_report"] == (2, 1)  # the call in progress is not counted
    assert summary["informational_calls"] == (1, 0)
    assert summary["transfers_answered"] == (1, 0)
    assert summary["transfers_unanswered"] == (1, 0)
    assert summary["transfers_closed"] == (0, 0)
    assert summary["voicemails"] == (4, 0)  # the "absent" recording held no message
    assert summary["call_time_avg_s"][0] == pytest.approx(730 / 6)
    assert summary["call_time_p50_s"] == (pytest.approx(90.0), pytest.approx(60.0))
    assert summary["call_time_p90_s"][0] == pytest.approx(250.0)


def test_report_figures(db: Database) -> None:
    summary = dashboard(db).summary
    assert summary["urgent"] == (3, 0)
    assert summary["urgent_share"] == (pytest.approx(0.75), 0.0)
    assert summary["immediate_danger"] == (1, 0)
    assert summary["repeat_callers"] == (1, 0)
    assert summary["repeat_caller_share"][0] == pytest.approx(0.25)


def test_handling_times_median_and_p90(db: Database) -> None:
    summary = dashboard(db).summary
    assert summary["ready_s_p50"][0] == pytest.approx(120.0)  # of 60, 120, 300
    assert summary["ready_s_p90"][0] == pytest.approx(264.0)
    assert summary["review_s_p50"][0] == pytest.approx(3600.0)  # of 1800, 3600, 7200
    assert summary["review_s_p90"][0] == pytest.approx(6480.0)
    assert summary["referral_s_p50"][0] == pytest.approx(86400.0)
    assert summary["referral_s_p90"][0] == pytest.approx(86400.0)
    assert summary["review_s_p50"][1] is None  # nothing reviewed the week before


def test_urgent_reviewed_within_target(db: Database) -> None:
    summary = dashboard(db).summary
    assert summary["urgent_within_target"][0] == 1  # 30 minutes
    assert summary["urgent_late"][0] == 1  # two hours
    assert summary["urgent_unreviewed"][0] == 1
    assert summary["urgent_within_target_share"][0] == pytest.approx(1 / 3)


def test_daily_series_in_the_local_time_zone(db: Database) -> None:
    dash = dashboard(db)
    assert dash.buckets == [date(2026, 1, d) for d in range(5, 12)]
    assert dash.series["calls"] == [2, 0, 2, 1, 1, 0, 1]
    assert dash.series["reports"] == [2, 0, 0, 1, 1, 0, 0]
    assert dash.series["calls_without_report"] == [0, 0, 2, 0, 0, 0, 0]
    assert dash.series["informational_calls"] == [0, 0, 1, 0, 0, 0, 0]
    assert dash.series["voicemails"] == [2, 0, 0, 0, 2, 0, 0]
    assert dash.series["urgent"] == [1, 0, 0, 1, 1, 0, 0]
    assert dash.series["call_time_p50_s"][:3] == [pytest.approx(210.0), None, pytest.approx(25.0)]
    assert dash.series["review_s_p50"][0] == pytest.approx(2700.0)
    assert dash.series["urgent_within_target_share"][:4] == [1.0, None, None, 0.0]
    assert dash.categories_by_bucket["luring"] == [1, 0, 0, 0, 0, 0, 0]
    assert dash.categories_by_bucket["exploitation"] == [0, 0, 0, 1, 0, 0, 0]


@pytest.mark.parametrize(
    ("grouping", "buckets", "calls"),
    [("week", [date(2026, 1, 5)], [7]), ("month", [date(2026, 1, 1)], [7])],
)
def test_weekly_and_monthly_buckets(
    db: Database, grouping: str, buckets: list[date], calls: list[int]
) -> None:
    period = Period(date(2026, 1, 5), date(2026, 1, 12), handbuilt.TZ, grouping)
    dash = dashboard(db, period)
    assert dash.buckets == buckets
    assert dash.series["calls"] == calls


def test_funnel_in_flow_order(db: Database) -> None:
    assert dashboard(db).funnel == [("language", 1, 0), ("main_menu", 0, 1), ("info", 1, 0)]


def test_funnel_without_a_flow_order_puts_the_biggest_first(db: Database) -> None:
    with db.session() as session:
        dash = build_dashboard(session, handbuilt.PERIOD, urgent_target=TARGET, now=NOW)
    assert [step for step, *_ in dash.funnel] == ["info", "language", "main_menu"]


def test_breakdowns(db: Database) -> None:
    found = dashboard(db).breakdowns
    assert sorted(found["category"]) == [
        ("csam", 1, 1),
        ("exploitation", 1, 0),
        ("luring", 1, 0),
        ("other", 1, 0),
    ]
    assert found["language"] == [("en", 3, 1), ("fr", 1, 0)]
    assert dict((k, n) for k, n, _ in found["province"]) == {
        "MB": 1,
        "QC": 1,
        "ON": 1,
        "unknown": 1,
    }
    assert found["priority"] == [("urgent", 3, 0), ("normal", 1, 1)]
    assert found["classification"] == [("unknown", 3, 1), ("trafficking", 1, 0)]


def test_operators_workload_and_throughput(db: Database) -> None:
    assert dashboard(db).operators == {
        "alice": {
            "reviews_started": 2,
            "referred": 1,
            "closed": 0,
            "duplicate": 0,
            "open_assigned": 1,
        },
        "bob": {
            "reviews_started": 1,
            "referred": 0,
            "closed": 1,
            "duplicate": 0,
            "open_assigned": 0,
        },
    }


def test_backlog_now(db: Database) -> None:
    rows = {row.priority: row for row in dashboard(db).backlog}
    assert [p for p in rows] == ["urgent", "high", "normal", "low"]
    assert (rows["urgent"].open, rows["urgent"].new) == (2, 1)
    assert rows["urgent"].oldest_received_at == utc(2026, 1, 6, 5, 30)
    assert rows["urgent"].oldest_age_s(NOW) == 6 * 24 * 3600 + 30 * 60
    assert (rows["normal"].open, rows["high"].open, rows["low"].open) == (1, 0, 0)
    assert rows["high"].oldest_received_at is None


def test_tables_hold_every_figure(db: Database) -> None:
    tables = dashboard(db).tables()
    summary = {row[0]: row[1:] for row in tables["summary"].rows}
    assert summary["calls"] == (7, 2)
    assert tables["series"].columns[:3] == ("bucket", "calls", "reports")
    assert tables["series"].rows[0][:3] == ("2026-01-05", 2, 2)
    assert tables["backlog"].rows[0] == ("urgent", 2, 1, 6 * 24 * 3600 + 1800.0)


def test_one_part_only(db: Database) -> None:
    with db.session() as session:
        dash = build_dashboard(
            session, handbuilt.PERIOD, urgent_target=TARGET, now=NOW, parts={"breakdowns"}
        )
        with pytest.raises(ValueError, match="unknown parts"):
            build_dashboard(session, handbuilt.PERIOD, urgent_target=TARGET, now=NOW, parts={"x"})
    tables = dash.tables()
    assert set(tables) == {"category", "classification", "language", "province", "priority"}
    assert ("luring", 1, 0) in tables["category"].rows
    assert dash.summary == {} and dash.funnel == []
