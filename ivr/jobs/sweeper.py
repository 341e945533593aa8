"""The sweep: relay forgotten outbox messages and file spooled webhooks, periodically."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from flask import Flask
from redis.exceptions import RedisError
from sqlalchemy.exc import SQLAlchemyError

from ivr.jobs import outbox
from ivr.jobs.dispatch import RqDispatcher
from ivr.metrics import cli as metrics_cli
from ivr.retention.task import schedule_if_due
from ivr.telephony.replay import replay_spool
from models import Database

log = logging.getLogger(__name__)


def sweep_once(app: Flask, dispatch: Callable[[list[int]], None]) -> int:
    """One pass: file the spool, relay what is due, recover jobs Redis lost.

    Returns how many messages were relayed.
    """
    database: Database = app.extensions["database"]
    min_age = timedelta(seconds=app.config["OUTBOX_MIN_AGE"])
    try:
        filed = replay_spool(app)
        if filed:
            log.info("filed %d spooled webhook(s)", filed)
        with database.session() as session:
            ids = outbox.due(
                session,
                min_age=min_age,
                stale_after=timedelta(seconds=app.config["OUTBOX_STALE_AFTER"]),
            )
            flying = outbox.in_flight(session, min_age=min_age)
        _schedule_maintenance(app, database)
    except SQLAlchemyError as exc:
        log.warning("sweep skipped: database unavailable (%s)", type(exc).__name__)
        return 0
    if ids:
        log.info("relaying %d outbox message(s)", len(ids))
        dispatch(ids)
    if flying and isinstance(dispatch, RqDispatcher):
        try:
            return len(ids) + dispatch.recover_lost(flying)
        except RedisError as exc:
            log.warning("lost-job check skipped: Redis unavailable (%s)", type(exc).__name__)
    return len(ids)


def _schedule_maintenance(app: Flask, database: Database) -> None:
    """Daily work (the retention purge) goes through the outbox like any job; the
    metrics rollup, cheap and idempotent, is refreshed here when due."""
    hours = app.config["RETENTION_INTERVAL_HOURS"]
    if hours > 0:
        with database.session() as session, session.begin():
            schedule_if_due(session, timedelta(hours=hours), datetime.now(UTC))
    every = app.config["METRICS_ROLLUP_SECONDS"]
    if every > 0 and metrics_cli.due(app.config, database, timedelta(seconds=every)):
        done = metrics_cli.refresh(app.config, database, wait=False)
        if done is not None and (done.rebuilt or done.seconds > 1):
            log.info("metrics rollup: %d day(s) in %.1f s", done.days, done.seconds)


class Sweeper(threading.Thread):
    """A daemon thread that sweeps every ``interval`` seconds until stopped."""

    def __init__(self, app: Flask, dispatch: Callable[[list[int]], None], interval: float) -> None:
        super().__init__(name="hotline-sweeper", daemon=True)
        self.app, self.dispatch, self.interval = app, dispatch, interval
        self._stop_event = threading.Event()

    def run(self) -> None:
        while not self._stop_event.wait(self.interval):
            try:
                sweep_once(self.app, self.dispatch)
            except Exception:  # a sweep must never kill the thread
                log.exception("sweep failed")

    def stop(self) -> None:
        """Stop after the current pass."""
        self._stop_event.set()
