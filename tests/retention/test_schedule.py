"""``flask retention purge`` (dry run, then --apply) and the daily purge through the outbox."""

from __future__ import annotations

from datetime import timedelta

from flask import Flask
from sqlalchemy import select

from ivr.jobs.context import JobContext
from ivr.jobs.runner import run_with
from ivr.retention.task import TASK, schedule_if_due
from models import AuditEntry, Call, Database, OutboxMessage
from models.base import utcnow
from tests.live import wait_for
from tests.retention.conftest import Builder


def _purges(app: Flask) -> list[AuditEntry]:
    database: Database = app.extensions["database"]
    with database.session() as session:
        query = select(AuditEntry).where(AuditEntry.action == "retention.purged")
        return list(session.scalars(query.order_by(AuditEntry.id)))


def _done(database: Database) -> OutboxMessage | None:
    with database.session() as session:
        [message] = session.scalars(select(OutboxMessage).where(OutboxMessage.task == TASK))
        return message if message.done_at is not None else None


def test_the_command_shows_first_and_purges_with_apply(own_app: Flask, build: Builder) -> None:
    now = utcnow()
    made = build.call(
        now - timedelta(days=200), status="closed", status_at=now - timedelta(days=190)
    )
    assert made.file is not None
    runner = own_app.test_cli_runner()

    dry = runner.invoke(args=["retention", "purge"])
    assert dry.exit_code == 0, dry.output
    assert "recordings purged: 1" in dry.output and "audio files deleted: 1" in dry.output
    assert "dry run" in dry.output
    assert made.file.exists() and _purges(own_app) == []

    done = runner.invoke(args=["retention", "purge", "--apply"])
    assert done.exit_code == 0, done.output
    assert not made.file.exists()
    [entry] = _purges(own_app)
    assert entry.actor == "cli" and entry.detail["recordings_purged"] == 1

    again = runner.invoke(args=["retention", "purge"])
    assert "recordings purged: 0" in again.output
    verified = runner.invoke(args=["audit", "verify"])
    assert verified.exit_code == 0 and "audit log OK" in verified.output


def test_the_sweep_schedules_one_purge_a_day_and_the_job_runs_it(
    own_app: Flask, build: Builder
) -> None:
    now = utcnow()
    made = build.call(now - timedelta(days=40), voicemail="absent")  # no report: due after 30
    database: Database = own_app.extensions["database"]
    day = timedelta(hours=24)
    with database.session() as session, session.begin():
        assert schedule_if_due(session, day, now)
    with database.session() as session, session.begin():
        assert not schedule_if_due(session, day, now + timedelta(hours=23))
    # The commit handed the message to the app's dispatcher (in-process here): wait for it.
    message = wait_for(lambda: _done(database), 60, "the purge job")
    ctx = JobContext(own_app.config, database, own_app.extensions["cipher"])
    run_with(ctx, message.id)  # done: running it again changes nothing
    [entry] = _purges(own_app)
    assert entry.actor == "retention" and entry.detail["calls_without_report_deleted"] == 1
    with database.session() as session:
        assert session.get(Call, made.call_id) is None
    with database.session() as session, session.begin():
        assert schedule_if_due(session, day, now + timedelta(hours=25))


def test_the_sweep_is_what_schedules_it(own_app: Flask) -> None:
    from ivr.jobs.sweeper import sweep_once

    relayed: list[list[int]] = []
    sweep_once(own_app, relayed.append)
    sweep_once(own_app, relayed.append)
    database: Database = own_app.extensions["database"]
    with database.session() as session:
        scheduled = list(session.scalars(select(OutboxMessage).where(OutboxMessage.task == TASK)))
    assert len(scheduled) == 1  # once a day, however often the sweep runs
