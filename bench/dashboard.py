"""The supervisors' dashboard, its CSV and the analyst queue on 100,000 and 1,000,000 calls.

For each size, a dedicated PostgreSQL database ``hotline_bench_dash_<calls>`` is filled by
``flask --app wsgi seed-demo --calls N`` (timed: that is the load time), or reused when a
previous ``--keep`` run left one with that many calls. Then, in this process, through the
Flask test client with a signed-in supervisor (so the server time of a request is the
wall time of ``client.get``: no network, no other client):

- ``GET /dashboard`` for the last 365 days by month, and for the last 7 days by day;
- ``GET /dashboard/summary.csv`` for the year (every table's CSV builds the whole
  dashboard, so one stands for each of them);
- ``GET /`` (the analyst queue's first page);

and the bare service calls without HTTP and templates (``build_dashboard``,
``analyst_queue`` + ``count_open_reports``). Each is timed ``--requests`` times per run
for ``--runs`` runs after a warm-up; the table shows the median over the runs of each
run's p50 and p95, with the spread of the p50s. Then the slowest SQL statements of one
year dashboard (``before/after_cursor_execute``), and ``EXPLAIN ANALYZE`` of the slowest.

    .venv/bin/python -m bench.dashboard                         # 100k and 1M; ~40 min to seed 1M
    .venv/bin/python -m bench.dashboard --calls 100000 --keep   # keep the database for next time
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import psycopg
from flask import Flask
from sqlalchemy import event, func, select
from sqlalchemy.engine import make_url

from bench.common import BIN, ROOT, machine_line, percentile, print_table, spread
from ivr import create_app
from ivr.crypto import generate_key
from ivr.jobs.setup import shutdown
from ivr.metrics import Period, build_dashboard
from ivr.reports import queries
from models import Call, Database, migrate
from tests.auth.helpers import Console, make_user

PG_URL = os.environ.get(
    "BENCH_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)
TZ = "America/Winnipeg"


def _admin(sql: str) -> None:
    conninfo = make_url(PG_URL).set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(conninfo, autocommit=True) as conn:
        conn.execute(sql)  # type: ignore[arg-type]


def _url(name: str) -> str:
    return make_url(PG_URL).set(database=name).render_as_string(hide_password=False)


def _seeded_calls(url: str) -> int:
    try:
        with psycopg.connect(
            make_url(url).set(drivername="postgresql").render_as_string(False)
        ) as conn:
            row = conn.execute("SELECT count(*) FROM calls").fetchone()
            return int(row[0]) if row else 0
    except psycopg.Error:
        return -1


def seed(calls: int, url: str, env: dict[str, str]) -> float | None:
    """Create and fill the database unless it already holds ``calls`` calls; the seconds taken."""
    name = make_url(url).database
    if _seeded_calls(url) == calls:
        return None
    _admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    _admin(f'CREATE DATABASE "{name}"')
    migrate.upgrade(url)
    started = time.perf_counter()
    argv = [str(BIN / "flask"), "--app", "wsgi", "seed-demo", "--calls", str(calls), "--seed", "1"]
    subprocess.run(argv, env={**env, "DATABASE_URL": url}, cwd=ROOT, check=True)
    return time.perf_counter() - started


def rollup(url: str, env: dict[str, str]) -> list[object]:
    """Bring the database's metrics rollup up to date (built by seed-demo; rebuilt when
    missing or made for other settings): what was done and how long it took."""
    argv = [str(BIN / "flask"), "--app", "wsgi", "metrics", "rollup"]
    started = time.perf_counter()
    done = subprocess.run(
        argv,
        env={**env, "DATABASE_URL": url},
        cwd=ROOT,
        check=True,
        stdout=subprocess.PIPE,
        text=True,
    )
    seconds = time.perf_counter() - started
    return [done.stdout.strip().splitlines()[-1], f"{seconds:.1f}"]


def _config(url: str, tmp: Path) -> dict[str, Any]:
    return {
        "DATABASE_URL": url,
        "SECRET_KEY": generate_key(),
        "DATA_KEY": generate_key(),
        "TWILIO_AUTH_TOKEN": "0" * 32,
        "RECORDINGS_DIR": str(tmp / "recordings"),
        "SPOOL_DIR": str(tmp / "spool"),
        "SWEEP_INTERVAL": 0,
        "LOG_LEVEL": "WARNING",
        "METRICS_TZ": TZ,
    }


def timed(fn: Callable[[], object], runs: int, requests: int) -> tuple[list[float], list[float]]:
    """p50 and p95 (ms) of ``requests`` calls of ``fn``, per run, after one warm-up call."""
    fn()
    p50s, p95s = [], []
    for _ in range(runs):
        samples = []
        for _ in range(requests):
            started = time.perf_counter()
            fn()
            samples.append((time.perf_counter() - started) * 1000)
        p50s.append(percentile(samples, 50))
        p95s.append(percentile(samples, 95))
    return p50s, p95s


def _get(console: Console, path: str) -> Callable[[], object]:
    def fetch() -> object:
        response = console.get(path)
        assert response.status_code == 200, (path, response.status_code)
        return response.data

    return fetch


def _bare(app: Flask, period: Period) -> dict[str, Callable[[], object]]:
    database: Database = app.extensions["database"]
    steps = tuple(app.extensions["callflow"].flow.nodes)

    def dashboard(p: Period) -> Callable[[], object]:
        def run() -> object:
            with database.session() as session:
                return build_dashboard(
                    session, p, urgent_target=timedelta(hours=1), now=datetime.now(UTC), steps=steps
                )

        return run

    def queue() -> object:
        with database.session() as session:
            return queries.analyst_queue(session), queries.count_open_reports(session)

    week = Period(start=period.end - timedelta(days=7), end=period.end, tz=TZ, grouping="day")
    return {
        "build_dashboard (year)": dashboard(period),
        "build_dashboard (week)": dashboard(week),
        "analyst_queue + count": queue,
    }


@contextmanager
def statement_timer(database: Database) -> Iterator[list[tuple[float, str, Any]]]:
    """Every statement run in the block, with its time (ms) and parameters."""
    found: list[tuple[float, str, Any]] = []

    def before(
        conn: Any, _cursor: Any, _statement: str, _params: Any, context: Any, _many: bool
    ) -> None:
        context._bench_started = time.perf_counter()

    def after(
        conn: Any, _cursor: Any, statement: str, params: Any, context: Any, _many: bool
    ) -> None:
        found.append(((time.perf_counter() - context._bench_started) * 1000, statement, params))

    event.listen(database.engine, "before_cursor_execute", before)
    event.listen(database.engine, "after_cursor_execute", after)
    try:
        yield found
    finally:
        event.remove(database.engine, "before_cursor_execute", before)
        event.remove(database.engine, "after_cursor_execute", after)


def slow_statements(app: Flask, period: Period) -> list[tuple[float, str, list[str]]]:
    """The statements of one year dashboard, slowest first; the plan of the slowest."""
    database: Database = app.extensions["database"]
    with statement_timer(database) as found:
        _bare(app, period)["build_dashboard (year)"]()
    found.sort(key=lambda f: f[0], reverse=True)
    return [
        (ms, sql, explain(app, sql, params) if i == 0 else [])
        for i, (ms, sql, params) in enumerate(found)
    ]


def measure(
    calls: int, url: str, runs: int, requests: int, tmp: Path
) -> tuple[list[list[object]], list[tuple[float, str, list[str]]]]:
    """Every timing on one database: rows for the table, and the slowest statements."""
    app = create_app(_config(url, tmp))
    try:
        database: Database = app.extensions["database"]
        with database.session() as session:
            last = session.scalar(select(func.max(Call.started_at)))
        assert last is not None
        end = last.date() + timedelta(days=1)
        year = Period(start=end - timedelta(days=365), end=end, tz=TZ, grouping="month")
        console = Console(app)
        console.sign_in(make_user(app, "supervisor", totp=True))
        query = f"start={year.start}&end={year.end}&grouping=month"
        week = f"start={end - timedelta(days=7)}&end={end}&grouping=day"
        bare = _bare(app, year)
        # The cheap and the critical first: a run cut short still says something.
        cases: dict[str, Callable[[], object]] = {
            "GET / (analyst queue, first page)": _get(console, "/"),
            "analyst_queue + count": bare["analyst_queue + count"],
            "GET /dashboard (week, by day)": _get(console, f"/dashboard?{week}"),
            "build_dashboard (week)": bare["build_dashboard (week)"],
            "GET /dashboard (year, by month)": _get(console, f"/dashboard?{query}"),
            "build_dashboard (year)": bare["build_dashboard (year)"],
            # Each table's CSV builds the whole dashboard: one stands for all of them.
            "GET /dashboard/summary.csv (year)": _get(console, f"/dashboard/summary.csv?{query}"),
        }
        rows: list[list[object]] = []
        for name, fn in cases.items():
            p50s, p95s = timed(fn, runs, requests)
            print(f"  {calls:,} calls, {name}: p50 {spread(p50s, 1)} ms", flush=True)
            rows.append(
                [
                    f"{calls:,}",
                    name,
                    f"{statistics.median(p50s):.1f}",
                    f"{statistics.median(p95s):.1f}",
                    spread(p50s, 1),
                ]
            )
        return rows, slow_statements(app, year)
    finally:
        shutdown(app)
        app.extensions["database"].dispose()


def explain(app: Flask, statement: str, params: Any) -> list[str]:
    """``EXPLAIN (ANALYZE, BUFFERS)`` of a statement with the parameters it ran with."""
    database: Database = app.extensions["database"]
    with database.engine.connect() as conn:
        plan = conn.exec_driver_sql("EXPLAIN (ANALYZE, BUFFERS) " + statement, params)
        return [row[0] for row in plan]


def main() -> None:
    """Seed (or reuse), measure, print."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", default="100000,1000000", help="sizes, comma separated")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--requests", type=int, default=5, help="requests per run")
    parser.add_argument("--keep", action="store_true", help="keep the databases for next time")
    args = parser.parse_args()
    sizes = [int(s) for s in args.calls.split(",")]
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DATABASE_", "REDIS_"))}
    env.update(
        DATA_KEY=generate_key(),
        SECRET_KEY=generate_key(),
        TWILIO_AUTH_TOKEN="0" * 32,
        LOG_LEVEL="WARNING",
        METRICS_TZ=TZ,
    )
    print(machine_line())
    rows: list[list[object]] = []
    loads: list[list[object]] = []
    rollups: list[list[object]] = []
    tmp = Path(tempfile.mkdtemp(prefix="bench-dashboard-"))
    for calls in sizes:
        url = _url(f"hotline_bench_dash_{calls}")
        try:
            seconds = seed(calls, url, env)
            loads.append(
                [
                    f"{calls:,}",
                    "reused" if seconds is None else f"{seconds:.0f} s",
                    os.getloadavg()[0],
                ]
            )
            migrate.upgrade(url)
            rollups.append([f"{calls:,}", *rollup(url, env)])
            found, slow = measure(calls, url, args.runs, args.requests, tmp)
            rows += found
            print_table(
                f"slowest statements of one year dashboard, {calls:,} calls",
                ["ms", "statement"],
                [[f"{ms:.1f}", " ".join(sql.split())[:150]] for ms, sql, _plan in slow[:6]],
            )
            print("EXPLAIN (ANALYZE, BUFFERS) of the slowest:")
            print("\n".join("    " + line for line in slow[0][2]))
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
            if not args.keep:
                _admin(f'DROP DATABASE IF EXISTS "hotline_bench_dash_{calls}" WITH (FORCE)')
    print_table("seed-demo load time", ["calls", "load", "load average (1 min) after"], loads)
    print_table("metrics rollup before measuring", ["calls", "what", "seconds"], rollups)
    print_table(
        f"server time per request, ms: median over {args.runs} runs of each run's p50 and p95 "
        f"({args.requests} requests a run)",
        ["calls", "what", "p50", "p95", "p50 spread"],
        rows,
    )
    print(machine_line())


if __name__ == "__main__":
    main()
