"""Reading and writing calls: creation by CallSid, flow state, events, recordings.

Every function writes at once and none commits: the request (or job) that calls them
commits once at its edge.
"""

from __future__ import annotations

import functools
import secrets
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, fields
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Table, Update, bindparam, insert, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from callflows import CallState, StepEvent
from ivr.calls.numbers import CallerNumber
from ivr.crypto import DataCipher
from models import Call, CallEvent, Recording, Transcript
from transcripts import Transcript as TranscriptResult

REFERENCE_DIGITS = 8
# A recording's status only moves forward: a late "in-progress" never undoes "completed".
_RECORDING_RANK = {"in-progress": 0, "processing": 1, "completed": 2, "absent": 2, "failed": 2}
# Built once: every webhook runs them, and building the lookup anew was a quarter of
# its CPU in the web process (py-spy, bench/webhook_load.py).
_RECORDINGS = cast(Table, Recording.__table__)
_RECORDING_BY_SID = select(
    *(_RECORDINGS.c[name] for name in ("id", "url", "duration_s", "status", "ended_with"))
).where(_RECORDINGS.c.recording_sid == bindparam("recording_sid"))
# Events are only ever appended: a Core INSERT skips the unit of work's bookkeeping.
# RETURNING makes several rows one INSERT ... VALUES (SQLAlchemy's "insertmanyvalues"),
# where psycopg's executemany costs a pipeline round of its own.
_EVENTS = cast(Table, CallEvent.__table__)
_INSERT_EVENTS = insert(_EVENTS).returning(_EVENTS.c.id)
_EVENT_FIELDS = dict.fromkeys(("node", "prompt", "input", "outcome", "detail"))


@dataclass(slots=True, eq=False)
class CallRecord:
    """The columns of a call that its webhooks read and write, as plain values.

    Webhooks read and write a call through Core statements (``find_call``,
    ``save_call``), not the ORM's identity map and unit of work: those were a third of
    a webhook's CPU (py-spy, bench/webhook_load.py). ``save_call`` writes the columns
    changed since the record was read: assign new values (``flow_state`` included, as
    ``save_state`` does); a dict changed in place would compare equal to what was read.
    """

    id: int
    reference_number: str
    account_sid: str
    language: str | None
    status: str
    status_seq: int
    started_at: datetime
    ended_at: datetime | None
    duration_s: int | None
    ended_by: str | None
    last_step: str | None
    flow_state: dict[str, Any]
    category: str | None
    immediate_danger: bool | None
    callback_enc: bytes | None
    transfer: str | None
    degraded: bool
    loaded: tuple[Any, ...] = field(default=(), repr=False)

    @classmethod
    def from_row(cls, row: Any) -> CallRecord:
        values = tuple(row)
        record = cls(*values)
        record.loaded = values
        return record


CALL_COLUMNS = tuple(f.name for f in fields(CallRecord) if f.name != "loaded")
_CALLS = cast(Table, Call.__table__)
_RECORD_COLUMNS = [_CALLS.c[name] for name in CALL_COLUMNS]
_CALL_BY_SID = select(*_RECORD_COLUMNS).where(_CALLS.c.call_sid == bindparam("call_sid"))


def new_reference_number() -> str:
    """A random report number: digits only, no leading zero (it is read to the caller)."""
    first = secrets.choice("123456789")
    rest = "".join(secrets.choice("0123456789") for _ in range(REFERENCE_DIGITS - 1))
    return first + rest


def find_call(session: Session, call_sid: str) -> CallRecord | None:
    """The call with this CallSid, if known."""
    row = session.connection().execute(_CALL_BY_SID, {"call_sid": call_sid}).first()
    return CallRecord.from_row(row) if row is not None else None


def save_call(session: Session, call: CallRecord) -> None:
    """Write the columns of ``call`` that changed since it was read (and ``updated_at``).

    Only those: a webhook of the same call committed meanwhile (a status callback during
    the last menu) keeps what it wrote to the others.
    """
    now = tuple(getattr(call, name) for name in CALL_COLUMNS)
    changed = {
        name: value
        for name, value, before in zip(CALL_COLUMNS, now, call.loaded, strict=True)
        if value != before
    }
    if changed:
        _update_row(session, _CALLS, call.id, changed)
        call.loaded = now


def _update_row(session: Session, table: Table, row_id: int, values: dict[str, Any]) -> None:
    """``UPDATE <table> SET <values> WHERE id = <row_id>``."""
    params = {f"new_{name}": value for name, value in values.items()}
    statement = _update_statement(table, tuple(values))
    session.connection().execute(statement, {"row_id": row_id, **params})


@functools.cache
def _update_statement(table: Table, names: tuple[str, ...]) -> Update:
    """The UPDATE of ``_update_row``, built once per table and set of columns."""
    values: dict[str, Any] = {name: bindparam(f"new_{name}") for name in names}
    return update(table).where(table.c.id == bindparam("row_id")).values(values)


def _insert_new(session: Session, target: Table, values: dict[str, Any]) -> Any:
    """An INSERT of the row that does nothing if a unique key is taken: ON CONFLICT DO NOTHING.

    One statement where a SAVEPOINT around a plain INSERT costs three, and a conflict
    (a concurrent first webhook) waits for the other transaction as the INSERT would.
    """
    dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    return dialect.insert(target).values(values).on_conflict_do_nothing()


def get_or_create_call(
    session: Session,
    cipher: DataCipher,
    *,
    call_sid: str,
    account_sid: str,
    caller: Callable[[], CallerNumber],
    to_number: str | None,
    flow_name: str,
    now: datetime,
) -> tuple[CallRecord, bool]:
    """Load the call by CallSid or create it with a fresh reference number.

    ``caller`` is called only to create the call: every later webhook of the call skips
    the number's parsing. Safe against the same webhook arriving twice at once: the
    unique CallSid decides, and the loser of the race loads the winner's row.
    """
    call = find_call(session, call_sid)
    if call is not None:
        return call, False
    number = caller()
    values: dict[str, Any] = {
        "call_sid": call_sid,
        "account_sid": account_sid,
        "from_enc": cipher.encrypt_text(number.e164) if number.e164 else None,
        "from_hash": cipher.keyed_hash(number.e164) if number.e164 else None,
        "from_withheld": number.withheld,
        "to_number": to_number,
        "caller_country": number.country,
        "caller_region": number.region,
        "status": "ringing",
        "status_seq": -1,
        "started_at": now,
        "flow_name": flow_name,
        "flow_state": {},
        "degraded": False,
    }
    for _ in range(5):
        values["reference_number"] = new_reference_number()
        statement = _insert_new(session, _CALLS, values).returning(*_RECORD_COLUMNS)
        row = session.connection().execute(statement).first()
        if row is not None:
            return CallRecord.from_row(row), True
        existing = find_call(session, call_sid)
        if existing is not None:
            return existing, False
        # Neither ours nor anybody's: the reference number was taken, draw another.
    raise RuntimeError("could not allocate a unique reference number")


def load_state(call: CallRecord, cipher: DataCipher) -> CallState | None:
    """The call's flow state, with the callback number decrypted into it."""
    if not call.flow_state:
        return None
    data = dict(call.flow_state)
    variables = dict(data.get("vars", {}))
    if call.callback_enc is not None:
        variables["callback_number"] = cipher.decrypt_text(call.callback_enc)
    data["vars"] = variables
    return CallState.from_dict(data)


def save_state(call: CallRecord, state: CallState, cipher: DataCipher) -> None:
    """Store the flow state; the callback number goes to its encrypted column only."""
    data = state.to_dict()
    variables = dict(data.get("vars", {}))
    callback = variables.pop("callback_number", None)
    data["vars"] = variables
    call.flow_state = data
    if callback is None:
        call.callback_enc = None
    elif call.callback_enc is None or cipher.decrypt_text(call.callback_enc) != callback:
        call.callback_enc = cipher.encrypt_text(callback)
    call.language = state.language
    call.last_step = state.node
    call.category = variables.get("category")
    call.immediate_danger = {"yes": True, "no": False}.get(variables.get("danger", ""))
    call.transfer = variables.get("transfer")


def _insert_events(session: Session, rows: list[dict[str, Any]]) -> None:
    """Write CallEvents now, in order (their ids order a call's path).

    ``call.events``, if already loaded in this session, does not see them.
    """
    if rows:
        # Every row names every column, as one statement needs.
        session.connection().execute(_INSERT_EVENTS, [_EVENT_FIELDS | row for row in rows])


def add_flow_events(session: Session, call: CallRecord, events: Iterable[StepEvent]) -> None:
    """Log the engine's steps as CallEvents."""
    rows = [
        {
            "call_id": call.id,
            "kind": "ivr",
            "node": ev.node,
            "prompt": ev.prompt,
            "input": ev.input,
            "outcome": ev.outcome,
            "at": ev.at,
        }
        for ev in events
    ]
    _insert_events(session, rows)


def add_event(
    session: Session,
    call: CallRecord,
    kind: str,
    at: datetime,
    *,
    node: str | None = None,
    outcome: str | None = None,
    detail: str | None = None,
) -> None:
    """Log a webhook that is not a flow step (status, recording, replay, fallback)."""
    row = {"call_id": call.id, "kind": kind, "node": node, "outcome": outcome, "detail": detail}
    _insert_events(session, [row | {"at": at}])


def upsert_recording(
    session: Session,
    call: CallRecord,
    *,
    recording_sid: str,
    status: str,
    url: str | None = None,
    duration_s: int | None = None,
    ended_with: str | None = None,
) -> tuple[int, bool]:
    """Create or update a recording by RecordingSid; returns its id and whether it changed.

    Callbacks may repeat or arrive out of order: fields only fill in, and the status
    only moves forward. Core statements, like the call's (see :class:`CallRecord`).
    """
    connection = session.connection()
    by_sid = {"recording_sid": recording_sid}
    row = connection.execute(_RECORDING_BY_SID, by_sid).first()
    if row is None:
        values = {
            "call_id": call.id,
            "recording_sid": recording_sid,
            "status": status,
            "url": url,
            "duration_s": duration_s,
            "ended_with": ended_with,
        }
        statement = _insert_new(session, _RECORDINGS, values).returning(_RECORDINGS.c.id)
        inserted = connection.execute(statement).first()
        if inserted is not None:
            return int(inserted.id), True
        row = connection.execute(_RECORDING_BY_SID, by_sid).one()  # filed meanwhile
    forward = _RECORDING_RANK.get(status, 0) > _RECORDING_RANK.get(row.status, 0)
    after = {
        "url": row.url or url,
        "duration_s": row.duration_s if duration_s is None else duration_s,
        "status": status if forward else row.status,
        "ended_with": row.ended_with or ended_with,
    }
    changed = {name: value for name, value in after.items() if value != getattr(row, name)}
    if changed:
        _update_row(session, _RECORDINGS, row.id, changed)
    return int(row.id), bool(changed)


def save_transcript(
    session: Session,
    cipher: DataCipher,
    recording_id: int,
    result: TranscriptResult,
    language: str | None,
    elapsed_seconds: float | None = None,
) -> bool:
    """Store a transcript unless a final one exists; returns whether it was stored."""
    query = select(Transcript).where(Transcript.recording_id == recording_id)
    row = session.scalar(query)
    if row is None:
        try:
            with session.begin_nested():
                row = Transcript(recording_id=recording_id, engine=result.engine, status="pending")
                session.add(row)
        except IntegrityError:  # another job (or Twilio's callback) got there first
            row = session.scalars(query).one()
    if row.status not in ("pending", "failed"):
        return False
    row.engine, row.status, row.language = result.engine, result.status, language
    row.text_enc = cipher.encrypt_text(result.text) if result.text is not None else None
    row.detail = (result.detail or "")[:256] or None
    row.audio_seconds, row.elapsed_seconds = result.audio_seconds, elapsed_seconds
    return True
