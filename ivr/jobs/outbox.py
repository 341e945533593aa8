"""Writing outbox messages and handing them to the dispatcher after commit."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any, NamedTuple, cast

from sqlalchemy import Table, bindparam, event, insert, or_, select, update
from sqlalchemy.orm import Session

from models import Database, OutboxMessage

QUEUES = ("urgent", "normal", "media")
# A message whose job failed this many times stays in the outbox, flagged, for a human.
MAX_ATTEMPTS = 10
_PENDING_KEY = "outbox_pending"
# Messages are written and claimed with Core statements, built once: webhooks schedule
# and the relay claims under load, where the ORM's flush and bulk paths were a tenth of
# the web's CPU (py-spy, bench/webhook_load.py).
_OUTBOX = cast(Table, OutboxMessage.__table__)
_INSERT = insert(_OUTBOX).returning(_OUTBOX.c.id)


class Pending(NamedTuple):
    """A message written by the current transaction, to hand over once it commits."""

    id: int
    task: str
    args: list[Any]


class Claimed(NamedTuple):
    """A message claimed for relaying: what its job needs to be enqueued."""

    id: int
    task: str
    queue: str
    attempts: int


def schedule(session: Session, task: str, *ids: int, queue: str = "normal") -> None:
    """Record that ``task(*ids)`` must run once this transaction commits.

    A message for the same task and ids that nobody has picked up yet already covers
    it; a message already running does not (it may have read the state before ours).
    """
    if queue not in QUEUES:
        raise ValueError(f"unknown queue {queue!r}")
    args = list(ids)
    pending: list[Pending] = session.info.setdefault(_PENDING_KEY, [])
    if any(p.task == task and p.args == args for p in pending):
        return
    values = {"task": task, "args": args, "queue": queue, "created_at": datetime.now(UTC)}
    message_id = session.connection().execute(_INSERT, values).scalar_one()
    pending.append(Pending(message_id, task, args))


def install(database: Database, dispatch: Callable[[list[int]], None]) -> None:
    """Call ``dispatch(ids)`` with the messages of every transaction once it commits."""

    @event.listens_for(database.sessionmaker, "after_commit")
    def _after_commit(session: Session) -> None:
        pending: list[Pending] = session.info.pop(_PENDING_KEY, [])
        if pending:
            dispatch([p.id for p in pending])

    @event.listens_for(database.sessionmaker, "after_soft_rollback")
    def _after_rollback(session: Session, _previous: object) -> None:
        if not session.in_transaction():
            session.info.pop(_PENDING_KEY, None)


# RETURNING spares the SELECT of the claimed rows.
_CLAIM = (
    update(_OUTBOX)
    .where(
        _OUTBOX.c.id.in_(bindparam("message_ids", expanding=True)),
        _OUTBOX.c.done_at.is_(None),
        _OUTBOX.c.attempts < MAX_ATTEMPTS,
        or_(_OUTBOX.c.relayed_at.is_(None), _OUTBOX.c.relayed_at < bindparam("stale_before")),
    )
    .values(relayed_at=bindparam("now"), attempts=_OUTBOX.c.attempts + 1)
    .returning(_OUTBOX.c.id, _OUTBOX.c.task, _OUTBOX.c.queue, _OUTBOX.c.attempts)
)


def claim(session: Session, message_ids: Sequence[int], *, stale_after: timedelta) -> list[Claimed]:
    """Mark messages relayed, except those another process relayed recently or done ones.

    The conditional UPDATE is the lock: of two processes claiming the same message,
    exactly one gets the row back. One statement claims a whole batch.
    """
    if not message_ids:
        return []
    now = datetime.now(UTC)
    params = {"message_ids": list(message_ids), "stale_before": now - stale_after, "now": now}
    rows = session.connection().execute(_CLAIM, params)
    return sorted(Claimed(*row) for row in rows)


def due(
    session: Session, *, min_age: timedelta, stale_after: timedelta, limit: int = 500
) -> list[int]:
    """Messages the sweeper should relay: never relayed (and not brand new), or stale."""
    now = datetime.now(UTC)
    rows = session.scalars(
        select(OutboxMessage.id)
        .where(
            OutboxMessage.done_at.is_(None),
            OutboxMessage.attempts < MAX_ATTEMPTS,
            or_(
                (OutboxMessage.relayed_at.is_(None)) & (OutboxMessage.created_at < now - min_age),
                OutboxMessage.relayed_at < now - stale_after,
            ),
        )
        .order_by(OutboxMessage.id)
        .limit(limit)
    )
    return list(rows)


def in_flight(session: Session, *, min_age: timedelta, limit: int = 500) -> list[tuple[int, int]]:
    """(id, attempts) of messages relayed more than ``min_age`` ago and not done yet."""
    now = datetime.now(UTC)
    rows = session.execute(
        select(OutboxMessage.id, OutboxMessage.attempts)
        .where(
            OutboxMessage.done_at.is_(None),
            OutboxMessage.relayed_at < now - min_age,
            OutboxMessage.attempts < MAX_ATTEMPTS,
        )
        .order_by(OutboxMessage.id)
        .limit(limit)
    )
    return [(int(i), int(a)) for i, a in rows]


def mark_done(session: Session, message_id: int) -> None:
    """The job finished: nothing will relay this message again."""
    session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.id == message_id)
        .values(done_at=datetime.now(UTC), last_error=None)
    )


def mark_failed(session: Session, message_id: int, error: BaseException) -> None:
    """Remember why the last attempt failed (the exception's type, never its data)."""
    session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.id == message_id)
        .values(last_error=type(error).__name__[:256])
    )
