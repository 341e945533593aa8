"""Running one outbox message: the function rq calls, and the task registry."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from ivr.jobs import outbox
from ivr.jobs.context import JobContext, current
from models import OutboxMessage

log = logging.getLogger(__name__)

Task = Callable[..., None]
TASKS: dict[str, Task] = {}
# Seconds a task may run before rq stops it (a five-minute voicemail transcribes in ~75 s).
TIMEOUTS: dict[str, int] = {}


def task(name: str, *, timeout: int = 60) -> Callable[[Task], Task]:
    """Register ``fn(ctx, *ids)`` as the task called ``name``."""

    def register(fn: Task) -> Task:
        TASKS[name] = fn
        TIMEOUTS[name] = timeout
        return fn

    return register


def run_message(message_id: int) -> None:
    """The rq job: run the outbox message ``message_id`` unless it is already done.

    Tasks are idempotent, so running a message twice (a retry after a crash, a sweep
    that raced a slow worker) changes nothing the second time.
    """
    ctx = current()
    run_with(ctx, message_id)


def run_with(ctx: JobContext, message_id: int) -> None:
    """Run one message against ``ctx``; raise on failure so that rq retries it."""
    with ctx.database.session() as session:
        message = session.get(OutboxMessage, message_id)
        if message is None or message.done_at is not None:
            return
        name, args = message.task, list(message.args)
    fn = TASKS.get(name)
    if fn is None:
        raise LookupError(f"unknown task {name!r}")
    try:
        fn(ctx, *args)
    except Exception as exc:
        log.warning("task %s%s failed: %s", name, _ids(args), type(exc).__name__)
        with ctx.database.session() as session, session.begin():
            outbox.mark_failed(session, message_id, exc)
        raise
    with ctx.database.session() as session, session.begin():
        outbox.mark_done(session, message_id)


def _ids(args: list[Any]) -> str:
    return "(" + ", ".join(str(int(a)) for a in args) + ")"


def load_tasks() -> None:
    """Import the modules that register tasks."""
    import ivr.jobs.tasks
    import ivr.retention.task  # noqa: F401
