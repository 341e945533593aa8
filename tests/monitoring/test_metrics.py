"""``GET /metrics``: who may scrape it, and that each figure tells the truth."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from flask import Flask
from prometheus_client.parser import text_string_to_metric_families
from rq import Queue
from rq.job import Job
from rq.registry import FailedJobRegistry
from rq.serializers import JSONSerializer

from ivr.telephony.spool import Spool, SpooledRequest
from models import Database, OutboxMessage
from tests.conftest import TwilioClient, app_config, call_params, running_app
from tests.live import free_port, redis_server

OUTSIDE = "203.0.113.9"  # TEST-NET-3: never an allowed network here


def _scrape(app: Flask, **kwargs: object) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    response = app.test_client().get("/metrics", **kwargs)  # type: ignore[arg-type]
    assert response.status_code == 200, response.status_code
    assert response.mimetype == "text/plain"
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(response.text)
        for s in family.samples
    }


def _webhooks(values: dict[tuple[str, tuple[tuple[str, str], ...]], float]) -> float:
    key = (
        "hotline_webhook_duration_seconds_count",
        (("endpoint", "twilio.voice"), ("status", "2xx")),
    )
    return values.get(key, 0.0)


@pytest.fixture
def own_app(own_postgres_url: str, tmp_path: Path) -> Iterator[Flask]:
    """The app on a database of its own (the outbox counts must be this test's)."""
    with running_app(app_config(own_postgres_url, tmp_path)) as app:
        yield app


def test_only_allowed_networks_and_the_token_may_scrape(app: Flask, tmp_path: Path) -> None:
    client = app.test_client()
    assert client.get("/metrics").status_code == 200  # loopback, no token configured
    outside = client.get("/metrics", environ_base={"REMOTE_ADDR": OUTSIDE})
    assert outside.status_code == 403 and "hotline_" not in outside.text
    config = app_config(
        app.config["DATABASE_URL"],
        tmp_path,
        METRICS_ALLOW="0.0.0.0/0",
        METRICS_TOKEN="s3cret-token",
    )
    with running_app(config) as guarded:
        client = guarded.test_client()
        remote = {"environ_base": {"REMOTE_ADDR": OUTSIDE}}
        assert client.get("/metrics", **remote).status_code == 401  # type: ignore[arg-type]
        wrong = {"Authorization": "Bearer nope"}
        assert client.get("/metrics", headers=wrong, **remote).status_code == 401  # type: ignore[arg-type]
        right = {"Authorization": "Bearer s3cret-token"}
        assert client.get("/metrics", headers=right, **remote).status_code == 200  # type: ignore[arg-type]
        assert "Set-Cookie" not in client.get("/metrics", headers=right).headers


def test_webhook_latency_is_counted_per_endpoint_without_caller_data(app: Flask) -> None:
    before = _webhooks(_scrape(app))
    params = call_params()
    signed = TwilioClient(app.test_client(), app.config["TWILIO_AUTH_TOKEN"])
    assert signed.post("/twilio/voice", params).status_code == 200
    assert signed.post("/twilio/voice", params, sign=False).status_code == 403
    response = app.test_client().get("/metrics")
    values = _scrape(app)
    assert _webhooks(values) == before + 1
    forged = (
        "hotline_webhook_duration_seconds_count",
        (("endpoint", "twilio.voice"), ("status", "4xx")),
    )
    assert values[forged] >= 1
    # The values (timings, timestamps) have 16 or 17 random digits each, which hold "5550142"
    # once in a million: look at everything else, the names, labels and help.
    named = re.sub(r"^([^#].*) \S+$", r"\1", response.text, flags=re.M)
    assert params["CallSid"] not in response.text and "5550142" not in named


def test_outbox_backlog_lag_and_failures(own_app: Flask) -> None:
    database: Database = own_app.extensions["database"]
    now = datetime.now(UTC)
    with database.session() as session, session.begin():
        session.add_all(
            [
                OutboxMessage(
                    task="refresh_report",
                    args=[1],
                    queue="normal",
                    created_at=now - timedelta(seconds=300),
                ),
                OutboxMessage(
                    task="refresh_report",
                    args=[2],
                    queue="normal",
                    created_at=now,
                    last_error="OSError",
                ),
                OutboxMessage(
                    task="refresh_report", args=[3], queue="normal", created_at=now, attempts=10
                ),
                OutboxMessage(
                    task="refresh_report",
                    args=[4],
                    queue="normal",
                    created_at=now - timedelta(days=2),
                    done_at=now,
                ),
            ]
        )
    values = _scrape(own_app)
    assert values[("hotline_outbox_pending", ())] == 2
    assert values[("hotline_outbox_lag_seconds", ())] >= 300
    assert values[("hotline_outbox_lag_seconds", ())] < 2 * 86400  # the done one does not count
    assert values[("hotline_outbox_failing", ())] == 1
    assert values[("hotline_outbox_given_up", ())] == 1
    assert values[("hotline_up", (("component", "database"),))] == 1
    assert values[("hotline_spool_backlog", ())] == 0
    Spool(own_app.config["SPOOL_DIR"], own_app.extensions["cipher"]).put(
        SpooledRequest("twilio.voice", {}, call_params(), now)
    )
    assert _scrape(own_app)[("hotline_spool_backlog", ())] == 1


def test_queue_depths_and_failed_jobs_come_from_redis(
    own_postgres_url: str, tmp_path: Path
) -> None:
    port = free_port()
    with (
        redis_server(port, tmp_path),
        running_app(
            app_config(own_postgres_url, tmp_path, REDIS_URL=f"redis://127.0.0.1:{port}/0")
        ) as app,
    ):
        connection = app.extensions["jobs"].connection
        media = Queue("media", connection=connection, serializer=JSONSerializer)
        for _ in range(3):
            media.enqueue_call("ivr.jobs.runner.run_message", args=[0])
        broken = Job.create(
            "ivr.jobs.runner.run_message",
            args=[0],
            connection=connection,
            serializer=JSONSerializer,
        )
        broken.origin = "urgent"
        broken.save()
        FailedJobRegistry("urgent", connection=connection, serializer=JSONSerializer).add(
            broken, ttl=600
        )
        values = _scrape(app)
        assert values[("hotline_queue_depth", (("queue", "media"),))] == 3
        assert values[("hotline_queue_depth", (("queue", "urgent"),))] == 0
        assert values[("hotline_queue_failed_jobs", (("queue", "urgent"),))] == 1
        assert values[("hotline_queue_failed_jobs", (("queue", "media"),))] == 0
        assert values[("hotline_up", (("component", "redis"),))] == 1
    values = _scrape(app)  # Redis stopped: reported down, the scrape still answers
    assert values[("hotline_up", (("component", "redis"),))] == 0


WORKER = """
import sys
from tests.conftest import TwilioClient, app_config, call_params, running_app
url, tmp, action = sys.argv[1:4]
config = app_config(url, __import__("pathlib").Path(tmp))
config["TWILIO_AUTH_TOKEN"] = "0" * 32
with running_app(config) as app:
    if action == "call":
        client = TwilioClient(app.test_client(), "0" * 32)
        assert client.post("/twilio/voice", call_params()).status_code == 200
    else:
        print(app.test_client().get("/metrics").text)
"""


def test_gunicorn_workers_are_summed_in_multiprocess_mode(
    own_postgres_url: str, tmp_path: Path
) -> None:
    shared = tmp_path / "prometheus"
    shared.mkdir()
    env = {**os.environ, "PROMETHEUS_MULTIPROC_DIR": str(shared)}

    def process(action: str) -> str:
        argv = [sys.executable, "-c", WORKER, own_postgres_url, str(tmp_path), action]
        done = subprocess.run(
            argv, env=env, capture_output=True, text=True, timeout=120, check=True
        )
        return done.stdout

    process("call")  # one worker process answers a webhook...
    process("call")  # ...another answers another
    scraped = process("scrape")  # a third is scraped: it reports both
    values = {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(scraped)
        for s in family.samples
    }
    assert _webhooks(values) == 2
