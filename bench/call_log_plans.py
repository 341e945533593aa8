"""The call log and the analyst queue on a million calls: query plans and page times.

Fills a fresh PostgreSQL database (dropped after) with ``--calls`` synthetic calls in
plain SQL (about 80 % with a report, 50 % with a voicemail, 0.1 % from Yukon, 0.1 % failed,
spread over two years), then
for each filter of the call log runs the exact statement :func:`search_calls` runs, for the
first page and for a page deep in the list (reached by its keyset cursor), under
``EXPLAIN (ANALYZE, BUFFERS)``. Prints each plan's top node and index use, and a table of
execution times (median of ``--repeat`` runs, PostgreSQL's own "Execution Time").

    .venv/bin/python -m bench.call_log_plans --calls 1000000
"""

from __future__ import annotations

import argparse
import statistics
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import create_engine, text
from sqlalchemy.dialects import postgresql
from sqlalchemy.orm import Session

from bench.common import postgres_database, print_table
from ivr.reports.queries import (
    CallFilters,
    analyst_queue_statement,
    encode_cursor,
    search_calls_statement,
)

FILL = [
    """
    INSERT INTO calls (call_sid, account_sid, reference_number, from_withheld, language,
        status, status_seq, started_at, ended_at, duration_s, flow_name, flow_state, category,
        caller_region, degraded, created_at, updated_at)
    SELECT 'CA' || g, 'AC1', (100000000000 + g)::text, false,
        CASE WHEN g % 4 = 0 THEN 'fr' ELSE 'en' END,
        CASE WHEN g % 1009 = 0 THEN 'failed'
             ELSE (ARRAY['no-answer', 'busy', 'completed', 'completed'])[(g * 7) % 4 + 1]
        END, 3,
        ts, ts + interval '90 seconds', 90, 'default', '{}'::jsonb,
        (ARRAY['csam', 'luring', 'exploitation', 'other', NULL])[(g * 3) % 5 + 1],
        CASE WHEN g % 997 = 0 THEN 'YT'
             ELSE (ARRAY['ON','ON','ON','QC','QC','BC','AB','MB','NS','SK'])[(g * 13) % 10 + 1]
        END,
        false, ts, ts
    FROM generate_series(1, :n) AS g,
         LATERAL (SELECT timestamptz '2024-01-01' + (g * (interval '2 years' / :n)) AS ts) t
    """,
    """
    INSERT INTO reports (call_id, report_number, received_at, channel, language, category,
        priority, priority_rank, priority_reasons, priority_overridden, status, anonymous,
        caller_region, repeat_caller, entities, assignee, created_at, updated_at)
    SELECT id, reference_number, started_at, 'phone', language, category,
        (ARRAY['urgent','high','normal','low'])[r + 1], r, '[]'::jsonb, false,
        CASE WHEN id > :n - 2000 THEN 'new' WHEN id % 50 = 0 THEN 'closed' ELSE 'referred' END,
        true, caller_region, false, '{}'::jsonb,
        CASE WHEN id % 97 = 0 THEN 'alice' WHEN id % 5 = 0 THEN 'bob' ELSE NULL END,
        started_at, started_at
    FROM calls, LATERAL (SELECT CASE WHEN id % 40 = 0 THEN 0 ELSE 1 + id % 3 END AS r) p
    WHERE category IS NOT NULL
    """,
    """
    INSERT INTO recordings (call_id, recording_sid, status, duration_s, sha256, storage_key,
        fetch_attempts, created_at, updated_at)
    SELECT id, 'RE' || id, CASE WHEN id % 20 = 0 THEN 'absent' ELSE 'completed' END, 40,
        repeat('0', 64), 'k', 0, started_at, started_at
    FROM calls WHERE id % 2 = 0
    """,
]

CASES: list[tuple[str, CallFilters]] = [
    ("no filter", CallFilters()),
    ("one month", CallFilters(datetime(2025, 3, 1, tzinfo=UTC), datetime(2025, 4, 1, tzinfo=UTC))),
    ("status busy", CallFilters(status="busy")),
    ("category luring", CallFilters(category="luring")),
    ("language fr", CallFilters(language="fr")),
    ("province YT (0.1 %)", CallFilters(province="YT")),
    ("province ON", CallFilters(province="ON")),
    ("status failed (0.1 %)", CallFilters(status="failed")),
    ("priority urgent", CallFilters(priority="urgent")),
    ("assignee alice", CallFilters(assignee="alice")),
    ("has voicemail", CallFilters(has_voicemail=True)),
    ("no voicemail", CallFilters(has_voicemail=False)),
    ("report number", CallFilters(report_number="100000500000")),
    ("fr + luring + month", CallFilters(
        datetime(2025, 3, 1, tzinfo=UTC), datetime(2025, 4, 1, tzinfo=UTC),
        category="luring", language="fr")),
]  # fmt: skip


def explain(session: Session, statement: Any) -> tuple[float, list[str]]:
    """PostgreSQL's execution time (ms) and plan lines of ``statement``."""
    sql = str(
        statement.compile(dialect=postgresql.dialect(), compile_kwargs={"literal_binds": True})
    )
    lines = [row[0] for row in session.execute(text("EXPLAIN (ANALYZE, BUFFERS) " + sql))]
    ms = next(float(line.split(":")[1].split()[0]) for line in lines if "Execution Time" in line)
    return ms, lines


def deep_cursor(session: Session, filters: CallFilters, depth: int) -> str | None:
    """The cursor of the page that starts ``depth`` rows into the filtered list."""
    statement = search_calls_statement(filters, limit=1)
    sql = statement.compile(dialect=postgresql.dialect(), compile_kwargs={"literal_binds": True})
    inner = str(sql).rsplit("LIMIT", 1)[0]
    row = session.execute(text(f"{inner} OFFSET {depth} LIMIT 1")).first()
    if row is None:
        return None
    started_at, call_id = row._mapping["started_at"], row._mapping["id"]
    return encode_cursor("calls", "after", (started_at, call_id))


def measure(session: Session, repeat: int, depth: int) -> list[list[object]]:
    """One table row per case: first page and deep page times, and the plans' index use."""
    rows: list[list[object]] = []
    for name, filters in CASES:
        cursor = deep_cursor(session, filters, depth)
        times: dict[str, list[float]] = {"first": [], "deep": []}
        plans: dict[str, list[str]] = {}
        for _ in range(repeat):
            for label, page_cursor in (("first", None), ("deep", cursor)):
                ms, plans[label] = explain(
                    session, search_calls_statement(filters, cursor=page_cursor)
                )
                times[label].append(ms)
        indexes = sorted({line.split(" using ")[1].split()[0] for line in plans["deep"]
                          if " using " in line})  # fmt: skip
        print(f"\n-- {name} (deep page) --\n" + "\n".join(plans["deep"][:14]))
        rows.append([name, statistics.median(times["first"]), statistics.median(times["deep"]),
                     ", ".join(indexes) or "seq scan"])  # fmt: skip
    return rows


def main() -> None:
    """Fill, analyse, explain, print."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--calls", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--depth", type=int, default=5000, help="rows skipped for the deep page")
    args = parser.parse_args()
    with postgres_database("hotline_calllog") as url:
        engine = create_engine(url)
        with Session(engine) as session:
            for statement in FILL:
                session.execute(text(statement), {"n": args.calls})
            session.commit()
            session.connection().exec_driver_sql("ANALYZE")
            table = measure(session, args.repeat, args.depth)
            queue_ms, queue_plan = explain_queue(session)
            print("\n-- analyst queue --\n" + "\n".join(queue_plan[:14]))
        engine.dispose()
    print_table(
        f"call log on {args.calls:,} calls: execution time (ms, median of {args.repeat})",
        ["filter", "first page", f"page after {args.depth:,} rows", "indexes (deep page)"],
        table,
    )
    print(f"\nanalyst queue, first page: {queue_ms:.2f} ms")


def explain_queue(session: Session) -> tuple[float, list[str]]:
    """The analyst queue's first page: its plan and time."""
    return explain(session, analyst_queue_statement())


if __name__ == "__main__":
    main()
