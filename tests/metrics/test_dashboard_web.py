"""The dashboard page and its CSV files: the published 2005-07 figures come out exactly,
supervisors only, the CSV is audited."""

from __future__ import annotations

import csv
import io
import random
import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import delete

from models import MetricRollup, migrate
from tests.auth.helpers import Console, audit_actions, last_audit_id, make_user
from tests.conftest import app_config, fresh_postgres, running_app
from tests.metrics.builder import DataSet, utc

# Writing 20,000 calls and building three years of figures: slow on a busy machine.
pytestmark = pytest.mark.timeout(600)

# Cybertip.ca's published figures for 2005-2007 (tipline.md).
REPORTS, CSAM, LURING = 18_312, 13_837, 1_117
OTHERS = {"exploitation": 1_203, "other": REPORTS - CSAM - LURING - 1_203}
WHOLE = "start=2005-01-01&end=2008-01-01&grouping=month"


def published_figures() -> DataSet:
    """18,312 reports of 2005-2007 in the published proportions, and calls without one."""
    rng = random.Random(2005)
    categories = ["csam"] * CSAM + ["luring"] * LURING
    for name, n in OTHERS.items():
        categories += [name] * n
    rng.shuffle(categories)
    first, span = utc(2005, 1, 1, 12), (utc(2007, 12, 31, 12) - utc(2005, 1, 1, 12)).total_seconds()
    data = DataSet()
    for category in categories:
        at = first + timedelta(seconds=rng.uniform(0, span))
        call = data.call(at, rng.randint(30, 400))
        data.report(
            call,
            category=category,
            priority=rng.choice(["urgent", "high", "normal", "low"]),
            language=rng.choice(["en", "en", "en", "fr"]),
            region=rng.choice(["MB", "ON", "QC", "BC", "AB", None]),
            status="closed",
        )
    for _ in range(2_000):
        data.call(first + timedelta(seconds=rng.uniform(0, span)), 15, last_step="main_menu")
    return data


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def seeded_app(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Flask]:
    """An app on a database of its own holding the 2005-07 data set."""
    tmp = tmp_path_factory.mktemp("dashboard")
    # No retention purge from the sweep: the 2005-07 calls are years old.
    with (
        _database(request.param, tmp) as url,
        running_app(app_config(url, tmp, RETENTION_INTERVAL_HOURS=0)) as app,
    ):
        database = app.extensions["database"]
        with database.session() as session, session.begin():
            published_figures().write(session)
        built = app.test_cli_runner().invoke(args=["metrics", "rollup"])
        assert built.exit_code == 0, built.output
        assert "metrics rollup rebuilt" in built.output
        yield app


def _database(kind: str, tmp: Path) -> Iterator[str] | object:
    if kind == "postgres":
        return fresh_postgres()
    url = f"sqlite:///{tmp / 'hotline.db'}"
    migrate.upgrade(url)
    return _given(url)


class _given:
    def __init__(self, url: str) -> None:
        self.url = url

    def __enter__(self) -> str:
        return self.url

    def __exit__(self, *_: object) -> None:
        return None


def supervisor(app: Flask) -> Console:
    console = Console(app)
    console.sign_in(make_user(app, "supervisor", totp=True))
    return console


def cell(html: str, testid: str) -> str:
    found = re.search(rf'data-testid="{testid}">([^<]*)<', html)
    assert found, testid
    return found.group(1)


def test_the_published_figures_on_the_page(seeded_app: Flask) -> None:
    page = supervisor(seeded_app).get(f"/dashboard?{WHOLE}")
    assert page.status_code == 200
    assert page.headers["Cache-Control"] == "no-store"
    assert cell(page.text, "figure-reports") == "18,312"
    assert cell(page.text, "category-csam") == "13,837"
    assert cell(page.text, "category-luring") == "1,117"
    assert cell(page.text, "figure-calls") == "20,312"
    assert cell(page.text, "figure-calls_without_report") == "2,000"
    assert 'data-charts="{' in page.text and "vendor/chartjs/chart.umd.min.js" in page.text


def test_the_published_figures_in_the_csv_files(seeded_app: Flask) -> None:
    console = supervisor(seeded_app)
    before = last_audit_id(seeded_app)
    response = console.get(f"/dashboard/category.csv?{WHOLE}")
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert response.headers["Cache-Control"] == "no-store"
    assert "attachment" in response.headers["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(response.text)))
    assert rows[0] == ["category", "current", "previous"]
    found = {row[0]: int(row[1]) for row in rows[1:]}
    assert (found["csam"], found["luring"], sum(found.values())) == (CSAM, LURING, REPORTS)
    summary = list(csv.reader(io.StringIO(console.get(f"/dashboard/summary.csv?{WHOLE}").text)))
    assert summary[0] == ["figure", "current", "previous"]
    assert ["reports", str(REPORTS), "0"] in summary
    series = list(csv.reader(io.StringIO(console.get(f"/dashboard/series.csv?{WHOLE}").text)))
    assert len(series) == 1 + 36  # a header and 36 months
    column = series[0].index("reports_csam")
    assert sum(int(row[column]) for row in series[1:]) == CSAM
    exports = [a for a in audit_actions(seeded_app, before) if a[0] == "metrics.export"]
    assert len(exports) == 3 and all(outcome == "ok" for _, _, outcome in exports)


def test_every_table_downloads(seeded_app: Flask) -> None:
    console = supervisor(seeded_app)
    for name in ("summary", "series", "funnel", "backlog", "operators", "category",
                 "classification", "language", "province", "priority"):  # fmt: skip
        response = console.get(f"/dashboard/{name}.csv?{WHOLE}")
        assert response.status_code == 200, name
        assert response.text.splitlines()[0].count(",") >= 2, name
    assert console.get(f"/dashboard/nothing.csv?{WHOLE}").status_code == 404
    assert console.get("/dashboard/summary.csv?start=2008-01-01&end=2005-01-01").status_code == 400


def test_a_bad_period_is_explained(seeded_app: Flask) -> None:
    page = supervisor(seeded_app).get("/dashboard?start=2008-01-01&end=2005-01-01")
    assert page.status_code == 400
    assert 'id="form-error"' in page.text


@pytest.mark.parametrize(
    "path", ["/dashboard", f"/dashboard?{WHOLE}", f"/dashboard/summary.csv?{WHOLE}"]
)
def test_supervisors_only(seeded_app: Flask, path: str) -> None:
    anonymous = seeded_app.test_client().get(path)
    assert anonymous.status_code == 302
    assert anonymous.headers["Location"].startswith("/login?next=")
    operator = Console(seeded_app)
    operator.sign_in(make_user(seeded_app, "operator"))
    before = last_audit_id(seeded_app)
    refused = operator.get(path)
    assert refused.status_code == 403
    assert "18,312" not in refused.text and "18312" not in refused.text
    assert [a[0] for a in audit_actions(seeded_app, before)] == ["access.denied"]
    admin = Console(seeded_app)
    admin.sign_in(make_user(seeded_app, "admin", totp=True))
    assert admin.get(path).status_code == 200


def test_the_nav_shows_the_dashboard_to_supervisors_only(seeded_app: Flask) -> None:
    assert 'href="/dashboard"' in supervisor(seeded_app).get("/").text
    operator = Console(seeded_app)
    operator.sign_in(make_user(seeded_app, "operator"))
    assert 'href="/dashboard"' not in operator.get("/").text


def test_french(seeded_app: Flask) -> None:
    console = supervisor(seeded_app)
    assert console.post("/language", {"lang": "fr", "next": "/dashboard"}).status_code == 302
    page = console.get(f"/dashboard?{WHOLE}")
    assert "Tableau de bord" in page.text
    assert cell(page.text, "figure-reports").replace("\u202f", " ").replace("\xa0", " ") == "18 312"


def test_the_rollup_command_then_refreshes_only_what_changed(seeded_app: Flask) -> None:
    again = seeded_app.test_cli_runner().invoke(args=["metrics", "rollup"])
    assert again.exit_code == 0, again.output
    assert "metrics rollup refreshed" in again.output


def test_the_sweep_keeps_the_rollup_up_to_date(seeded_app: Flask) -> None:
    from ivr.jobs.sweeper import sweep_once

    database = seeded_app.extensions["database"]
    with database.session() as session, session.begin():
        session.execute(delete(MetricRollup))
    sweep_once(seeded_app, lambda ids: None)
    with database.session() as session:
        state = session.get(MetricRollup, 1)
        assert state is not None
        assert state.refreshed_at > datetime.now(UTC) - timedelta(minutes=5)
    test_the_published_figures_on_the_page(seeded_app)
