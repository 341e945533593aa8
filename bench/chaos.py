"""Chaos run: simulated calls while Redis, an rq worker and PostgreSQL fail under them.

Everything is private to the run: a PostgreSQL cluster of its own (initdb + pg_ctl on a
free port, ``bench.postgres``), a private ``redis-server``, gunicorn and rq workers
(``bench.common.stack``). ``N`` calls (default 2,000) are placed from a few threads,
each leaving a voicemail and a Twilio transcription; 10% of the calls have every
callback and every Gather/Record action delivered twice (Twilio retries), 5% have their
end-of-call callbacks shuffled (out of order). While they run:

* at 25% of the calls, Redis is killed (SIGKILL) and restarted empty 3 s later;
* at 50%, an rq worker is SIGKILLed in the middle of a job (found from rq's records in
  Redis: a worker busy with a job; the worker runs it in its own process), and restarted
  as a supervisor would; rq takes the job back once its heartbeat has expired;
* at 75%, PostgreSQL is restarted (``pg_ctl restart -m fast``);
* at 60% and at the end, every Redis key is dumped and searched.

Afterwards (``ChaosResult.problems``): exactly one report per call (0 lost, 0
duplicated); no webhook answered 5xx, except calls that overlapped the database restart,
which must have been answered by the degraded path with valid TwiML and have their
voicemail recorded; rq's failed-job registries empty, the outbox and the spool drained;
and no caller number or transcript word anywhere in Redis.

Run: ``.venv/bin/python -m bench.chaos`` (2,000 calls, ~20 min);
``tests/chaos`` runs ``run_chaos`` with 60 calls.
"""

from __future__ import annotations

import argparse
import os
import random
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack
from dataclasses import dataclass, field

from redis import Redis
from redis.exceptions import RedisError
from rq import Worker
from rq.job import Job
from rq.serializers import JSONSerializer
from rq.worker import WorkerStatus

from bench.chaos_checks import CallRecord, ChaosResult, check, print_result, redis_dump
from bench.common import (
    BIN,
    Stack,
    Terminated,
    app_environment,
    interruptible,
    machine_line,
    positive_int,
    redis_up,
    spawn,
    stack,
    stop_group,
    wait_for,
)
from bench.postgres import PrivatePostgres, private_postgres
from ivr.simulator import CallScript, Faults, tone_wav

TRANSCRIPT = "a man on a chat app keeps asking my daughter for photos his name is dark wolf 42"
AREA_CODES = ("613", "514", "604", "403", "902", "204", "306")
# Faster sweeps, rq maintenance and job heartbeats than production, so that recovery
# fits in the run: the job of the killed worker is taken back ~3 heartbeats after its last.
CHAOS_CONFIG = {
    "TRANSCRIBER": "twilio",
    "SWEEP_INTERVAL": "2",
    "OUTBOX_MIN_AGE": "5",
    "WORKER_MAINTENANCE_INTERVAL": "10",
    "WORKER_HEARTBEAT_INTERVAL": "5",
}


@dataclass
class Timeline:
    """When each fault happened (monotonic seconds), for the report and the checks."""

    marks: dict[str, float] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    def mark(self, name: str) -> None:
        self.marks[name] = time.monotonic()


def caller_number(rng: random.Random) -> str:
    """A fictional Canadian number (555-01XX)."""
    return f"+1{rng.choice(AREA_CODES)}55501{rng.randrange(100):02d}"


def plan_calls(calls: int, seed: int) -> list[tuple[CallScript, Faults, str]]:
    """Each call's script, its delivery faults and their name."""
    rng = random.Random(seed)
    voicemail = tone_wav(2)
    planned = []
    for n in range(calls):
        script = CallScript(
            from_number=caller_number(rng),
            answers=["1", rng.choice("1234"), "2", "2"],
            voicemail=voicemail,
            transcription_text=TRANSCRIPT,
        )
        draw = rng.random()
        if draw < 0.10:
            faults, kind = Faults(duplicate_callbacks=True, replay_actions=True), "replayed"
        elif draw < 0.15:
            faults, kind = Faults(callbacks_order="shuffled", seed=seed * 100_000 + n), "shuffled"
        else:
            faults, kind = Faults(), "normal"
        planned.append((script, faults, kind))
    return planned


# --- faults -----------------------------------------------------------------------------


class Supervisor(threading.Thread):
    """Restarts an rq worker that exited, as systemd's ``Restart=always`` would."""

    def __init__(self, bench: Stack) -> None:
        super().__init__(name="supervisor", daemon=True)
        self.bench = bench
        self.restarts = 0
        self.started: list[subprocess.Popen[bytes]] = []
        self._stop_event = threading.Event()
        self.lock = threading.Lock()

    def run(self) -> None:
        while not self._stop_event.wait(0.5):
            with self.lock:
                for index, worker in enumerate(self.bench.workers):
                    if worker.poll() is not None:
                        self.bench.workers[index] = self._spawn()
                        self.restarts += 1

    def _spawn(self) -> subprocess.Popen[bytes]:
        env = app_environment(self.bench.config)
        log = self.bench.tmp / f"worker-restart-{self.restarts}.log"
        worker = spawn([str(BIN / "flask"), "--app", "wsgi", "worker"], env, log)
        self.started.append(worker)
        return worker

    def stop(self) -> None:
        self._stop_event.set()
        self.join(timeout=5)
        for worker in self.bench.workers:
            stop_group(worker)


def restart_redis(
    bench: Stack, timeline: Timeline, cancel: threading.Event, down_s: float = 3.0
) -> None:
    """SIGKILL the private Redis, then start a new, empty one on the same port (unless the
    run is being torn down meanwhile: a Redis started then would outlive it)."""
    process = bench.redis.process
    if process is None:
        raise RuntimeError("the chaos run needs a private Redis")
    argv = [str(a) for a in process.args]  # type: ignore[union-attr]  # the list spawn got
    timeline.mark("redis killed")
    os.killpg(process.pid, signal.SIGKILL)
    process.wait()
    if cancel.wait(down_s):
        return
    replacement = spawn(argv, os.environ, bench.tmp / "redis-restarted.log")
    object.__setattr__(bench.redis, "process", replacement)
    wait_for(lambda: redis_up(bench.redis_url), 60, "Redis restarted")
    timeline.mark("redis back")


def _stop_redis(bench: Stack) -> None:
    if bench.redis.process is not None:
        stop_group(bench.redis.process)


def _dump_when_up(bench: Stack, cancel: threading.Event) -> list[bytes]:
    """The Redis dump, once Redis answers: on a fast run the calls can reach this point
    while the Redis killed earlier is still coming back."""
    wait_for(lambda: cancel.is_set() or redis_up(bench.redis_url), 120, "Redis up for the dump")
    return [] if cancel.is_set() else redis_dump(bench)


def kill_worker_mid_job(
    bench: Stack, supervisor: Supervisor, timeline: Timeline, cancel: threading.Event
) -> None:
    """Wait for a worker that rq records running a job, SIGKILL it (its process group),
    then note when rq takes the job back and when it has finished.

    A job can end between seeing it and the kill: then the worker goes on, and the next
    job is waited for."""
    deadline = time.monotonic() + 120
    connection = bench.redis_connection()
    try:
        while not cancel.is_set():
            with supervisor.lock:  # the supervisor must not swap workers under our feet
                pid = next(iter(_busy_workers(bench, connection)), None)
                job_id = None if pid is None else _sigkill_if_busy(bench, connection, pid)
            if job_id is not None:
                timeline.mark("worker killed")
                timeline.notes.append(f"SIGKILL rq worker {pid} during {job_id}")
                _watch_killed_job(connection, job_id, timeline, cancel)
                return
            if time.monotonic() > deadline:
                raise TimeoutError("timed out after 120s waiting for a job")
            time.sleep(0.02)
    finally:
        connection.close()


def _busy_workers(bench: Stack, connection: Redis) -> dict[int, str]:
    """{pid: job id} of the bench's live workers that rq records running a job (rq's
    worker hash and the worker's executions in Redis; a dead worker's stay behind)."""
    alive = {worker.pid for worker in bench.workers if worker.poll() is None}
    try:
        found = {}
        for worker in Worker.all(connection=connection, serializer=JSONSerializer):
            if worker.pid in alive and worker.get_state() == WorkerStatus.BUSY:
                job_id = worker.get_current_job_id()
                if job_id is not None:
                    found[worker.pid] = job_id
        return found
    except RedisError:  # Redis still coming back from its own fault
        return {}


def _sigkill_if_busy(bench: Stack, connection: Redis, pid: int) -> str | None:
    """SIGKILL worker ``pid``'s process group if rq still records it running a job, read
    while the group is stopped (SIGSTOP), so that the job cannot end meanwhile; the job's
    id, or None (the group is continued).

    The job must be ``started``: a worker killed between taking a job off its queue and
    starting it leaves it ``queued`` in no queue, which the sweep relays again (a job lost
    in Redis), not rq."""
    try:
        os.killpg(pid, signal.SIGSTOP)
    except ProcessLookupError:
        return None
    job_id = None
    try:
        running = _busy_workers(bench, connection).get(pid)
        status = None if running is None else _job_status(connection, running)
        job_id = running if status is not None and status[0] == "started" else None
    finally:
        os.killpg(pid, signal.SIGKILL if job_id is not None else signal.SIGCONT)
    return job_id


def _watch_killed_job(
    connection: Redis, job_id: str, timeline: Timeline, cancel: threading.Event
) -> None:
    """Mark when rq takes the killed job back (its heartbeat expired, ~3 x
    ``WORKER_HEARTBEAT_INTERVAL``, seen at a maintenance pass) and when it has ended."""
    killed = time.monotonic()
    status = "started"  # as the worker left it (``_sigkill_if_busy``)
    while not cancel.wait(0.5) and time.monotonic() - killed < 180:
        read = _job_status(connection, job_id)
        if read is None:
            continue
        status, retries_left = read
        after = f"{time.monotonic() - killed:.1f} s after the kill"
        if status in ("finished", "failed", "gone"):
            timeline.mark(f"killed job {status}")
            timeline.notes.append(f"{job_id} {status} {after} (rq retries left: {retries_left})")
            return
        if status != "started" and "killed job taken back" not in timeline.marks:
            timeline.mark("killed job taken back")
            timeline.notes.append(f"{job_id} {status} {after}")
    timeline.notes.append(f"{job_id} still {status} when the watch ended")


def _job_status(connection: Redis, job_id: str) -> tuple[str, str] | None:
    """(status, retries left) of an rq job in Redis ("gone" if it is not there), or None
    if Redis does not answer."""
    try:
        status, retries_left = connection.hmget(Job.key_for(job_id), ["status", "retries_left"])
    except RedisError:
        return None
    return _text(status) or "gone", _text(retries_left) or "none"


def _text(value: bytes | str | None) -> str:
    return value.decode() if isinstance(value, bytes) else value or ""


def restart_postgres(pg: PrivatePostgres, timeline: Timeline, cancel: threading.Event) -> None:
    """``pg_ctl stop -m fast`` then start: every connection of the app is cut."""
    if cancel.is_set():
        return
    timeline.mark("postgres stopping")
    pg.restart()
    timeline.mark("postgres back")


# --- the run ------------------------------------------------------------------------------


def place(
    bench: Stack,
    planned: Sequence[tuple[CallScript, Faults, str]],
    concurrency: int,
    at_fraction: Callable[[int], None],
) -> list[CallRecord]:
    """Place every call from ``concurrency`` threads; ``at_fraction(n)`` after each call."""
    records: list[CallRecord] = []
    lock = threading.Lock()
    counter = iter(range(len(planned)))
    stopping = threading.Event()

    def caller() -> None:
        while not stopping.is_set():
            with lock:
                index = next(counter, None)
            if index is None:
                return
            script, faults, kind = planned[index]
            started = time.monotonic()
            result = bench.sim.place_call(script, faults=faults)
            record = CallRecord.of(result, kind, started, time.monotonic())
            with lock:
                records.append(record)
                done = len(records)
            at_fraction(done)

    with ThreadPoolExecutor(concurrency, thread_name_prefix="chaos-caller") as pool:
        try:
            for future in [pool.submit(caller) for _ in range(concurrency)]:
                future.result()
        except BaseException:  # SIGTERM (``Terminated``): finish the calls in flight only
            stopping.set()
            raise
    return records


def fault_schedule(
    bench: Stack,
    pg: PrivatePostgres,
    supervisor: Supervisor,
    timeline: Timeline,
    calls: int,
    cancel: threading.Event,
) -> tuple[Callable[[int], None], list[threading.Thread], list[list[bytes]]]:
    """What to break when, as a callback of the number of calls placed so far; a fault
    not started yet does nothing once ``cancel`` is set (the run is being torn down)."""
    dumps: list[list[bytes]] = []
    actions: list[tuple[float, Callable[[], None]]] = [
        (0.25, lambda: restart_redis(bench, timeline, cancel)),
        (0.50, lambda: kill_worker_mid_job(bench, supervisor, timeline, cancel)),
        (0.60, lambda: dumps.append(_dump_when_up(bench, cancel))),
        (0.75, lambda: restart_postgres(pg, timeline, cancel)),
    ]
    fired: set[int] = set()
    threads: list[threading.Thread] = []
    lock = threading.Lock()

    def at_fraction(done: int) -> None:
        for index, (fraction, action) in enumerate(actions):
            with lock:
                if cancel.is_set() or index in fired or done < max(1, int(fraction * calls)):
                    continue
                fired.add(index)
                thread = threading.Thread(target=action, name=f"fault-{index}")
                threads.append(thread)
                thread.start()

    return at_fraction, threads, dumps


def run_chaos(
    calls: int = 2000,
    *,
    concurrency: int = 8,
    workers: int = 2,
    seed: int = 1,
    settle_s: float = 1800.0,
    keep: bool = False,
) -> ChaosResult:
    """Run the chaos scenario with ``calls`` calls and return what it found."""
    planned = plan_calls(calls, seed)
    timeline = Timeline()
    cancel = threading.Event()
    with ExitStack() as stop:
        stop.enter_context(interruptible())  # SIGTERM: the teardown below runs, in order
        pg = stop.enter_context(private_postgres())
        holder: list[Stack] = []
        # After the stack is down: the Redis started by restart_redis is not the stack's.
        stop.callback(lambda: holder and _stop_redis(holder[0]))
        bench = stop.enter_context(
            stack(
                workers=workers,
                extra=CHAOS_CONFIG,
                log_level="WARNING",
                keep=keep,
                admin_url=pg.admin_url,
            )
        )
        holder.append(bench)
        supervisor = Supervisor(bench)
        supervisor.start()
        stop.callback(supervisor.stop)
        at_fraction, threads, dumps = fault_schedule(bench, pg, supervisor, timeline, calls, cancel)
        # First at teardown: no fault may restart Redis or PostgreSQL behind the cleanup.
        stop.callback(_cancel_faults, cancel, threads)
        timeline.mark("start")
        records = place(bench, planned, concurrency, at_fraction)
        timeline.mark("calls placed")
        for thread in threads:
            thread.join()
        result = check(bench, records, timeline.marks, settle_s, dumps)
        result.notes += timeline.notes
        result.notes.append(f"rq workers restarted by the supervisor: {supervisor.restarts}")
        return result
    raise AssertionError("unreachable")  # ExitStack does not swallow exceptions


def _cancel_faults(cancel: threading.Event, threads: list[threading.Thread]) -> None:
    cancel.set()
    for thread in list(threads):
        thread.join(timeout=180)  # a PostgreSQL restart under way: pg_ctl's own bounds


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--calls", type=positive_int, default=2000)
    parser.add_argument("--concurrency", type=positive_int, default=8, help="caller threads")
    parser.add_argument("--workers", type=positive_int, default=2, help="rq worker processes")
    parser.add_argument("--settle", type=float, default=1800.0, help="max wait for recovery")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--keep", action="store_true", help="keep the logs folder")
    args = parser.parse_args(argv)
    print(machine_line())
    started = time.monotonic()
    try:
        result = run_chaos(
            args.calls,
            concurrency=args.concurrency,
            workers=args.workers,
            seed=args.seed,
            settle_s=args.settle,
            keep=args.keep,
        )
    except Terminated as stopped:
        print(f"stopped by {stopped}: everything it started is stopped", file=sys.stderr)
        return 128 + stopped.signum
    print_result(result)
    print(f"\nwall time {time.monotonic() - started:.0f} s")
    return 0 if not result.problems else 1


if __name__ == "__main__":
    sys.exit(main())
