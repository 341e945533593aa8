"""How long the Twilio webhooks take, per endpoint and status class.

Histograms live in each process. Under gunicorn (several workers) set
``PROMETHEUS_MULTIPROC_DIR`` to an empty directory before the server starts: every worker
then writes its samples there and a scrape of any worker sums them all
(prometheus_client's multiprocess mode). Without it, a scrape shows the samples of the
worker that answered it, which is only right with one worker.
"""

from __future__ import annotations

import time

from flask import Flask, Response, g, request
from prometheus_client import Histogram

# Twilio gives up on a webhook after 15 s; most answers should take a few milliseconds.
BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 15.0)
TIMED_BLUEPRINTS = frozenset({"twilio"})

WEBHOOK_SECONDS = Histogram(
    "hotline_webhook_duration_seconds",
    "Time to answer a Twilio webhook, by endpoint and status class.",
    ["endpoint", "status"],
    buckets=BUCKETS,
    registry=None,  # exposed by ivr.monitoring.views, never by the global registry
)


def _start() -> None:
    if request.blueprint in TIMED_BLUEPRINTS:
        g.webhook_started = time.perf_counter()


def _observe(response: Response) -> Response:
    started: float | None = g.pop("webhook_started", None)
    if started is not None:
        # The endpoint name and the status class only: bounded, and nothing about a caller.
        WEBHOOK_SECONDS.labels(
            endpoint=request.endpoint or "unknown", status=f"{response.status_code // 100}xx"
        ).observe(time.perf_counter() - started)
    return response


def install(app: Flask) -> None:
    """Time every request to the timed blueprints (the first and the last hook)."""
    app.before_request_funcs.setdefault(None, []).insert(0, _start)
    app.after_request(_observe)
