"""The daily retention purge as an outbox task, and the sweep hook that schedules it."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import exists, select
from sqlalchemy.orm import Session

from ivr.jobs.context import JobContext
from ivr.jobs.outbox import schedule
from ivr.jobs.runner import task
from ivr.media.storage import DirectoryStore
from ivr.retention.purge import RetentionPolicy, apply_purge, lock_purge, plan_purge
from models import OutboxMessage
from models.base import utcnow

TASK = "retention_purge"


@task(TASK, timeout=3600)
def retention_purge(ctx: JobContext) -> None:
    """Purge what the retention policy says is due now (a rerun finds nothing left)."""
    policy = RetentionPolicy.from_config(ctx.config)
    store = DirectoryStore(ctx.config["RECORDINGS_DIR"])
    with ctx.database.session() as session, session.begin():
        lock_purge(session)
        plan = plan_purge(session, policy, utcnow())
        apply_purge(session, plan, store, actor="retention")


def schedule_if_due(session: Session, every: timedelta, now: datetime) -> bool:
    """Schedule the purge unless one was scheduled within ``every``; True if scheduled.

    The outbox is the schedule: one row per run, so every process that sweeps agrees on
    when the last run was, and a run lost with Redis is relayed again like any job.
    """
    recent = select(OutboxMessage.id).where(
        OutboxMessage.task == TASK, OutboxMessage.created_at > now - every
    )
    if session.scalar(select(exists(recent))):
        return False
    schedule(session, TASK, queue="normal")
    return True
