"""Webhook load: the hotline under gunicorn against a bare Flask baseline, in the same run.

Both servers run with the same gunicorn settings (``--workers 2 --threads 4``, gthread)
on this machine; the hotline with its production parts (a fresh PostgreSQL database, a
private Redis, an rq worker on its queues with the sweep). The simulated Twilio plays
whole calls against each, back to back from ``C`` threads (C = 16, 64, 256 calls at
once): every webhook a real call makes, signed (voice, four menus, the voicemail's
action, the recording status callback and the call status callback). The baseline
(``bench.baseline_app``) serves the TwiML the hotline gave for one recorded call and 204
to the callbacks: no database, no checks, no state.

Per phase (one target, one concurrency, ``--seconds`` of calls): webhook requests/s,
calls/s, p50/p99 latency per endpoint as the generator saw it, errors, and the CPU per
request: ``server`` is the machine's busy time minus the generator's own (web + database
+ Redis + the worker + anybody else), ``web`` the target's gunicorn alone. The rq worker
runs during the hotline's phases at its production priority (``WORKER_NICE``;
``--worker-nice``): it never catches up with calls placed back to back, so it has work
all along and takes whatever CPU the web tier leaves it. It is paused (SIGSTOP) during
the baseline's phases, which then have the machine the hotline had minus the pipeline.
After the last phase the benchmark waits (bounded) for the backlog and checks rq's
failed-job registry.

Back to back, a call's next request leaves as soon as the previous answer arrives, so
latency at C calls at once is mostly queueing (Little's law: C outstanding requests /
throughput). The ``paced`` phases (C=64 by default) hold each caller ``--think`` seconds
on average before each answer (a real caller listens to prompts for 10-20 s), starting
and pausing at random so that the callers are not in step: their latency is the service
time under a load the server can carry.

Phases alternate between targets, and their order flips from run to run. Peak memory
(``VmHWM``) of gunicorn's workers and of the rq worker (and of any process it forks) is
sampled throughout; a last phase starts an rq worker with the offline transcriber and
places a few calls with a real 14 s voicemail to measure it with the model loaded.

Run: ``.venv/bin/python -m bench.webhook_load`` (3 runs, ~20 min);
``--runs 1 --seconds 5 --concurrency 16`` for a quick look.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import signal
import subprocess
import sys
import threading
import time
from collections import defaultdict
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from sqlalchemy import func, select

from bench.common import (
    BIN,
    ROOT,
    CpuMeter,
    CpuUsage,
    Stack,
    app_environment,
    free_port,
    group_cpu_s,
    gunicorn_argv,
    interruptible,
    machine_line,
    positive_int,
    postgres_cpu_s,
    py_spy,
    server_ready,
    spawn,
    stack,
    stop_group,
    wait_for,
)
from bench.load_report import print_memory, print_phases, print_summary, top_frames
from bench.memory import MemorySampler, Peak, group_members
from ivr.simulator import CallResult, CallScript, Event, TwilioSimulator, tone_wav
from models import Call, Database, OutboxMessage, Recording, Transcript

# English, luring, no immediate danger, (the voicemail, ended with #), anonymous.
ANSWERS = ["1", "2", "2", "2"]
AREA_CODES = ("613", "514", "604", "403", "902", "204", "306")
VOICEMAIL = ROOT / "docs" / "samples" / "voicemail-en.wav"
APP, BASELINE = "hotline", "baseline"


def endpoint_of(url: str) -> str:
    """``/twilio/gather?node=..`` -> ``gather``."""
    return urlsplit(url).path.rsplit("/twilio/", 1)[-1]


@dataclass
class Phase:
    """What one target did at one concurrency in one run."""

    run: int
    target: str
    concurrency: int
    think: float = 0.0
    calls: int = 0
    bad_calls: int = 0
    errors: int = 0
    latencies: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    wall: float = 0.0
    cpu: CpuUsage | None = None

    @property
    def level(self) -> str:
        """``64``: back to back; ``64 paced``: callers pause between their answers."""
        return f"{self.concurrency} paced" if self.think else str(self.concurrency)

    @property
    def requests(self) -> int:
        return sum(len(v) for v in self.latencies.values())

    @property
    def all_latencies(self) -> list[float]:
        return [x for values in self.latencies.values() for x in values]

    def add(self, result: CallResult) -> None:
        """Count one call: its requests by endpoint, its errors."""
        self.calls += 1
        bad = len(result.errors)
        for request in result.requests:
            self.latencies[endpoint_of(request.url)].append(request.elapsed_s)
            bad += request.status is None or not 200 <= request.status < 300
        kinds = {request.kind for request in result.requests}
        incomplete = not result.recordings or not {"record", "status"} <= kinds
        self.errors += bad
        self.bad_calls += bool(bad) or incomplete


@dataclass
class Target:
    """A server under load: its simulator and the gunicorn process group."""

    name: str
    sim: TwilioSimulator
    server: subprocess.Popen[bytes]


# --- the baseline -------------------------------------------------------------------------


def record_sequence(bench: Stack, script: CallScript, baseline_url: str) -> dict[str, str]:
    """The TwiML the hotline answers to one call, keyed by path and query, re-pointed."""
    result = bench.sim.place_call(script)
    if result.errors or not result.recordings:
        raise RuntimeError(f"the recorded call failed: {[str(e) for e in result.errors]}")
    documents = {}
    for request in result.requests:
        if request.response_text.startswith("<?xml"):
            parts = urlsplit(request.url)
            key = f"{parts.path}?{parts.query}" if parts.query else parts.path
            documents[key] = request.response_text.replace(bench.url, baseline_url)
    return documents


def start_baseline(
    bench: Stack, documents: dict[str, str], args: argparse.Namespace, url: str
) -> Target:
    """The baseline on the port its recorded documents point at."""
    path = bench.tmp / "baseline-twiml.json"
    path.write_text(json.dumps(documents))
    port = int(url.rsplit(":", 1)[1])
    env = app_environment({"BASELINE_TWIML": str(path)})
    argv = gunicorn_argv(port, args.web_workers, args.web_threads, "bench.baseline_app:app")
    log = bench.tmp / "baseline.log"
    server = spawn(argv, env, log)
    wait_for(lambda: server_ready(server, url, log), 60, "baseline gunicorn")
    token = bench.config["TWILIO_AUTH_TOKEN"]
    sim = TwilioSimulator(url, bench.config["TWILIO_ACCOUNT_SID"], token)
    return Target(BASELINE, sim, server)


# --- driving calls --------------------------------------------------------------------------


def scripts(seed: int, voicemail: bytes, count: int = 700) -> list[CallScript]:
    """Callers from a fixed-seed list of fictional Canadian numbers (555-01XX)."""
    rng = random.Random(seed)
    return [
        CallScript(
            from_number=f"+1{rng.choice(AREA_CODES)}55501{rng.randrange(100):02d}",
            answers=ANSWERS,
            voicemail=voicemail,
        )
        for _ in range(count)
    ]


def pause(seconds: float, rng: random.Random) -> Callable[[Event], None] | None:
    """An event listener that holds the caller before each of its answers: ``seconds`` on
    average, drawn uniformly from half to one and a half times that."""
    if not seconds:
        return None

    def listener(event: Event) -> None:
        if event.actor == "caller":
            time.sleep(seconds * rng.uniform(0.5, 1.5))

    return listener


def drive(
    target: Target, callers: Sequence[CallScript], concurrency: int, seconds: float, phase: Phase
) -> None:
    """``concurrency`` threads place calls until ``seconds`` have passed: back to back, or
    paced, with about ``phase.think`` seconds before each answer of the caller.

    Paced callers do not move in step: each starts at a random moment of the first
    ``think`` seconds and pauses a random time, as callers who dialled independently do.
    Callers started together and pausing alike would reach the server in bursts of
    ``concurrency`` requests at once, which no phone line sees.
    """
    lock = threading.Lock()
    counter = iter(range(10**9))
    deadline = time.monotonic() + seconds
    rng = random.Random(phase.run * 1000 + phase.concurrency)
    listener = pause(phase.think, rng)

    def caller() -> None:
        if phase.think:
            time.sleep(phase.think * rng.random())
        while time.monotonic() < deadline:
            with lock:
                script = callers[next(counter) % len(callers)]
            result = target.sim.place_call(script, on_event=listener)
            with lock:
                phase.add(result)

    started = time.monotonic()
    with ThreadPoolExecutor(concurrency, thread_name_prefix=f"{target.name}-caller") as pool:
        for future in [pool.submit(caller) for _ in range(concurrency)]:
            future.result()
    phase.wall = time.monotonic() - started


def unfinished_messages(bench: Stack) -> int:
    """Outbox messages not done yet (the pipeline's backlog)."""
    with bench.database.session() as session:
        count = session.scalar(
            select(func.count()).select_from(OutboxMessage).where(OutboxMessage.done_at.is_(None))
        )
    return int(count or 0)


def drain(bench: Stack, timeout: float) -> float:
    """Wait (bounded) for the worker to finish the backlog; seconds waited (NaN: timed out)."""
    started = time.monotonic()
    while unfinished_messages(bench):
        if time.monotonic() - started > timeout:
            return float("nan")
        time.sleep(0.5)
    return time.monotonic() - started


def meter(bench: Stack, targets: dict[str, Target]) -> CpuMeter:
    """CPU of both servers, the worker(s), PostgreSQL and Redis."""
    sources: dict[str, Callable[[], float]] = {
        name: (lambda pid=target.server.pid: group_cpu_s(pid)) for name, target in targets.items()
    }
    sources["workers"] = lambda: sum(group_cpu_s(w.pid) for w in bench.workers)
    sources["postgres"] = postgres_cpu_s
    if bench.redis.process is not None:
        redis_pid = bench.redis.process.pid
        sources["redis"] = lambda: group_cpu_s(redis_pid)
    return CpuMeter(sources)


def run_phase(
    bench: Stack,
    target: Target,
    cpu: CpuMeter,
    callers: Sequence[CallScript],
    phase: Phase,
    args: argparse.Namespace,
) -> Phase:
    """One phase; the rq worker is paused (SIGSTOP) while the baseline runs."""
    paused = target.name == BASELINE
    if paused:
        signal_workers(bench, signal.SIGSTOP)
    try:
        before = cpu.snapshot()
        drive(target, callers, phase.concurrency, args.seconds, phase)
        phase.cpu = cpu.between(before, cpu.snapshot())
    finally:
        if paused:
            signal_workers(bench, signal.SIGCONT)
    print(
        f"run {phase.run} {target.name:8} C={phase.level:9} {phase.calls:5} calls "
        f"{phase.requests / phase.wall:6.0f} req/s  errors {phase.errors}",
        file=sys.stderr,
    )
    return phase


def signal_workers(bench: Stack, signum: int) -> None:
    """Stop or continue the rq workers (their process groups: rq's scheduler too)."""
    for worker in bench.workers:
        os.killpg(worker.pid, signum)


# --- profiling and memory -----------------------------------------------------------------


def web_worker_pids(server: subprocess.Popen[bytes]) -> list[int]:
    """gunicorn's workers: the members of its group other than the master."""
    return [pid for pid in group_members(server.pid) if pid != server.pid]


def profile(
    bench: Stack, target: Target, callers: Sequence[CallScript], args: argparse.Namespace
) -> None:
    """py-spy on one gunicorn worker of the hotline during an extra, unmeasured phase
    (samples of threads holding the GIL: where the worker's CPU goes)."""
    args.profile.mkdir(parents=True, exist_ok=True)
    out = args.profile / f"web-worker.{args.profile_format}"
    pid = web_worker_pids(target.server)[0]
    with py_spy(pid, out, args.profile_format, gil=True):
        drive(target, callers, 64, args.seconds, Phase(0, target.name, 64))
    print(f"profile of gunicorn worker {pid}: {out}", file=sys.stderr)
    if args.profile_format == "raw":
        top_frames(out)


def offline_transcripts(database: Database, sids: Sequence[str]) -> int:
    """Voicemails of these calls with a finished pocketsphinx transcript."""
    with database.session() as session:
        done = session.scalar(
            select(func.count())
            .select_from(Transcript)
            .join(Recording, Recording.id == Transcript.recording_id)
            .join(Call, Call.id == Recording.call_id)
            .where(
                Call.call_sid.in_(sids),
                Transcript.engine == "pocketsphinx",
                Transcript.status != "pending",
            )
        )
    return int(done or 0)


def transcriber_memory(bench: Stack, calls: int, timeout: float) -> dict[str, Peak]:
    """A worker with the offline transcriber; ``calls`` calls with a real 14 s voicemail."""
    for worker in bench.workers:
        stop_group(worker)
    env = app_environment({**bench.config, "TRANSCRIBER": "pocketsphinx"})
    log = bench.tmp / "worker-pocketsphinx.log"
    argv = [str(BIN / "flask"), "--app", "wsgi", "worker", "--queues", "media"]
    worker = spawn(argv, env, log)  # media only: the reports' backlog does not come first
    bench.workers[:] = [worker]
    sampler = MemorySampler({"transcribing worker": lambda: worker.pid}, interval=0.05)
    sampler.start()
    audio = VOICEMAIL.read_bytes()
    sids = []
    for script in scripts(99, audio, calls):
        sids.append(bench.sim.place_call(script).call_sid)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if offline_transcripts(bench.database, sids) >= calls:
            break
        time.sleep(0.5)
    return sampler.stop()


# --- main -----------------------------------------------------------------------------------


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--concurrency",
        default="16,64,256",
        help="calls at once, comma separated (default 16,64,256)",
    )
    parser.add_argument(
        "--runs", type=positive_int, default=3, help="runs (each: every phase once)"
    )
    parser.add_argument("--seconds", type=float, default=15.0, help="seconds of calls per phase")
    parser.add_argument(
        "--paced",
        default="64",
        help="calls at once for the paced phases, whose callers pause before each answer (0: none)",
    )
    parser.add_argument(
        "--think", type=float, default=1.0, help="seconds a paced caller pauses per answer"
    )
    parser.add_argument("--drain", type=float, default=900.0, help="max wait for the pipeline")
    parser.add_argument("--workers", type=positive_int, default=1, help="rq worker processes")
    parser.add_argument("--web-workers", type=positive_int, default=2, help="gunicorn workers")
    parser.add_argument(
        "--web-threads", type=positive_int, default=4, help="threads per gunicorn worker"
    )
    parser.add_argument(
        "--voicemail-seconds", type=float, default=2.0, help="length of the load's voicemail"
    )
    parser.add_argument(
        "--memory-calls",
        type=int,
        default=3,
        help="calls with a real voicemail for the transcribing worker (0: skip)",
    )
    parser.add_argument("--profile", type=Path, help="py-spy a gunicorn worker, output here")
    parser.add_argument(
        "--profile-format", default="raw", choices=("raw", "flamegraph", "speedscope")
    )
    parser.add_argument("--log-level", default="WARNING", help="the app's LOG_LEVEL")
    parser.add_argument(
        "--worker-nice",
        type=int,
        help="the rq worker's WORKER_NICE (default: the app's; 0 runs it at the web's priority)",
    )
    parser.add_argument("--keep", action="store_true", help="keep the logs folder")
    parser.add_argument("--seed", type=int, default=1, help="seed of the callers' numbers")
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    levels = [int(c) for c in args.concurrency.split(",") if c and int(c) > 0]
    paced = [int(c) for c in args.paced.split(",") if c and int(c) > 0]  # 0: no paced phase
    extra = {} if args.worker_nice is None else {"WORKER_NICE": str(args.worker_nice)}
    print(machine_line())
    callers = scripts(args.seed, tone_wav(args.voicemail_seconds))
    phases: list[Phase] = []
    with (
        interruptible(),
        stack(
            workers=args.workers,
            web_workers=args.web_workers,
            web_threads=args.web_threads,
            log_level=args.log_level,
            keep=args.keep,
            extra=extra,
        ) as bench,
    ):
        baseline_url = f"http://127.0.0.1:{free_port()}"
        documents = record_sequence(bench, callers[0], baseline_url)
        baseline = start_baseline(bench, documents, args, baseline_url)
        app = Target(APP, bench.sim, bench.server)
        targets = {APP: app, BASELINE: baseline}
        sampler = MemorySampler(
            {
                "web": lambda: bench.server.pid,
                "rq worker": lambda: bench.workers[0].pid,
            }
        )
        sampler.start()
        with baseline.sim:
            for target in (app, baseline):  # warm up: connections, imports, caches
                drive(target, callers, 8, 3, Phase(0, target.name, 8))
            if args.profile is not None:
                profile(bench, app, callers, args)
            cpu = meter(bench, targets)
            plan = [(c, 0.0) for c in levels] + [(c, args.think) for c in paced]
            for run in range(1, args.runs + 1):
                for concurrency, think in plan:
                    order = (app, baseline) if run % 2 else (baseline, app)
                    for target in order:
                        phase = Phase(run, target.name, concurrency, think)
                        phases.append(run_phase(bench, target, cpu, callers, phase, args))
            drained = drain(bench, args.drain)
            failed = bench.failed_jobs()
            print(
                f"pipeline backlog after the last phase: drained in {drained:.0f} s "
                f"(NaN: not within {args.drain:.0f} s), failed jobs {failed}",
                file=sys.stderr,
            )
            peaks = sampler.stop()
            if args.memory_calls:
                peaks.update(transcriber_memory(bench, args.memory_calls, 300))
        stop_group(baseline.server)
        print_phases(phases)
        labels = [str(c) for c in levels] + [f"{c} paced" for c in paced]
        ok = print_summary(phases, labels)
        print(f"pipeline after the last phase: drained in {drained:.0f} s, failed jobs {failed}")
        print_memory(peaks)
    return 0 if ok and failed == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
