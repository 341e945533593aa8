"""The supervisors' dashboard on a million calls: time per dashboard and per query plan.

Fills a fresh PostgreSQL database (dropped after; or reuses ``--url``) with ``--calls``
synthetic calls in plain SQL, spread evenly over ``--years`` years ending 2026-01-01 (about
60 % with a report; reviews, referrals, voicemails, hang-ups at every step), then times
:func:`ivr.metrics.build_dashboard` for one year by month, one year by day and one week
by day (wall time in this process, median and p95 of ``--repeat`` runs), and prints each
statement's ``EXPLAIN (ANALYZE, BUFFERS)`` execution time for the one-year dashboard.

    .venv/bin/python -m bench.metrics_plans --calls 1000000
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import create_engine, event, text
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from bench.common import postgres_database, print_table
from ivr.metrics import Period, build_dashboard

STEPS = ("language", "safety", "main_menu", "info", "transfer", "danger", "message")
FILL = [
    """
    INSERT INTO calls (call_sid, account_sid, reference_number, from_withheld, language,
        status, status_seq, started_at, ended_at, duration_s, ended_by, last_step, flow_name,
        flow_state, category, caller_region, transfer, degraded, created_at, updated_at)
    SELECT 'CA' || g, 'AC1', (100000000000 + g)::text, false,
        CASE WHEN g % 4 = 0 THEN 'fr' ELSE 'en' END, 'completed', 3,
        ts, ts + d * interval '1 second', d, 'caller',
        CASE WHEN g % 5 < 3 THEN 'close' ELSE (ARRAY['language','safety','main_menu','info',
            'transfer','danger','message'])[g % 7 + 1] END,
        'default',
        CASE WHEN g % 5 >= 3 AND g % 7 = 3 THEN '{"vars": {"info": "yes"}}'::jsonb
             ELSE '{"vars": {}}'::jsonb END,
        CASE WHEN g % 5 < 3 THEN (ARRAY['csam','luring','exploitation','other'])[g % 4 + 1] END,
        (ARRAY['ON','QC','BC','AB','MB','NS','SK','NB','NL','PE','YT'])[(g * 13) % 11 + 1],
        CASE g % 23 WHEN 0 THEN 'answered' WHEN 1 THEN 'unanswered' WHEN 2 THEN 'closed' END,
        false, ts, ts
    FROM generate_series(1, :n) AS g,
         LATERAL (SELECT timestamptz '2026-01-01' - (g * (:years * interval '365 days' / :n))
                  AS ts, 20 + (g * 37) % 400 AS d) t
    """,
    """
    INSERT INTO reports (call_id, report_number, received_at, channel, language, category,
        classification, immediate_danger, priority, priority_rank, priority_reasons,
        priority_overridden, status, anonymous, caller_region, repeat_caller, entities,
        assignee, ready_at, created_at, updated_at)
    SELECT id, reference_number, started_at, 'phone', language, category,
        CASE WHEN id % 3 = 0 THEN category END, id % 40 = 0,
        (ARRAY['urgent','high','normal','low'])[r + 1], r, '[]'::jsonb, false,
        CASE WHEN id % 100 = 0 THEN 'new' WHEN id % 100 = 1 THEN 'in_review'
             WHEN id % 2 = 0 THEN 'closed' ELSE 'referred' END,
        true, caller_region, id % 9 = 0, '{}'::jsonb,
        (ARRAY['alice','bob','chloe','denis','emma'])[id % 5 + 1],
        ended_at + (30 + id % 600) * interval '1 second', started_at, started_at
    FROM calls, LATERAL (SELECT CASE WHEN id % 40 = 0 THEN 0 ELSE 1 + id % 3 END AS r) p
    WHERE category IS NOT NULL
    """,
    """
    INSERT INTO report_changes (report_id, field, old_value, new_value, author, at)
    SELECT id, 'status', 'new', 'in_review', assignee,
        received_at + (600 + (id * 7919) % 86400) * interval '1 second'
    FROM reports WHERE status <> 'new'
    """,
    """
    INSERT INTO report_changes (report_id, field, old_value, new_value, author, at)
    SELECT id, 'status', 'in_review', status, assignee,
        received_at + (90000 + (id * 104729) % 400000) * interval '1 second'
    FROM reports WHERE status IN ('closed', 'referred')
    """,
    """
    INSERT INTO referrals (report_id, agency, referred_at, author, created_at)
    SELECT id, 'Police', received_at + (90000 + (id * 104729) % 400000) * interval '1 second',
        assignee, received_at
    FROM reports WHERE status = 'referred'
    """,
    """
    INSERT INTO recordings (call_id, recording_sid, status, duration_s, sha256, storage_key,
        fetch_attempts, created_at, updated_at)
    SELECT id, 'RE' || id, CASE WHEN id % 20 = 0 THEN 'absent' ELSE 'stored' END, 40,
        repeat('0', 64), 'k', 0, started_at, started_at
    FROM calls WHERE id % 5 < 3 AND id % 6 <> 0
    """,
]
CASES = [
    ("one year by month", Period(date(2025, 1, 1), date(2026, 1, 1), "America/Winnipeg", "month")),
    ("one year by day", Period(date(2025, 1, 1), date(2026, 1, 1), "America/Winnipeg", "day")),
    ("one week by day", Period(date(2025, 6, 2), date(2025, 6, 9), "America/Winnipeg", "day")),
]


def dashboard(session: Session, period: Period) -> Any:
    """The dashboard as the console builds it."""
    now = datetime(2026, 1, 1, tzinfo=UTC)
    return build_dashboard(session, period, urgent_target=timedelta(hours=1), now=now, steps=STEPS)


def time_cases(engine: Engine, repeat: int) -> list[list[object]]:
    """Median and p95 wall time (ms) of each case."""
    rows: list[list[object]] = []
    for name, period in CASES:
        times = []
        for _ in range(repeat):
            with Session(engine) as session:
                t0 = time.perf_counter()
                dashboard(session, period)
                times.append((time.perf_counter() - t0) * 1000)
        times.sort()
        p95 = times[min(len(times) - 1, round(0.95 * (len(times) - 1)))]
        rows.append([name, statistics.median(times), p95, min(times)])
    return rows


@contextmanager
def captured(engine: Engine) -> Iterator[list[tuple[str, Any]]]:
    """The statements (and parameters) executed meanwhile."""
    found: list[tuple[str, Any]] = []

    def before(_conn: Any, _cursor: Any, statement: str, parameters: Any, *_: Any) -> None:
        found.append((statement, parameters))

    event.listen(engine, "before_cursor_execute", before)
    try:
        yield found
    finally:
        event.remove(engine, "before_cursor_execute", before)


def explain_all(engine: Engine, period: Period) -> list[list[object]]:
    """Each statement of one dashboard: PostgreSQL's execution time and top plan node."""
    with captured(engine) as statements, Session(engine) as session:
        dashboard(session, period)
    rows: list[list[object]] = []
    with engine.connect() as conn:
        for i, (statement, parameters) in enumerate(statements):
            plan = [
                r[0]
                for r in conn.exec_driver_sql("EXPLAIN (ANALYZE, BUFFERS) " + statement, parameters)
            ]
            ms = next(
                float(line.split(":")[1].split()[0]) for line in plan if "Execution Time" in line
            )
            first = " ".join(statement.split())[:60]
            rows.append([f"{i:2d} {first}", ms, plan[0].strip()[:50]])
            if ms > 50:
                print(f"\n-- statement {i} ({ms:.1f} ms) --\n" + "\n".join(plan[:25]))
    return rows


def fill(engine: Engine, calls: int, years: int) -> None:
    """Insert the synthetic data and analyse it."""
    with Session(engine) as session:
        for statement in FILL:
            session.execute(text(statement), {"n": calls, "years": years})
        session.commit()
    with engine.connect() as conn:
        conn.execution_options(isolation_level="AUTOCOMMIT").exec_driver_sql("VACUUM ANALYZE")


def run(url: str, args: argparse.Namespace, *, filled: bool) -> None:
    """Fill if needed, then measure and print."""
    engine = create_engine(url)
    if not filled:
        t0 = time.perf_counter()
        fill(engine, args.calls, args.years)
        print(f"filled {args.calls:,} calls in {time.perf_counter() - t0:.0f} s")
    explained = explain_all(engine, CASES[0][1])
    timed = time_cases(engine, args.repeat)
    engine.dispose()
    print_table("one-year dashboard, statement by statement (EXPLAIN ANALYZE, ms)",
                ["statement", "ms", "top node"], explained)  # fmt: skip
    print_table(f"dashboard on {args.calls:,} calls over {args.years} year(s): wall ms",
                ["range", "p50", "p95", "min"], timed)  # fmt: skip


def main() -> None:
    """Fill, explain, time, print."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--calls", type=int, default=1_000_000)
    parser.add_argument("--years", type=int, default=1)
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--url", help="an already filled database (kept)")
    args = parser.parse_args()
    if args.url:
        run(args.url, args, filled=True)
        return
    with postgres_database("hotline_metrics") as url:
        run(url, args, filled=False)


if __name__ == "__main__":
    main()
