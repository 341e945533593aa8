"""Relaying outbox messages to rq, and the sweep's recovery of jobs no worker will run,
against a private redis-server."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from redis import Redis
from sqlalchemy import select

from ivr.jobs.dispatch import RelayThread, RqDispatcher
from ivr.jobs.outbox import schedule
from models import Database, OutboxMessage, migrate
from tests.live import free_port, redis_server

pytestmark = pytest.mark.live


@pytest.fixture
def dispatcher(tmp_path: Path) -> Iterator[tuple[RqDispatcher, Database, Redis]]:
    url = f"sqlite:///{tmp_path / 'hotline.db'}"
    migrate.upgrade(url)
    database = Database(url)
    port = free_port()
    with redis_server(port, tmp_path):
        redis_url = f"redis://127.0.0.1:{port}/0"
        dispatch = RqDispatcher(database, redis_url, stale_after=timedelta(minutes=30))
        connection = Redis.from_url(redis_url)
        try:
            yield dispatch, database, connection
        finally:
            connection.close()
            dispatch.close()
            database.dispose()


def _relayed(database: Database, dispatch: RqDispatcher, task: str) -> OutboxMessage:
    with database.session() as session, session.begin():
        schedule(session, task, 1, queue="normal")
    with database.session() as session:
        message = session.scalars(select(OutboxMessage).where(OutboxMessage.task == task)).one()
    dispatch.relay_all([message.id])
    with database.session() as session:
        relayed = session.get(OutboxMessage, message.id)
        assert relayed is not None and relayed.attempts == 1
        return relayed


def _scheduled(database: Database, *messages: tuple[str, int, str]) -> list[int]:
    """Commit outbox messages, each (task, id, queue); their ids in order."""
    with database.session() as session, session.begin():
        for task, arg, queue in messages:
            schedule(session, task, arg, queue=queue)
    with database.session() as session:
        return list(session.scalars(select(OutboxMessage.id).order_by(OutboxMessage.id)))


def test_a_job_taken_off_its_queue_by_a_worker_that_died_is_relayed_again(
    dispatcher: tuple[RqDispatcher, Database, Redis],
) -> None:
    dispatch, database, redis = dispatcher
    waiting = _relayed(database, dispatch, "refresh_report")
    stranded = _relayed(database, dispatch, "fetch_recording")
    queue = dispatch.queues["normal"].key
    # A worker BLPOPs the second job and is SIGKILLed before marking it started.
    assert redis.lrem(queue, 0, f"outbox-{stranded.id}-1") == 1
    candidates = [(waiting.id, 1), (stranded.id, 1)]
    assert dispatch.recover_lost(candidates) == 0  # perhaps its worker is starting it
    assert redis.exists(f"rq:job:outbox-{stranded.id}-1")
    assert dispatch.recover_lost(candidates) == 1  # still queued in no queue: stranded
    with database.session() as session:
        again = session.get(OutboxMessage, stranded.id)
        untouched = session.get(OutboxMessage, waiting.id)
        assert again is not None and again.attempts == 2
        assert untouched is not None and untouched.attempts == 1
    ids = [raw.decode() for raw in redis.lrange(queue, 0, -1)]
    assert ids == [f"outbox-{waiting.id}-1", f"outbox-{stranded.id}-2"]
    assert not redis.exists(f"rq:job:outbox-{stranded.id}-1")  # the stranded copy is gone
    # Nothing more to recover: the new job waits in its queue.
    assert dispatch.recover_lost([(waiting.id, 1), (stranded.id, 2)]) == 0


def test_a_job_a_live_worker_took_between_two_sweeps_is_left_to_it(
    dispatcher: tuple[RqDispatcher, Database, Redis],
) -> None:
    dispatch, database, redis = dispatcher
    taken = _relayed(database, dispatch, "refresh_report")
    job_key = f"rq:job:outbox-{taken.id}-1"
    # The first sweep looks just after a worker's BLPOP, before the job is marked started.
    assert redis.lrem(dispatch.queues["normal"].key, 0, f"outbox-{taken.id}-1") == 1
    assert dispatch.recover_lost([(taken.id, 1)]) == 0
    redis.hset(job_key, "status", "started")  # the worker started it
    assert dispatch.recover_lost([(taken.id, 1)]) == 0
    redis.hset(job_key, "status", "queued")  # (a later sweep starts afresh)
    assert dispatch.recover_lost([(taken.id, 1)]) == 0
    with database.session() as session:
        message = session.get(OutboxMessage, taken.id)
        assert message is not None and message.attempts == 1


def test_a_job_redis_lost_is_relayed_again(
    dispatcher: tuple[RqDispatcher, Database, Redis],
) -> None:
    dispatch, database, redis = dispatcher
    message = _relayed(database, dispatch, "refresh_report")
    redis.flushdb()  # Redis restarted without its data
    assert dispatch.recover_lost([(message.id, 1)]) == 1
    assert redis.exists(f"rq:job:outbox-{message.id}-2")


def test_a_batch_is_claimed_and_enqueued_together_and_only_once(
    dispatcher: tuple[RqDispatcher, Database, Redis],
) -> None:
    dispatch, database, redis = dispatcher
    ids = _scheduled(
        database,
        ("refresh_report", 1, "urgent"),
        ("fetch_recording", 2, "media"),
        ("refresh_report", 3, "normal"),
    )
    dispatch.relay_all(ids)
    dispatch.relay_all(ids)  # claimed already: nothing enqueued twice
    queued = {name: redis.lrange(q.key, 0, -1) for name, q in dispatch.queues.items()}
    assert queued == {
        "urgent": [f"outbox-{ids[0]}-1".encode()],
        "media": [f"outbox-{ids[1]}-1".encode()],
        "normal": [f"outbox-{ids[2]}-1".encode()],
    }
    with database.session() as session:
        attempts = session.scalars(select(OutboxMessage.attempts).order_by(OutboxMessage.id))
        assert list(attempts) == [1, 1, 1]


def test_a_failed_enqueue_unclaims_the_whole_batch(
    dispatcher: tuple[RqDispatcher, Database, Redis],
) -> None:
    dispatch, database, redis = dispatcher
    ids = _scheduled(database, ("refresh_report", 1, "normal"), ("refresh_report", 2, "normal"))
    redis.shutdown(nosave=True)  # Redis goes away between the claim and the enqueue
    dispatch.relay_all(ids)
    with database.session() as session:
        rows = session.scalars(select(OutboxMessage)).all()
        assert [(m.attempts, m.relayed_at) for m in rows] == [(0, None), (0, None)]


def test_the_relay_thread_batches_what_arrives_while_it_is_busy() -> None:
    calls: list[list[int]] = []
    first_started, release = threading.Event(), threading.Event()

    def relay(ids: list[int]) -> None:
        calls.append(ids)
        first_started.set()
        release.wait(10)

    thread = RelayThread(relay)
    thread.put([1])
    assert first_started.wait(10)
    thread.put([2, 3])
    thread.put([4])
    release.set()
    thread.stop()
    assert calls == [[1], [2, 3, 4]]
