"""The worker command's rq worker: jobs in process, with a heartbeat while one runs.

The worker runs for real (``flask --app wsgi worker --burst``) against the machine's
Redis, on a database of its own.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from redis import Redis
from rq import Queue
from rq.job import Job
from rq.registry import StartedJobRegistry
from rq.serializers import JSONSerializer

from ivr.jobs.worker import HotlineWorker
from tests.conftest import app_config
from tests.live import server_env

pytestmark = pytest.mark.redis
ROOT = Path(__file__).resolve().parents[2]
REDIS = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/9")
FLASK = str(Path(sys.executable).with_name("flask"))


@pytest.fixture
def redis() -> Iterator[Redis]:
    connection = Redis.from_url(REDIS)
    connection.flushdb()
    try:
        yield connection
    finally:
        connection.flushdb()
        connection.close()


def _worker(sqlite_url: str, tmp_path: Path, **settings: object) -> subprocess.Popen[str]:
    config = app_config(sqlite_url, tmp_path, REDIS_URL=REDIS, LOG_LEVEL="INFO", **settings)
    return subprocess.Popen(
        [FLASK, "--app", "wsgi", "worker", "--burst", "--queues", "media"],
        cwd=ROOT,
        env=server_env(config),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def test_a_running_job_stays_registered_past_its_first_heartbeat(
    redis: Redis, sqlite_url: str, tmp_path: Path
) -> None:
    """Heartbeats every second, 3 s of grace: a 5 s job outlives its first heartbeat's TTL
    only if the thread keeps renewing it (rq's simple worker would register it for its
    whole timeout, and a worker that died would leave it unretried that long)."""
    queue = Queue("media", connection=redis, serializer=JSONSerializer)
    job = queue.enqueue_call("time.sleep", args=[5], timeout=600, job_id="sleeper")
    registry = StartedJobRegistry("media", connection=redis)
    worker = _worker(sqlite_url, tmp_path, WORKER_HEARTBEAT_INTERVAL=1)
    try:
        leeway: list[float] = []
        deadline = time.monotonic() + 60
        while worker.poll() is None and time.monotonic() < deadline:
            # The registry holds "<job id>:<execution id>" scored by when it expires.
            for _member, expires in registry.connection.zrange(
                registry.key, 0, -1, withscores=True
            ):
                leeway.append(expires - time.time())
            time.sleep(0.2)
        output, _ = worker.communicate(timeout=30)
    finally:
        worker.kill()
    assert worker.returncode == 0, output
    assert job.get_status(refresh=True) == "finished", output
    # First registered for 1 + 2 x 1 s, and renewed: never expired while it ran, and never
    # registered for anything like its 600 s timeout.
    assert len(leeway) >= 10 and min(leeway) > 0 and max(leeway) <= 3 + 1


def test_a_worker_waits_for_jobs_no_longer_than_its_maintenance_interval(redis: Redis) -> None:
    """rq cleans its registries (and retries abandoned jobs) between jobs: an idle worker
    must come back to it, not block 405 s on an empty queue."""
    queue = Queue("media", connection=redis, serializer=JSONSerializer)
    worker = HotlineWorker([queue], connection=redis, maintenance_interval=20)
    assert worker.dequeue_timeout == 20
    job = Job.create("time.sleep", args=[0], connection=redis, timeout=900)
    worker.job_monitoring_interval = 30
    assert worker.get_heartbeat_ttl(job) == 30 + 60
    assert worker.get_heartbeat_ttl(job, working_time=880) == 20 + 60


def test_the_heartbeat_interval_must_be_positive(sqlite_url: str, tmp_path: Path) -> None:
    worker = _worker(sqlite_url, tmp_path, WORKER_HEARTBEAT_INTERVAL=0)
    output, _ = worker.communicate(timeout=120)
    assert worker.returncode != 0
    assert "WORKER_HEARTBEAT_INTERVAL must be at least 1 (s), not 0" in output


def test_a_job_past_its_timeout_is_stopped_and_the_worker_goes_on(
    redis: Redis, sqlite_url: str, tmp_path: Path
) -> None:
    """Jobs run in the worker's process: rq's timeout (SIGALRM) still stops one, and the
    worker takes the next."""
    queue = Queue("media", connection=redis, serializer=JSONSerializer)
    stuck = queue.enqueue_call("time.sleep", args=[60], timeout=2, job_id="stuck")
    after = queue.enqueue_call("time.sleep", args=[0], timeout=10, job_id="after")
    output, _ = _worker(sqlite_url, tmp_path).communicate(timeout=120)
    assert stuck.get_status(refresh=True) == "failed", output
    assert "JobTimeoutException" in (stuck.latest_result().exc_string or ""), output
    assert after.get_status(refresh=True) == "finished", output
