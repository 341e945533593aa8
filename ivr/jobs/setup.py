"""Choosing and wiring the dispatcher for an app."""

from __future__ import annotations

import threading
from datetime import timedelta

from flask import Flask

from ivr.jobs import outbox
from ivr.jobs.context import JobContext
from ivr.jobs.dispatch import InlineDispatcher, RqDispatcher
from ivr.jobs.runner import load_tasks
from ivr.jobs.sweeper import Sweeper
from models import Database

Dispatcher = RqDispatcher | InlineDispatcher


def init_app(app: Flask) -> None:
    """rq when ``REDIS_URL`` is set, else a background thread of this process."""
    load_tasks()
    database: Database = app.extensions["database"]
    stale = timedelta(seconds=app.config["OUTBOX_STALE_AFTER"])
    dispatcher: Dispatcher
    if app.config["REDIS_URL"]:
        dispatcher = RqDispatcher(database, app.config["REDIS_URL"], stale_after=stale)
    else:
        ctx = JobContext(app.config, database, app.extensions["cipher"])
        dispatcher = InlineDispatcher(ctx, stale_after=stale, retry_intervals=[2, 10, 30])
        if app.config["SWEEP_INTERVAL"] > 0:
            _sweep_once_serving(app, dispatcher)
    outbox.install(database, dispatcher)
    app.extensions["jobs"] = dispatcher


def _sweep_once_serving(app: Flask, dispatcher: InlineDispatcher) -> None:
    """Start the in-process sweeper with the first request (not in CLI commands)."""
    lock = threading.Lock()

    @app.before_request
    def _start_sweeper() -> None:
        if "sweeper" in app.extensions:
            return
        with lock:
            if "sweeper" not in app.extensions:
                sweeper = Sweeper(app, dispatcher, app.config["SWEEP_INTERVAL"])
                sweeper.start()
                app.extensions["sweeper"] = sweeper


def shutdown(app: Flask) -> None:
    """Stop the sweeper and the dispatcher (tests, shutdown)."""
    sweeper: Sweeper | None = app.extensions.pop("sweeper", None)
    if sweeper is not None:
        sweeper.stop()
    dispatcher: Dispatcher | None = app.extensions.get("jobs")
    if dispatcher is not None:
        dispatcher.close()
