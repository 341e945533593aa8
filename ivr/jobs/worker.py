"""``flask --app wsgi worker``: an rq worker on the project's queues, with the sweep."""

from __future__ import annotations

import logging
import threading

import click
from flask import current_app
from redis.exceptions import RedisError
from rq import Queue, SimpleWorker, Worker
from rq.executions import Execution
from rq.job import Job
from rq.serializers import JSONSerializer
from rq.worker import WorkerStatus

from ivr.jobs import context
from ivr.jobs.dispatch import RqDispatcher, queues
from ivr.jobs.priority import lower_priority
from ivr.jobs.sweeper import Sweeper

log = logging.getLogger(__name__)


class HotlineWorker(SimpleWorker):
    """rq's worker without the fork: jobs run one at a time in this process.

    rq's default worker forks a work horse for every job. The horse starts cold (SQLAlchemy's
    compiled statements, a new PostgreSQL connection and backend, the transcriber's model)
    and the fork and exit of a 200 MiB process cost the kernel as much again: a call's jobs
    took 270 ms of the machine's CPU with a horse each, 55 ms here (``bench/worker_cpu.py``).
    Jobs are short, take ids and are idempotent; rq still stops one that overruns its
    timeout (SIGALRM).

    rq's forking worker reports a running job alive every ``job_monitoring_interval`` from
    the parent; a simple worker reports it once, for the job's whole timeout (15 minutes for
    a transcription), so a worker killed mid-job left it unretried that long. Here a thread
    reports it alive, so a job whose worker died is retried about ``3 x interval`` after its
    last report, whatever its timeout.

    rq cleans its registries (it retries abandoned jobs there) between jobs, and an idle
    worker waits for one up to 405 s: a worker restarted after a crash left the job it
    was running that long. Here it waits no longer than ``maintenance_interval``.
    """

    @property
    def dequeue_timeout(self) -> int:
        return max(1, min(self.worker_ttl - 15, int(self.maintenance_interval)))

    def get_heartbeat_ttl(self, job: Job, working_time: float = 0.0) -> int:
        """Until the next report, and two intervals of grace (a decode holding the GIL)."""
        interval = int(self.job_monitoring_interval)
        remaining = (job.timeout or interval) - working_time
        return int(max(1, min(remaining, interval))) + 2 * interval

    def execute_job(self, job: Job, queue: Queue) -> None:
        execution = self.prepare_execution(job)
        done = threading.Event()
        beat = threading.Thread(
            target=self._beat, args=(job, execution, done), name="job-heartbeat", daemon=True
        )
        beat.start()
        try:
            self.perform_job(job, queue, execution)
        finally:
            done.set()
            beat.join()
        self.set_state(WorkerStatus.IDLE)

    def _beat(self, job: Job, execution: Execution, done: threading.Event) -> None:
        while not done.wait(self.job_monitoring_interval):
            try:
                self.maintain_heartbeats(job, execution)
            except RedisError as exc:  # Redis down: rq retries the job if it expires meanwhile
                log.warning("job heartbeat failed (%s)", type(exc).__name__)


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
@click.option(
    "--fork",
    is_flag=True,
    help="Fork a work horse per job, as rq does by default (isolation, at ~5x the CPU).",
)
def worker(burst: bool, names: str, nice: int | None, fork: bool) -> None:
    """Run an rq worker on the hotline's queues (urgent first) and sweep the outbox.

    The sweep relays work that never reached Redis (an outage, a crash after commit)
    or that a dead worker left unfinished, and files webhooks spooled while the
    database was down.

    It runs at a lower CPU priority than the web tier (WORKER_NICE): under load the
    webhooks a caller waits on come first, and the jobs catch up when the load falls.

    Jobs run one at a time in this process; --fork gives each its own work horse, as rq
    does by default (isolation from a job that could crash the process).
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
    heartbeat = app.config["WORKER_HEARTBEAT_INTERVAL"]
    if heartbeat < 1:
        raise click.ClickException(
            f"WORKER_HEARTBEAT_INTERVAL must be at least 1 (s), not {heartbeat}"
        )
    lowered = lower_priority(app.config["WORKER_NICE"] if nice is None else nice)
    if lowered:
        log.info("worker CPU priority lowered: %s", ", ".join(lowered))
    sweeper = Sweeper(app, dispatcher, app.config["SWEEP_INTERVAL"] or 15)
    sweeper.start()
    worker_class = Worker if fork else HotlineWorker
    rq_worker = worker_class(
        [all_queues[n] for n in names.split(",")],
        connection=dispatcher.connection,
        serializer=JSONSerializer,
        maintenance_interval=app.config["WORKER_MAINTENANCE_INTERVAL"],
        job_monitoring_interval=heartbeat,
    )
    try:
        rq_worker.work(burst=burst, with_scheduler=True, logging_level=app.config["LOG_LEVEL"])
    finally:
        sweeper.stop()
