"""The pipeline's CPU per call, with and without a work horse forked per job.

``flask --app wsgi worker`` runs the jobs one at a time in the worker's own process
(``HotlineWorker``); ``flask --app wsgi worker --fork`` keeps rq's forking worker, which
forks a work horse for every job: the horse starts cold (SQLAlchemy's compiled
statements, a new PostgreSQL connection and backend) and the kernel forks and tears down
a process the worker's size.
This measures what that costs, both kinds in the same run, alternating, the order swapped
from one run to the next.

Each run has a stack of its own (a fresh PostgreSQL database, a private Redis, gunicorn),
and each measurement a worker of its own: started, warmed up (a few seconds of calls,
worked off), then stopped (SIGSTOP). ``--calls`` calls, 16 at a time, each leaving a
short voicemail, build up a backlog; once their webhooks are answered and their outbox
messages relayed to Redis, the worker is continued (SIGCONT) and works the backlog off
alone. Over that window (from SIGCONT until every outbox message is done and no work
horse is left), per call: CPU of the whole machine (busy time from ``/proc/stat``: the
worker, PostgreSQL, Redis, an idle gunicorn, the simulator's media API serving the
recordings, the kernel, and anybody else), of the worker's process group with the
children it reaped (its work horses and rq's scheduler), split into user and system
time, and of PostgreSQL (every backend, with the exited ones its postmaster reaped; the
server is shared, so other people's queries count too). ``calls/s`` is the calls over
the time from SIGCONT to the last message's ``done_at``.

    .venv/bin/python -m bench.worker_cpu                   # 3 runs x 200 calls x 2 kinds
    .venv/bin/python -m bench.worker_cpu --runs 1 --calls 40    # a quick look
"""

from __future__ import annotations

import argparse
import math
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor, as_completed
from contextlib import contextmanager
from dataclasses import dataclass

from rq import Worker
from sqlalchemy import func, select

from bench.common import (
    BIN,
    Stack,
    app_environment,
    group_user_system_s,
    interruptible,
    machine_busy_s,
    machine_line,
    positive_int,
    postgres_cpu_s,
    print_table,
    progress,
    spawn,
    spread,
    stack,
    stop_group,
    wait_for,
)
from bench.memory import family, group_members
from bench.webhook_load import (
    APP,
    Phase,
    Target,
    drain,
    drive,
    scripts,
    signal_workers,
    unfinished_messages,
)
from ivr.simulator import CallScript, tone_wav
from models import OutboxMessage

CONCURRENCY = 16
WARMUP_S = 3.0  # of calls at 8 at once, worked off before the worker is stopped
DEFAULT, FORK = "default", "--fork"
WORKER_ARGS = {DEFAULT: (), FORK: ("--fork",)}
RUN_HEADERS = ["rq worker", "calls", "jobs", "s", "calls/s", "machine", "worker", "user"]
RUN_HEADERS += ["system", "PostgreSQL", "rest"]


@dataclass(frozen=True)
class Drain:
    """One worker working off one backlog alone: CPU seconds over the window."""

    run: int
    kind: str
    calls: int
    bad_calls: int
    jobs: int
    seconds: float  # SIGCONT to the last message's done_at
    machine: float
    user: float  # the worker's process group, with the children it reaped
    system: float
    postgres: float

    @property
    def worker(self) -> float:
        return self.user + self.system

    @property
    def rate(self) -> float:
        """Calls worked off per second."""
        return self.calls / self.seconds

    def ms(self, cpu_s: float) -> float:
        """CPU milliseconds per call."""
        return cpu_s * 1000 / self.calls


# (label, value of a drain, digits): the summary's rows.
FIGURES: list[tuple[str, Callable[[Drain], float], int]] = [
    ("machine ms/call", lambda d: d.ms(d.machine), 1),
    ("worker ms/call", lambda d: d.ms(d.worker), 1),
    ("  user", lambda d: d.ms(d.user), 1),
    ("  system", lambda d: d.ms(d.system), 1),
    ("PostgreSQL ms/call", lambda d: d.ms(d.postgres), 1),
    ("calls/s drained", lambda d: d.rate, 2),
]


# --- the worker -----------------------------------------------------------------------------


def registered(bench: Stack, worker: subprocess.Popen[bytes]) -> bool:
    """Whether this worker process has registered with rq; raises if it exited."""
    if worker.poll() is not None:
        raise RuntimeError("the rq worker exited early (see its log)")
    connection = bench.redis_connection()
    try:
        return any(w.pid == worker.pid for w in Worker.all(connection=connection))
    finally:
        connection.close()


def idle(worker: subprocess.Popen[bytes]) -> bool:
    """No work horse alive or unreaped: its CPU is in the worker group's ``cutime``."""
    return set(family(worker.pid)) <= set(group_members(worker.pid))


@contextmanager
def started_worker(bench: Stack, kind: str, run: int) -> Iterator[subprocess.Popen[bytes]]:
    """``flask --app wsgi worker`` (with ``--fork`` for that kind), the stack's only worker."""
    log = bench.tmp / f"worker-{run}-{kind.strip('-')}.log"
    argv = [str(BIN / "flask"), "--app", "wsgi", "worker", *WORKER_ARGS[kind]]
    worker = spawn(argv, app_environment(bench.config), log)
    bench.workers[:] = [worker]  # signal_workers and the stack's logs find it there
    bench.logs.append(log)
    try:
        wait_for(lambda: registered(bench, worker), 60, f"the {kind} rq worker")
        yield worker
    finally:
        stop_group(worker)
        bench.workers.clear()


# --- one measurement ------------------------------------------------------------------------


def place(bench: Stack, callers: Sequence[CallScript], phase: Phase) -> None:
    """Every call of ``callers``, ``CONCURRENCY`` at a time, counted in ``phase``."""
    started = time.monotonic()
    with (
        progress(len(callers), f"run {phase.run} {phase.target}: calls") as bar,
        ThreadPoolExecutor(CONCURRENCY, thread_name_prefix="caller") as pool,
    ):
        for future in as_completed([pool.submit(bench.sim.place_call, s) for s in callers]):
            phase.add(future.result())
            bar.update()
    phase.wall = time.monotonic() - started


def unrelayed_messages(bench: Stack) -> int:
    """Outbox messages that the web tier has not handed to Redis yet."""
    with bench.database.session() as session:
        count = session.scalar(
            select(func.count())
            .select_from(OutboxMessage)
            .where(OutboxMessage.done_at.is_(None), OutboxMessage.relayed_at.is_(None))
        )
    return int(count or 0)


def last_done_at(bench: Stack) -> float:
    """Epoch seconds of the latest ``done_at`` in the outbox."""
    with bench.database.session() as session:
        last = session.scalar(select(func.max(OutboxMessage.done_at)))
    if last is None:
        raise RuntimeError("no outbox message is done")
    return float(last.timestamp())


def work_off(bench: Stack, worker: subprocess.Popen[bytes], timeout: float, what: str) -> None:
    """Wait (bounded) until every outbox message is done and no work horse is left."""
    if math.isnan(drain(bench, timeout)):
        raise TimeoutError(f"{what} was not worked off within {timeout:.0f} s")
    wait_for(lambda: idle(worker), 30, "the last work horse")


@dataclass(frozen=True)
class Counters:
    """CPU seconds so far: the machine, the worker's group (user, system), PostgreSQL."""

    machine: float
    user: float
    system: float
    postgres: float


def counters(worker: subprocess.Popen[bytes]) -> Counters:
    user, system = group_user_system_s(worker.pid)
    return Counters(machine_busy_s(), user, system, postgres_cpu_s())


def measure(
    bench: Stack, kind: str, run: int, callers: Sequence[CallScript], timeout: float
) -> Drain:
    """A fresh worker of ``kind``, warmed up, stopped while the calls are placed, then
    continued to work off their backlog alone."""
    with started_worker(bench, kind, run) as worker:
        drive(Target(APP, bench.sim, bench.server), callers, 8, WARMUP_S, Phase(0, APP, 8))
        work_off(bench, worker, timeout, "the warm-up")
        phase = Phase(run, kind, CONCURRENCY)
        signal_workers(bench, signal.SIGSTOP)
        try:
            place(bench, callers, phase)
            wait_for(lambda: not unrelayed_messages(bench), 60, "the outbox relay")
            jobs = unfinished_messages(bench)
            before = counters(worker)
            resumed = time.time()
        finally:
            signal_workers(bench, signal.SIGCONT)
        work_off(bench, worker, timeout, f"the backlog of {phase.calls} calls")
        after = counters(worker)
        seconds = last_done_at(bench) - resumed
    drained = Drain(
        run,
        kind,
        phase.calls,
        phase.bad_calls,
        jobs,
        seconds,
        after.machine - before.machine,
        after.user - before.user,
        after.system - before.system,
        after.postgres - before.postgres,
    )
    print(
        f"run {run} {kind:8} {phase.calls} calls placed in {phase.wall:.1f} s "
        f"(bad {phase.bad_calls}), {jobs} jobs worked off in {seconds:.1f} s",
        file=sys.stderr,
    )
    return drained


# --- tables ---------------------------------------------------------------------------------


def print_run(run: int, drains: Sequence[Drain], failed: int) -> None:
    rows = [
        [
            d.kind,
            d.calls,
            d.jobs,
            f"{d.seconds:.1f}",
            f"{d.rate:.2f}",
            f"{d.ms(d.machine):.1f}",
            f"{d.ms(d.worker):.1f}",
            f"{d.ms(d.user):.1f}",
            f"{d.ms(d.system):.1f}",
            f"{d.ms(d.postgres):.1f}",
            f"{d.ms(d.machine - d.worker - d.postgres):.1f}",
        ]
        for d in drains
    ]
    print_table(
        f"run {run}: the backlog worked off alone, CPU ms per call (failed rq jobs: {failed})",
        RUN_HEADERS,
        rows,
    )


def print_summary(drains: Sequence[Drain], failed: Sequence[int], calls: int) -> None:
    by_run = {(d.run, d.kind): d for d in drains}
    runs = sorted({d.run for d in drains})
    rows = []
    for label, value, digits in FIGURES:
        default = [value(by_run[run, DEFAULT]) for run in runs]
        fork = [value(by_run[run, FORK]) for run in runs]
        ratios = [f / d for f, d in zip(fork, default, strict=True)]
        rows.append([label, spread(default, digits), spread(fork, digits), spread(ratios, 2)])
    print_table(
        f"summary over {len(runs)} run(s): median [min-max]",
        ["", DEFAULT, FORK, f"{FORK} / {DEFAULT}"],
        rows,
    )
    bad = sum(d.bad_calls for d in drains)
    print(f"calls per measurement: {calls} ({CONCURRENCY} at once), with a failed webhook: {bad}")
    print(f"failed rq jobs at the end of each run: {', '.join(map(str, failed))} (must be 0)")


# --- main -----------------------------------------------------------------------------------


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--runs", type=positive_int, default=3, help="runs (each: both workers, one backlog each)"
    )
    parser.add_argument("--calls", type=positive_int, default=200, help="calls per backlog")
    parser.add_argument(
        "--timeout", type=float, default=900.0, help="max seconds to work off a backlog"
    )
    parser.add_argument(
        "--voicemail-seconds", type=float, default=2.0, help="length of the voicemail"
    )
    parser.add_argument("--keep", action="store_true", help="keep the logs folder")
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    print(machine_line())
    audio = tone_wav(args.voicemail_seconds)
    drains: list[Drain] = []
    failed: list[int] = []
    with interruptible():
        for run in range(1, args.runs + 1):
            order = (DEFAULT, FORK) if run % 2 else (FORK, DEFAULT)
            callers = scripts(run, audio, args.calls)
            with stack(workers=0, log_level="WARNING", keep=args.keep) as bench:
                found = [measure(bench, kind, run, callers, args.timeout) for kind in order]
                failed.append(bench.failed_jobs())
            print_run(run, found, failed[-1])
            drains += found
    print_summary(drains, failed, args.calls)
    bad = any(failed) or any(d.bad_calls for d in drains)
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
