"""Writing outbox messages and handing them to the dispatcher after commit."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta

from sqlalchemy import bindparam, event, or_, select, update
from sqlalchemy.orm import Session

from models import Database, OutboxMessage

QUEUES = ("urgent", "normal", "media")
# A message whose job failed this many times stays in the outbox, flagged, for a human.
MAX_ATTEMPTS = 10
_PENDING_KEY = "outbox_pending"


def schedule(session: Session, task: str, *ids: int, queue: str = "normal") -> None:
    """Record that ``task(*ids)`` must run once this transaction commits.

    A message for the same task and ids that nobody has picked up yet already covers
    it; a message already running does not (it may have read the state before ours).
    """
    if queue not in QUEUES:
        raise ValueError(f"unknown queue {queue!r}")
    args = list(ids)
    for pending in session.info.get(_PENDING_KEY, []):
        if pending.task == task and pending.args == args:
            return
    message = OutboxMessage(task=task, args=args, queue=queue, created_at=datetime.now(UTC))
    session.add(message)
    session.info.setdefault(_PENDING_KEY, []).append(message)


def install(database: Database, dispatch: Callable[[list[int]], None]) -> None:
    """Call ``dispatch(ids)`` with the messages of every transaction once it commits."""

    @event.listens_for(database.sessionmaker, "after_commit")
    def _after_commit(session: Session) -> None:
        pending = session.info.pop(_PENDING_KEY, [])
        ids = [m.id for m in pending if m.id is not None]
        if ids:
            dispatch(ids)

    @event.listens_for(database.sessionmaker, "after_soft_rollback")
    def _after_rollback(session: Session, _previous: object) -> None:
        if not session.in_transaction():
            session.info.pop(_PENDING_KEY, None)


# Built once (every relay runs it); RETURNING spares the SELECT of the claimed rows.
_CLAIM = (
    update(OutboxMessage)
    .where(
        OutboxMessage.id.in_(bindparam("message_ids", expanding=True)),
        OutboxMessage.done_at.is_(None),
        OutboxMessage.attempts < MAX_ATTEMPTS,
        or_(
            OutboxMessage.relayed_at.is_(None),
            OutboxMessage.relayed_at < bindparam("stale_before"),
        ),
    )
    .values(relayed_at=bindparam("now"), attempts=OutboxMessage.attempts + 1)
    .returning(OutboxMessage)
    .execution_options(synchronize_session=False, populate_existing=True)
)


def claim(
    session: Session, message_ids: Sequence[int], *, stale_after: timedelta
) -> list[OutboxMessage]:
    """Mark messages relayed, except those another process relayed recently or done ones.

    The conditional UPDATE is the lock: of two processes claiming the same message,
    exactly one gets the row back. One statement claims a whole batch.
    """
    if not message_ids:
        return []
    now = datetime.now(UTC)
    params = {"message_ids": list(message_ids), "stale_before": now - stale_after, "now": now}
    return sorted(session.scalars(_CLAIM, params), key=lambda message: message.id)


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
