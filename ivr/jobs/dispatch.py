"""Dispatchers: hand committed outbox messages to rq, or run them in this process."""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

from flask import has_request_context
from redis import Redis
from redis.exceptions import RedisError
from rq import Queue, Retry
from rq.job import Job
from rq.serializers import JSONSerializer

from ivr.jobs import outbox
from ivr.jobs.context import JobContext
from ivr.jobs.runner import TIMEOUTS, run_with
from models import Database

log = logging.getLogger(__name__)
RETRY_INTERVALS = [10, 30, 60]


def job_id(message_id: int, attempts: int) -> str:
    """The rq job of one relay of an outbox message (each relay a job of its own)."""
    return f"outbox-{message_id}-{attempts}"


def redis_connection(url: str) -> Redis:
    """A Redis client that fails fast when Redis is down (the outbox keeps the work)."""
    return Redis.from_url(url, socket_connect_timeout=1, socket_timeout=5)


def queues(connection: Redis) -> dict[str, Queue]:
    """The project's queues, with the JSON serializer (never pickle)."""
    return {
        name: Queue(name, connection=connection, serializer=JSONSerializer)
        for name in outbox.QUEUES
    }


class RelayThread:
    """Relays, from a thread of its own, the messages that requests committed.

    A webhook then answers without waiting for the claim and Redis. Its messages were
    committed with it: if this process dies before relaying them, the sweep does.
    """

    def __init__(self, relay: Callable[[list[int]], None]) -> None:
        self.relay = relay
        self._queue: queue.SimpleQueue[list[int] | None] = queue.SimpleQueue()
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None

    def put(self, ids: list[int]) -> None:
        """Relay ``ids`` soon."""
        self._queue.put(ids)
        # Started on first use, so that a process forked after the app was built
        # (gunicorn --preload) gets a thread of its own.
        if self._thread is None or not self._thread.is_alive():
            with self._lock:
                if self._thread is None or not self._thread.is_alive():
                    self._thread = threading.Thread(
                        target=self._run, name="outbox-relay", daemon=True
                    )
                    self._thread.start()

    def _run(self) -> None:
        while True:
            # One batch: the first hand-over, and what other requests handed over meanwhile.
            batch = [self._queue.get()]
            while not self._queue.empty():
                batch.append(self._queue.get_nowait())
            ids = [message_id for ids in batch if ids is not None for message_id in ids]
            try:
                if ids:
                    self.relay(ids)
            except Exception as exc:  # the sweep relays what this missed
                log.warning("outbox relay failed (%s): left to the sweep", type(exc).__name__)
            if None in batch:  # stop() was called
                return

    def stop(self, timeout: float = 10.0) -> None:
        """Relay what was handed over, then end the thread."""
        if self._thread is not None and self._thread.is_alive():
            self._queue.put(None)
            self._thread.join(timeout)


class RqDispatcher:
    """Relays messages to rq; while Redis is down it backs off and leaves them to the sweep.

    Messages committed by a web request are relayed by a :class:`RelayThread`, after the
    answer; jobs and the sweep relay theirs at once (a job of ``worker --fork`` runs in a
    work horse that exits after it).
    """

    def __init__(self, database: Database, redis_url: str, *, stale_after: timedelta) -> None:
        self.database = database
        self.connection = redis_connection(redis_url)
        self.queues = queues(self.connection)
        self.stale_after = stale_after
        self._down_until = 0.0
        self._stranded: set[str] = set()  # job ids found queued in no queue by the last sweep
        self.background = RelayThread(self.relay_all)

    def __call__(self, ids: list[int]) -> None:
        if has_request_context():
            self.background.put(ids)
        else:
            self.relay_all(ids)

    def relay_all(self, ids: list[int]) -> None:
        """Relay the messages now, unless Redis failed in the last seconds."""
        if time.monotonic() < self._down_until:
            return
        try:
            self.relay(ids)
        except RedisError as exc:
            self._down_until = time.monotonic() + 5
            log.warning("Redis unavailable (%s): work stays in the outbox", type(exc).__name__)

    def relay(self, message_ids: list[int], *, again: bool = False) -> None:
        """Claim and enqueue messages in one transaction: a failed enqueue un-claims them.

        One UPDATE claims them all and one Redis round trip (a MULTI/EXEC pipeline)
        enqueues them all. ``again`` relays messages relayed before (their jobs were lost).
        """
        stale_after = timedelta(0) if again else self.stale_after
        with self.database.session() as session, session.begin():
            messages = outbox.claim(session, message_ids, stale_after=stale_after)
            if not messages:
                return
            with self.connection.pipeline() as pipe:
                for message in messages:
                    self.queues[message.queue].enqueue_call(
                        "ivr.jobs.runner.run_message",
                        args=[message.id],
                        job_id=job_id(message.id, message.attempts),
                        timeout=TIMEOUTS.get(message.task, 60),
                        retry=Retry(max=len(RETRY_INTERVALS), interval=RETRY_INTERVALS),
                        result_ttl=600,
                        failure_ttl=7 * 24 * 3600,
                        pipeline=pipe,
                    )
                pipe.execute()

    def recover_lost(self, candidates: list[tuple[int, int]]) -> int:
        """Relay again the messages whose job no worker will ever run.

        ``candidates`` are (message id, attempts) of messages relayed a while ago and not
        done. Their job is lost when Redis no longer has it (Redis restarted empty), or
        when it is stranded: still ``queued`` but in no queue, because its worker took it
        off the queue and died before starting it (rq dequeues with BLPOP). A worker that
        is alive starts what it took within moments, so a job is only taken for stranded
        when the previous call (a sweep earlier) found it so too. A job that is waiting in
        its queue, running, scheduled for a retry or failed is left to rq.
        """
        stranded_before, self._stranded = self._stranded, set()
        lost = []
        for message_id, attempts in candidates:
            job = job_id(message_id, attempts)
            state = self._job_state(job)
            if state == "stranded" and job not in stranded_before:
                self._stranded.add(job)  # perhaps being started: look again next time
            elif state is not None:
                lost.append(message_id)
                if state == "stranded":
                    self.connection.delete(Job.key_for(job))  # its copy will run
        if lost:
            log.warning("%d job(s) lost or stranded in Redis: relaying them again", len(lost))
            self.relay(lost, again=True)
        return len(lost)

    def _job_state(self, job_id: str) -> str | None:
        """``lost`` (not in Redis), ``stranded`` (queued in no queue) or None (rq has it)."""
        key = Job.key_for(job_id)
        status, origin = self.connection.hmget(key, ["status", "origin"])
        if status is None:
            return None if self.connection.exists(key) else "lost"
        if status not in (b"queued", "queued") or origin is None:
            return None
        queue = self.queues.get(origin.decode() if isinstance(origin, bytes) else origin)
        if queue is None or self.connection.lpos(queue.key, job_id) is not None:
            return None
        return "stranded"

    def close(self) -> None:
        """Relay what requests handed over, then release the Redis connections."""
        self.background.stop()
        self.connection.close()


class InlineDispatcher:
    """Runs messages in a background thread of this process (the embedded default).

    Failed jobs are retried in-process with the same back-off as rq's.
    """

    def __init__(
        self, ctx: JobContext, *, stale_after: timedelta, retry_intervals: list[int]
    ) -> None:
        self.ctx = ctx
        self.stale_after = stale_after
        self.retry_intervals = retry_intervals
        self.executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="hotline-jobs")
        self._lock = threading.Lock()
        self._closed = threading.Event()

    def __call__(self, ids: list[int]) -> None:
        with self._lock:
            if self._closed.is_set():
                return
            for message_id in ids:
                self.executor.submit(self._run, message_id)

    def _run(self, message_id: int) -> None:
        with self.ctx.database.session() as session, session.begin():
            if not outbox.claim(session, [message_id], stale_after=self.stale_after):
                return
        for delay in [*self.retry_intervals, None]:
            try:
                run_with(self.ctx, message_id)
                return
            except Exception:
                # wait() returns True as soon as close() is called.
                if delay is None or self._closed.wait(delay):
                    return

    def close(self) -> None:
        """Finish the running job and drop the queued ones (the sweep will find them)."""
        with self._lock:
            self._closed.set()
        self.executor.shutdown(wait=True, cancel_futures=True)
