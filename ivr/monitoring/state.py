"""Gauges read at scrape time: outbox, rq queues, failed jobs, spool, and what is up.

Computed from the database, Redis and the spool directory when Prometheus asks, so every
gunicorn worker gives the same answer and nothing has to be kept in step between them.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector
from redis.exceptions import RedisError
from rq.registry import FailedJobRegistry
from sqlalchemy import func, select
from sqlalchemy.exc import SQLAlchemyError

from ivr.jobs.dispatch import RqDispatcher
from ivr.jobs.outbox import MAX_ATTEMPTS
from ivr.telephony.spool import Spool
from models import Database, OutboxMessage

log = logging.getLogger(__name__)


def _gauge(
    name: str, doc: str, value: float, labels: dict[str, str] | None = None
) -> GaugeMetricFamily:
    family = GaugeMetricFamily(name, doc, labels=list(labels or {}))
    family.add_metric(list((labels or {}).values()), value)
    return family


class StateCollector(Collector):
    """Collects the service's backlog gauges for one app."""

    def __init__(self, database: Database, dispatcher: Any, spool: Spool) -> None:
        self.database, self.dispatcher, self.spool = database, dispatcher, spool

    def collect(self) -> Iterator[GaugeMetricFamily]:
        yield from self._outbox()
        yield from self._queues()
        yield _gauge(
            "hotline_spool_backlog",
            "Webhooks spooled while the database was down, not yet filed.",
            len(self.spool.pending()),
        )

    def _outbox(self) -> Iterator[GaugeMetricFamily]:
        pending = OutboxMessage.done_at.is_(None)
        try:
            with self.database.session() as session:
                row = session.execute(
                    select(func.count(), func.min(OutboxMessage.created_at)).where(
                        pending, OutboxMessage.attempts < MAX_ATTEMPTS
                    )
                ).one()
                failing = session.scalar(
                    select(func.count()).where(pending, OutboxMessage.last_error.is_not(None))
                )
                given_up = session.scalar(
                    select(func.count()).where(pending, OutboxMessage.attempts >= MAX_ATTEMPTS)
                )
        except SQLAlchemyError as exc:
            log.warning("metrics: database unavailable (%s)", type(exc).__name__)
            yield _gauge(
                "hotline_up", "1 when the component answers.", 0, {"component": "database"}
            )
            return
        yield _gauge("hotline_up", "1 when the component answers.", 1, {"component": "database"})
        count, oldest = int(row[0]), row[1]
        if oldest is not None and oldest.tzinfo is None:
            oldest = oldest.replace(tzinfo=UTC)  # SQLite gives naive UTC through Core
        lag = (datetime.now(UTC) - oldest).total_seconds() if oldest else 0.0
        yield _gauge("hotline_outbox_pending", "Outbox messages not done yet.", count)
        yield _gauge(
            "hotline_outbox_lag_seconds", "Age of the oldest outbox message not done yet.", lag
        )
        yield _gauge(
            "hotline_outbox_failing",
            "Outbox messages whose last attempt failed (retrying).",
            int(failing or 0),
        )
        yield _gauge(
            "hotline_outbox_given_up",
            f"Outbox messages that failed {MAX_ATTEMPTS} times: a person must look.",
            int(given_up or 0),
        )

    def _queues(self) -> Iterator[GaugeMetricFamily]:
        if not isinstance(self.dispatcher, RqDispatcher):
            return  # no Redis: jobs run in the web process, there are no queues
        depth = GaugeMetricFamily(
            "hotline_queue_depth", "Jobs waiting in an rq queue.", labels=["queue"]
        )
        failed = GaugeMetricFamily(
            "hotline_queue_failed_jobs", "Jobs in an rq queue's failed registry.", labels=["queue"]
        )
        try:
            for name, queue in self.dispatcher.queues.items():
                depth.add_metric([name], queue.count)
                registry = FailedJobRegistry(queue=queue)
                failed.add_metric([name], registry.count)
        except RedisError as exc:
            log.warning("metrics: Redis unavailable (%s)", type(exc).__name__)
            yield _gauge("hotline_up", "1 when the component answers.", 0, {"component": "redis"})
            return
        yield _gauge("hotline_up", "1 when the component answers.", 1, {"component": "redis"})
        yield depth
        yield failed
