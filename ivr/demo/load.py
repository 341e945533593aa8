"""Loading demo rows in bulk: PostgreSQL ``COPY`` through psycopg, executemany elsewhere.

Calls and reports carry explicit ids (their children point at them before the database
has seen them); PostgreSQL's sequences are moved past them afterwards.
"""

from __future__ import annotations

import multiprocessing
from collections.abc import Iterator, Sequence
from multiprocessing.queues import Queue
from typing import Any

from psycopg.types.json import Jsonb
from sqlalchemy import Connection, Index, Table, exists, func, insert, select, text
from sqlalchemy.schema import DropIndex

from ivr.demo.generate import Batch, DemoGenerator, Row
from ivr.demo.profile import DEMO_CALL_SID_PREFIX
from models import Call, CallEvent, Database, Recording, Referral, Report, ReportChange


def _columns(names: str) -> tuple[str, ...]:
    return tuple(names.split())


# Table -> the columns of its rows, in the order ivr.demo.generate builds them.
COLUMNS: dict[str, tuple[Table, tuple[str, ...]]] = {
    "calls": (
        Call.__table__,  # type: ignore[dict-item]
        _columns(
            "id call_sid account_sid reference_number from_enc from_hash from_withheld "
            "to_number caller_country caller_region language status status_seq started_at "
            "ended_at duration_s ended_by last_step flow_name flow_state category "
            "immediate_danger callback_enc transfer degraded created_at updated_at"
        ),
    ),
    "call_events": (
        CallEvent.__table__,  # type: ignore[dict-item]
        _columns("call_id kind node prompt input outcome detail at"),
    ),
    "recordings": (
        Recording.__table__,  # type: ignore[dict-item]
        _columns(
            "call_id recording_sid url duration_s status ended_with sha256 storage_key "
            "size_bytes stored_at twilio_deleted_at fetch_attempts fetch_error created_at "
            "updated_at"
        ),
    ),
    "reports": (
        Report.__table__,  # type: ignore[dict-item]
        _columns(
            "id call_id report_number received_at channel language category classification "
            "immediate_danger priority priority_rank priority_reasons priority_overridden "
            "status anonymous caller_region repeat_caller entities jurisdiction_province "
            "jurisdiction_agency assignee ready_at created_at updated_at"
        ),
    ),
    "report_changes": (
        ReportChange.__table__,  # type: ignore[dict-item]
        _columns("report_id field old_value new_value reason author at"),
    ),
    "referrals": (
        Referral.__table__,  # type: ignore[dict-item]
        _columns("report_id agency referred_at reference author created_at"),
    ),
}
_SET_SEQUENCES = (
    "SELECT setval(pg_get_serial_sequence('calls', 'id'), (SELECT max(id) FROM calls))",
    "SELECT setval(pg_get_serial_sequence('reports', 'id'), (SELECT max(id) FROM reports))",
)
JSON_COLUMNS = frozenset({"flow_state", "priority_reasons", "entities"})


def real_calls_present(conn: Connection) -> bool:
    """True when the database holds a call that the demo did not make."""
    real = select(Call.id).where(~Call.call_sid.startswith(DEMO_CALL_SID_PREFIX))
    return bool(conn.scalar(select(exists(real))))


def next_ids(conn: Connection) -> tuple[int, int]:
    """The first free call id and report id."""
    last_call = conn.scalar(select(func.max(Call.id))) or 0
    last_report = conn.scalar(select(func.max(Report.id))) or 0
    return int(last_call) + 1, int(last_report) + 1


def prepare(conn: Connection) -> None:
    """PostgreSQL: no wait for the WAL flush at each batch's commit (a crash loses at
    most the last batches of a load that can be run again; nothing is corrupted)."""
    if conn.dialect.name == "postgresql":
        conn.execute(text("SET synchronous_commit = off"))


def drop_secondary_indexes(conn: Connection, adding: int, existing: int) -> list[str]:
    """PostgreSQL, when the load at least doubles the data: drop the secondary indexes of
    the demo tables and return their definitions, to build them once at the end.

    Building an index once is several times cheaper than maintaining it row by row. The
    whole load is then one transaction, so a failure brings the indexes back too.
    Primary keys and unique constraints stay (they check the load).
    """
    if conn.dialect.name != "postgresql" or adding < existing:
        return []
    rows = conn.execute(
        text(
            "SELECT indexname, indexdef FROM pg_indexes i WHERE schemaname = current_schema() "
            "AND tablename = ANY(:tables) "
            "AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conname = i.indexname)"
        ),
        {"tables": list(COLUMNS)},
    ).all()
    for name, _definition in rows:
        conn.execute(DropIndex(Index(name)))
    return [definition for _name, definition in rows]


def write_batch(conn: Connection, batch: Batch) -> None:
    """Insert one batch, parents before children (in the connection's transaction)."""
    for name, (table, columns) in COLUMNS.items():
        rows: list[Row] = getattr(batch, name)
        if not rows:
            continue
        if conn.dialect.name == "postgresql":
            _copy(conn, name, columns, rows)
        else:
            conn.execute(insert(table), [dict(zip(columns, row, strict=True)) for row in rows])


def _copy(conn: Connection, name: str, columns: Sequence[str], rows: list[Row]) -> None:
    json_at = [i for i, column in enumerate(columns) if column in JSON_COLUMNS]
    raw: Any = conn.connection.driver_connection
    sql = f"COPY {name} ({', '.join(columns)}) FROM STDIN"
    with raw.cursor() as cursor, cursor.copy(sql) as copy:
        for row in rows:
            if json_at:
                values = list(row)
                for i in json_at:
                    values[i] = Jsonb(values[i])
                copy.write_row(values)
            else:
                copy.write_row(row)


def finish(conn: Connection, indexes: list[str]) -> None:
    """PostgreSQL: build the dropped ``indexes``, move the id sequences past the explicit
    ids, refresh the planner's statistics."""
    if conn.dialect.name != "postgresql":
        return
    if indexes:
        conn.execute(text("SET LOCAL maintenance_work_mem = '256MB'"))
    for definition in indexes:
        conn.execute(text(definition))
    for statement in _SET_SEQUENCES:
        conn.execute(text(statement))
    conn.execute(text("ANALYZE"))


def vacuum(database: Database) -> None:
    """PostgreSQL: VACUUM what was loaded, as autovacuum would in time, so that index-only
    scans (the queue's count, the backlog) need not visit the rows (outside a
    transaction: VACUUM refuses to run in one)."""
    if database.engine.dialect.name != "postgresql":
        return
    with database.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        tables = ", ".join(table.name for table, _columns in COLUMNS.values())
        conn.execute(text(f"VACUUM (ANALYZE) {tables}"))


def _produce(generator: DemoGenerator, size: int, queue: Queue[Batch | str | None]) -> None:
    try:
        for batch in generator.batches(size):
            queue.put(batch)
        queue.put(None)
    except Exception as exc:  # the parent re-raises it
        queue.put(f"{type(exc).__name__}: {exc}")


def drawn_in_background(generator: DemoGenerator, size: int) -> Iterator[Batch]:
    """The generator's batches, drawn by a forked process while this one writes the last.

    Drawing the rows and the database storing them each keep a core busy; side by side
    they take about the time of the slower one.
    """
    context = multiprocessing.get_context("fork")
    queue: Queue[Batch | str | None] = context.Queue(maxsize=3)
    child = context.Process(target=_produce, args=(generator, size, queue), daemon=True)
    child.start()
    try:
        while (item := queue.get()) is not None:
            if isinstance(item, str):
                raise RuntimeError(f"drawing demo rows failed: {item}")
            yield item
    finally:
        child.kill()
        child.join()
