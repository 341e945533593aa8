"""Operational metrics for the people who run the service: ``GET /metrics`` (Prometheus).

- webhook latency histograms, per endpoint and status class (``latency``);
- queue depths and failed jobs per rq queue, outbox backlog and lag, spool backlog,
  computed from Redis, the database and the spool directory at each scrape (``state``).

Only for the monitoring system: the address must be in ``METRICS_ALLOW`` (loopback by
default) and, when ``METRICS_TOKEN`` is set, the request must carry it as a bearer token
(``views``). No label ever holds a CallSid, a number or anything about a caller.
"""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    """Time the webhooks and serve ``/metrics``."""
    from ivr.monitoring.latency import install
    from ivr.monitoring.views import bp

    install(app)
    app.register_blueprint(bp)
