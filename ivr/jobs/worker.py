"""``flask --app wsgi worker``: an rq worker on the project's queues, with the sweep."""

from __future__ import annotations

import logging

import click
from flask import current_app
from rq import Worker
from rq.serializers import JSONSerializer

from ivr.jobs import context
from ivr.jobs.dispatch import RqDispatcher, queues
from ivr.jobs.priority import lower_priority
from ivr.jobs.sweeper import Sweeper

log = logging.getLogger(__name__)


@click.command("worker")
@click.option("--burst", is_flag=True, help="Stop when the queues are empty.")
@click.option(
    "--queues",
    "names",
    default="urgent,normal,media",
    show_default=True,
    help="Queues to listen on, most important first.",
)
@click.option(
    "--nice",
    type=click.IntRange(0, 19),
    default=None,
    help="CPU priority to yield to the web tier (default: WORKER_NICE; 0 keeps it).",
)
def worker(burst: bool, names: str, nice: int | None) -> None:
    """Run an rq worker on the hotline's queues (urgent first) and sweep the outbox.

    The sweep relays work that never reached Redis (an outage, a crash after commit)
    or that a dead worker left unfinished, and files webhooks spooled while the
    database was down.

    It runs at a lower CPU priority than the web tier (``WORKER_NICE``): under load the
    webhooks a caller waits on come first, and the jobs catch up when the load falls.
    """
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    dispatcher = app.extensions["jobs"]
    if not isinstance(dispatcher, RqDispatcher):
        raise click.ClickException(
            "REDIS_URL is not set: without Redis the jobs run inside the web process"
        )
    context.bind(app)
    all_queues = queues(dispatcher.connection)
    unknown = [n for n in names.split(",") if n not in all_queues]
    if unknown:
        raise click.ClickException(f"unknown queue(s): {', '.join(unknown)}")
    lowered = lower_priority(app.config["WORKER_NICE"] if nice is None else nice)
    if lowered:
        log.info("worker CPU priority lowered: %s", ", ".join(lowered))
    sweeper = Sweeper(app, dispatcher, app.config["SWEEP_INTERVAL"] or 15)
    sweeper.start()
    rq_worker = Worker(
        [all_queues[n] for n in names.split(",")],
        connection=dispatcher.connection,
        serializer=JSONSerializer,
        maintenance_interval=app.config["WORKER_MAINTENANCE_INTERVAL"],
    )
    try:
        rq_worker.work(burst=burst, with_scheduler=True, logging_level=app.config["LOG_LEVEL"])
    finally:
        sweeper.stop()
