"""``flask --app wsgi worker``: an rq worker on the project's queues, with the sweep."""

from __future__ import annotations

import click
from flask import current_app
from rq import Worker
from rq.serializers import JSONSerializer

from ivr.jobs import context
from ivr.jobs.dispatch import RqDispatcher, queues
from ivr.jobs.sweeper import Sweeper


@click.command("worker")
@click.option("--burst", is_flag=True, help="Stop when the queues are empty.")
@click.option(
    "--queues",
    "names",
    default="urgent,normal,media",
    show_default=True,
    help="Queues to listen on, most important first.",
)
def worker(burst: bool, names: str) -> None:
    """Run an rq worker on the hotline's queues (urgent first) and sweep the outbox.

    The sweep relays work that never reached Redis (an outage, a crash after commit)
    or that a dead worker left unfinished, and files webhooks spooled while the
    database was down.
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
