"""Pipeline latency: from a call's ``completed`` status callback to its report being ready.

Real processes on this machine: gunicorn, ONE rq worker (by default), PostgreSQL, a
private Redis and the call simulator (its media API stands in for Twilio's). Every call
takes the same path through the menus (English, luring, no immediate danger, anonymous).

Two phases per run, in the same stack, one after the other (their order alternates from
run to run):

* ``voicemail``: the caller leaves ``docs/samples/voicemail-en.wav``. The report is ready
  once the worker downloaded the recording from the simulated Twilio, hashed, encrypted
  and stored it, deleted Twilio's copy, "transcribed" it with engine ``none`` and rebuilt
  the report: four jobs (refresh_report, fetch_recording, transcribe_recording,
  refresh_report).
* ``no voicemail`` (the baseline): the caller stays silent at the beep; the report is
  ready with the first job, the refresh_report scheduled by the status callback.

Latency of a call = ``Report.ready_at`` (written by the worker, UTC) minus the moment the
simulator sent the status callback (this machine's clock too). The simulator records each
request's duration but no start time, so the send time is the time ``place_call`` returned
minus the durations of the status callback and of the callbacks sent after it.

Run: ``.venv/bin/python -m bench.pipeline_latency --calls 500 --runs 3``.
"""

from __future__ import annotations

import argparse
import itertools
import random
import sys
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from rq.job import Job
from rq.serializers import JSONSerializer
from sqlalchemy import func, select

from bench.common import (
    ROOT,
    CpuUsage,
    Stack,
    interruptible,
    machine_line,
    median,
    percentile,
    print_table,
    progress,
    py_spy,
    spread,
    stack,
)
from ivr.jobs.dispatch import job_id
from ivr.simulator import CallResult, CallScript
from models import Call, OutboxMessage, Recording, Report, Transcript

VOICEMAIL = ROOT / "docs" / "samples" / "voicemail-en.wav"
# English, luring, no immediate danger, (the message), anonymous.
ANSWERS = ["1", "2", "2", "2"]
AREA_CODES = ("613", "514", "604", "403", "902", "204", "306")
BASELINE, VOICEMAIL_PHASE = "no voicemail", "voicemail"
STAGES = {
    "recording stored": "downloaded, hashed, encrypted, fsynced; row updated",
    "Twilio's copy deleted": "DELETE at the simulated media API",
    "transcript saved": "TRANSCRIBER (none by default)",
    "report ready": "Report.ready_at",
}


@dataclass(frozen=True)
class Placed:
    """One simulated call, as the load generator saw it."""

    call_sid: str
    status_sent: float | None  # epoch seconds; None if no status callback was sent
    errors: int
    requests: int
    call_seconds: int  # how long the call lasts for a real caller (simulated time)
    wall_seconds: float  # how long the simulator took, back to back
    recording_sids: tuple[str, ...]


@dataclass(frozen=True)
class JobTiming:
    """One rq job of the phase: its task and rq's timestamps (epoch seconds)."""

    task: str
    enqueued: float
    started: float
    ended: float


@dataclass
class PhaseResult:
    """What one phase of one run measured."""

    run: int
    name: str
    offered_rate: float
    placed: list[Placed]
    ready: dict[str, float]
    reports: int
    failed_jobs: int
    unfinished: int
    media_problems: int
    outbox_messages: int
    cpu: CpuUsage
    stages: dict[str, list[float]] = field(default_factory=dict)
    jobs: list[JobTiming] = field(default_factory=list)

    @property
    def calls(self) -> int:
        return len(self.placed)

    @property
    def errors(self) -> int:
        return sum(p.errors for p in self.placed) + sum(p.status_sent is None for p in self.placed)

    @property
    def latencies(self) -> list[float]:
        return [
            self.ready[p.call_sid] - p.status_sent
            for p in self.placed
            if p.status_sent is not None and p.call_sid in self.ready
        ]

    @property
    def throughput(self) -> float:
        """Reports made ready per second, from the first status callback to the last report."""
        sent = [p.status_sent for p in self.placed if p.status_sent is not None]
        if not sent or not self.ready:
            return float("nan")
        return len(self.ready) / (max(self.ready.values()) - min(sent))

    @property
    def app_cpu(self) -> float:
        """CPU seconds of the app's own processes: web, workers (with horses), Redis."""
        parts = self.cpu.parts
        return parts["web"] + parts["workers"] + parts.get("redis", 0.0)

    def per_call_ms(self, seconds: float) -> float:
        return 1000 * seconds / self.calls if self.calls else float("nan")

    @property
    def ok(self) -> bool:
        return (
            self.errors == 0
            and self.failed_jobs == 0
            and self.unfinished == 0
            and self.media_problems == 0
            and len(self.ready) == self.calls
        )


# --- placing calls ----------------------------------------------------------------------


def caller_number(rng: random.Random) -> str:
    """A valid Canadian number in the fictional 555-01XX range (some callers repeat)."""
    return f"+1{rng.choice(AREA_CODES)}55501{rng.randrange(100):02d}"


def summarise_call(result: CallResult, finished: float) -> Placed:
    """The call's status-callback send time: ``finished`` minus the requests from it on."""
    kinds = [r.kind for r in result.requests]
    sent = None
    if "status" in kinds:
        first = kinds.index("status")
        sent = finished - sum(r.elapsed_s for r in result.requests[first:])
    bad_http = sum(1 for r in result.requests if r.status is None or r.status >= 400)
    return Placed(
        call_sid=result.call_sid,
        status_sent=sent,
        errors=len(result.errors) + bad_http,
        requests=len(result.requests),
        call_seconds=result.duration_s,
        wall_seconds=sum(r.elapsed_s for r in result.requests),
        recording_sids=tuple(r.sid for r in result.recordings),
    )


def place_calls(
    bench: Stack,
    scripts: Sequence[CallScript],
    *,
    concurrency: int,
    rate: float,
    max_seconds: float,
    label: str,
) -> list[Placed]:
    """Place the calls from ``concurrency`` threads, call i not before start + i/rate."""
    placed: list[Placed] = []
    lock = threading.Lock()
    next_index = 0
    start = time.monotonic()
    bar = progress(len(scripts), f"{label}: calls")

    def caller() -> None:
        nonlocal next_index
        while True:
            with lock:
                index = next_index
                next_index += 1
            if index >= len(scripts) or time.monotonic() - start > max_seconds:
                return
            if rate > 0:
                time.sleep(max(0.0, start + index / rate - time.monotonic()))
            result = bench.sim.place_call(scripts[index])
            call = summarise_call(result, time.time())
            with lock:
                placed.append(call)
                bar.update()

    try:
        with ThreadPoolExecutor(concurrency, thread_name_prefix="caller") as pool:
            for future in [pool.submit(caller) for _ in range(concurrency)]:
                future.result()
    finally:
        bar.close()
    return placed


# --- reading the outcome ----------------------------------------------------------------


def _epoch(value: datetime) -> float:
    return (value if value.tzinfo else value.replace(tzinfo=UTC)).timestamp()


def ready_times(bench: Stack, sids: Sequence[str]) -> dict[str, float]:
    """CallSid -> the epoch time its report became ready, for the ready ones."""
    with bench.database.session() as session:
        rows = session.execute(
            select(Call.call_sid, Report.ready_at)
            .join(Report, Report.call_id == Call.id)
            .where(Call.call_sid.in_(sids), Report.ready_at.is_not(None))
        ).all()
    return {sid: _epoch(ready_at) for sid, ready_at in rows if ready_at is not None}


def count_reports(bench: Stack, sids: Sequence[str]) -> int:
    with bench.database.session() as session:
        count = session.scalar(
            select(func.count())
            .select_from(Report)
            .join(Call, Report.call_id == Call.id)
            .where(Call.call_sid.in_(sids))
        )
    return int(count or 0)


def last_outbox_id(bench: Stack) -> int:
    with bench.database.session() as session:
        return int(session.scalar(select(func.max(OutboxMessage.id))) or 0)


def outbox_counts(bench: Stack, after_id: int) -> tuple[int, int]:
    """(messages, unfinished messages) written since ``after_id``."""
    with bench.database.session() as session:
        total = session.scalar(
            select(func.count()).select_from(OutboxMessage).where(OutboxMessage.id > after_id)
        )
        unfinished = session.scalar(
            select(func.count())
            .select_from(OutboxMessage)
            .where(OutboxMessage.id > after_id, OutboxMessage.done_at.is_(None))
        )
    return int(total or 0), int(unfinished or 0)


def wait_ready(bench: Stack, sids: Sequence[str], timeout: float, label: str) -> None:
    """Wait (bounded) until every call's report is ready."""
    bar = progress(len(sids), f"{label}: reports ready")
    deadline = time.monotonic() + timeout
    try:
        while True:
            done = len(ready_times(bench, sids))
            bar.n = done
            bar.refresh()
            if done >= len(sids) or time.monotonic() > deadline:
                return
            time.sleep(0.25)
    finally:
        bar.close()


def wait_drained(bench: Stack, after_id: int, timeout: float) -> None:
    """Wait (bounded) until every outbox message of the phase is done."""
    deadline = time.monotonic() + timeout
    while outbox_counts(bench, after_id)[1] and time.monotonic() < deadline:
        time.sleep(0.25)


def stage_times(bench: Stack, placed: Sequence[Placed]) -> dict[str, list[float]]:
    """Seconds from the status callback to each step of the voicemail's way."""
    sent = {p.call_sid: p.status_sent for p in placed if p.status_sent is not None}
    with bench.database.session() as session:
        rows = session.execute(
            select(
                Call.call_sid,
                Recording.stored_at,
                Recording.twilio_deleted_at,
                Transcript.created_at,
                Report.ready_at,
            )
            .join(Recording, Recording.call_id == Call.id)
            .outerjoin(Transcript, Transcript.recording_id == Recording.id)
            .join(Report, Report.call_id == Call.id)
            .where(Call.call_sid.in_(list(sent)), Recording.stored_at.is_not(None))
        ).all()
    stages: dict[str, list[float]] = {name: [] for name in STAGES}
    for sid, *moments in rows:
        for name, moment in zip(STAGES, moments, strict=True):
            if moment is not None:
                stages[name].append(_epoch(moment) - sent[sid])
    return stages


def job_timings(bench: Stack, after_id: int) -> list[JobTiming]:
    """rq's enqueue/start/end times of the phase's jobs (kept 600 s after they finish)."""
    with bench.database.session() as session:
        rows = session.execute(
            select(OutboxMessage.id, OutboxMessage.task, OutboxMessage.attempts).where(
                OutboxMessage.id > after_id
            )
        ).all()
    connection = bench.redis_connection()
    try:
        jobs = Job.fetch_many(
            [job_id(mid, attempts) for mid, _task, attempts in rows],
            connection=connection,
            serializer=JSONSerializer,
        )
    finally:
        connection.close()
    timings = []
    for (_mid, task, _attempts), job in zip(rows, jobs, strict=True):
        if job is None or not (job.enqueued_at and job.started_at and job.ended_at):
            continue
        timings.append(
            JobTiming(task, _epoch(job.enqueued_at), _epoch(job.started_at), _epoch(job.ended_at))
        )
    return timings


def media_problems(bench: Stack, placed: Sequence[Placed]) -> int:
    """Recordings not downloaded exactly once or not deleted at the simulated Twilio."""
    problems = 0
    for call in placed:
        for sid in call.recording_sids:
            stats = bench.sim.recording_stats(sid)
            problems += stats.downloads != 1 or not stats.deleted
    return problems


# --- one phase, one run -----------------------------------------------------------------


def run_phase(
    bench: Stack, run: int, name: str, args: argparse.Namespace, rng: random.Random
) -> PhaseResult:
    audio = VOICEMAIL.read_bytes() if name == VOICEMAIL_PHASE else None
    scripts = [
        CallScript(from_number=caller_number(rng), answers=ANSWERS, voicemail=audio)
        for _ in range(args.calls)
    ]
    label = f"run {run} {name}"
    meter = bench.cpu_meter()
    after_id = last_outbox_id(bench)
    with ExitStack() as profiling:
        if args.profile is not None and run == 1:
            args.profile.mkdir(parents=True, exist_ok=True)
            slug = name.replace(" ", "-")
            for role, pid in (("worker", bench.workers[0].pid), ("web", bench.server.pid)):
                out = args.profile / f"{role}-{slug}.{args.profile_format}"
                profiling.enter_context(py_spy(pid, out, args.profile_format))
        before = meter.snapshot()
        placed = place_calls(
            bench,
            scripts,
            concurrency=args.concurrency,
            rate=args.rate,
            max_seconds=args.max_seconds,
            label=label,
        )
        sids = [p.call_sid for p in placed]
        wait_ready(bench, sids, args.wait, label)
        wait_drained(bench, after_id, 60)
        cpu = meter.between(before, meter.snapshot())
    messages, unfinished = outbox_counts(bench, after_id)
    result = PhaseResult(
        run=run,
        name=name,
        offered_rate=args.rate,
        placed=placed,
        ready=ready_times(bench, sids),
        reports=count_reports(bench, sids),
        failed_jobs=bench.failed_jobs(),
        unfinished=unfinished,
        media_problems=media_problems(bench, placed),
        outbox_messages=messages,
        cpu=cpu,
        jobs=job_timings(bench, after_id),
    )
    result.stages = stage_times(bench, placed) if audio else {}
    if not result.stages:
        result.stages = {"report ready": result.latencies}
    return result


# --- the tables -------------------------------------------------------------------------


def print_runs(results: Sequence[PhaseResult]) -> None:
    rows = []
    for r in results:
        lat = r.latencies
        rows.append(
            [
                r.run,
                r.name,
                r.calls,
                r.reports,
                len(r.ready),
                r.errors,
                r.failed_jobs,
                f"{r.outbox_messages / max(r.calls, 1):.2f}",
                percentile(lat, 50),
                percentile(lat, 95),
                max(lat, default=float("nan")),
                r.throughput,
            ]
        )
    print_table(
        "Each run and phase: latency in seconds from the status callback to Report.ready_at",
        [
            "run",
            "phase",
            "calls",
            "reports",
            "ready",
            "errors",
            "failed jobs",
            "jobs/call",
            "p50 s",
            "p95 s",
            "max s",
            "reports/s",
        ],
        rows,
    )
    rows = []
    for r in results:
        parts = r.cpu.parts
        rows.append(
            [
                r.run,
                r.name,
                f"{r.per_call_ms(r.cpu.server):.1f}",
                f"{r.per_call_ms(r.app_cpu):.1f}",
                f"{r.per_call_ms(parts['web']):.1f}",
                f"{r.per_call_ms(parts['workers']):.1f}",
                f"{r.per_call_ms(parts.get('redis', 0.0)):.1f}",
                f"{r.per_call_ms(parts['postgres']):.1f}",
                f"{r.per_call_ms(r.cpu.generator):.1f}",
                f"{r.cpu.other / r.cpu.wall:.2f}",
            ]
        )
    print_table(
        "CPU ms per call: server = machine busy - generator; app = web + workers + redis;"
        " background = cores busy with other work",
        [
            "run",
            "phase",
            "server",
            "app",
            "web",
            "workers",
            "redis",
            "postgres*",
            "generator",
            "background",
        ],
        rows,
    )


def _per_phase(results: Sequence[PhaseResult], name: str) -> list[PhaseResult]:
    return [r for r in results if r.name == name]


def print_summary(results: Sequence[PhaseResult], names: Sequence[str]) -> None:
    rows = []
    for name in names:
        phase = _per_phase(results, name)
        rows.append(
            [
                name,
                len(phase),
                spread([percentile(r.latencies, 50) for r in phase]),
                spread([percentile(r.latencies, 95) for r in phase]),
                spread([max(r.latencies, default=float("nan")) for r in phase]),
                spread([r.throughput for r in phase], 2),
                spread([r.per_call_ms(r.app_cpu) for r in phase], 1),
                spread([r.per_call_ms(r.cpu.server) for r in phase], 1),
            ]
        )
    if len(names) == 2:
        base, media = (_per_phase(results, n) for n in names)
        by_run = {r.run: r for r in base}
        pairs = [(by_run[m.run], m) for m in media if m.run in by_run]

        def ratio(metric: Callable[[PhaseResult], float]) -> list[float]:
            return [metric(m) / metric(b) for b, m in pairs]

        rows.append(
            [
                f"ratio {names[1]} / {names[0]}",
                len(pairs),
                spread(ratio(lambda r: percentile(r.latencies, 50)), 2),
                spread(ratio(lambda r: percentile(r.latencies, 95)), 2),
                "",
                spread(ratio(lambda r: r.throughput), 2),
                spread(ratio(lambda r: r.app_cpu), 2),
                spread(ratio(lambda r: r.cpu.server), 2),
            ]
        )
    print_table(
        "Across runs: median [min-max] of the per-run figures (ratios paired by run)",
        ["phase", "runs", "p50 s", "p95 s", "max s", "reports/s", "app ms/call", "server ms/call"],
        rows,
    )


def print_stages(results: Sequence[PhaseResult]) -> None:
    phase = _per_phase(results, VOICEMAIL_PHASE)
    if not phase:
        return
    rows = []
    for stage, what in STAGES.items():
        rows.append(
            [
                stage,
                what,
                spread([percentile(r.stages.get(stage, []), 50) for r in phase]),
                spread([percentile(r.stages.get(stage, []), 95) for r in phase]),
            ]
        )
    print_table(
        "Voicemail phase: seconds from the status callback to each step (median [min-max] over"
        " runs)",
        ["step", "what", "p50 s", "p95 s"],
        rows,
    )


def worker_gaps(jobs: Sequence[JobTiming]) -> list[float]:
    """Seconds a busy worker spends between two jobs (fork, dequeue, bookkeeping).

    Only gaps where the next job was already waiting when the previous one ended count.
    """
    ordered = sorted(jobs, key=lambda j: j.started)
    return [
        nxt.started - prev.ended
        for prev, nxt in itertools.pairwise(ordered)
        if nxt.enqueued <= prev.ended and nxt.started >= prev.ended
    ]


def print_jobs(results: Sequence[PhaseResult], names: Sequence[str]) -> None:
    rows = []
    for name in names:
        jobs = [j for r in _per_phase(results, name) for j in r.jobs]
        for task in sorted({j.task for j in jobs}):
            mine = [j for j in jobs if j.task == task]
            waits = [j.started - j.enqueued for j in mine]
            runs = [j.ended - j.started for j in mine]
            rows.append(
                [
                    name,
                    task,
                    len(mine),
                    1000 * percentile(waits, 50),
                    1000 * percentile(waits, 95),
                    1000 * percentile(runs, 50),
                    1000 * percentile(runs, 95),
                ]
            )
        gaps = [g for r in _per_phase(results, name) for g in worker_gaps(r.jobs)]
        busy = [
            sum(j.ended - j.started for j in r.jobs)
            / (max(j.ended for j in r.jobs) - min(j.enqueued for j in r.jobs))
            for r in _per_phase(results, name)
            if r.jobs
        ]
        rows.append(
            [
                name,
                f"(between jobs, worker busy; in-job share {spread(busy, 2)})",
                len(gaps),
                "",
                "",
                1000 * percentile(gaps, 50),
                1000 * percentile(gaps, 95),
            ]
        )
    print_table(
        "rq jobs, all runs pooled (ms): queue wait = started - enqueued; run = ended - started",
        ["phase", "task", "jobs", "wait p50", "wait p95", "run p50", "run p95"],
        rows,
    )


def print_load(results: Sequence[PhaseResult], args: argparse.Namespace) -> None:
    calls = [p for r in results for p in r.placed]
    if not calls:
        return
    real = median([p.call_seconds for p in calls])
    wall = median([p.wall_seconds for p in calls])
    reqs = median([p.requests for p in calls])
    print(
        f"\nWhat the load means: a simulated call makes {reqs:.0f} webhook requests back to back"
        f" in {1000 * wall:.0f} ms (median); a real caller spends {real:.0f} s on the same call"
        " (the prompts, the message)."
    )
    if args.rate > 0:
        print(
            f"Offered {args.rate:g} calls/s ({3600 * args.rate:.0f} calls/hour), from"
            f" {args.concurrency} threads: as many reports as {args.rate * real:.0f} real calls"
            f" in progress at once would produce (Little's law: rate x {real:.0f} s)."
        )
    else:
        print(
            f"Calls placed as fast as {args.concurrency} back-to-back threads allow:"
            " this saturates the worker; latency then measures its backlog."
        )


# --- main -------------------------------------------------------------------------------


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--calls", type=int, default=500, help="calls per phase and run")
    parser.add_argument("--runs", type=int, default=3, help="runs, each on a fresh database")
    parser.add_argument("--concurrency", type=int, default=4, help="caller threads")
    parser.add_argument(
        "--rate", type=float, default=1.0, help="calls started per second (0: no limit)"
    )
    parser.add_argument(
        "--transcriber",
        choices=("none", "pocketsphinx"),
        default="none",
        help="the app's TRANSCRIBER (the figure asked for is without transcription)",
    )
    parser.add_argument("--workers", type=int, default=1, help="rq worker processes")
    parser.add_argument("--web-workers", type=int, default=2, help="gunicorn workers")
    parser.add_argument("--web-threads", type=int, default=4, help="threads per gunicorn worker")
    parser.add_argument(
        "--phases",
        choices=("both", "voicemail", "baseline"),
        default="both",
        help="which phases to run",
    )
    parser.add_argument(
        "--max-seconds", type=float, default=900, help="stop placing calls after this"
    )
    parser.add_argument(
        "--wait", type=float, default=300, help="seconds to wait for the reports after the calls"
    )
    parser.add_argument("--log-level", default="INFO", help="the app's LOG_LEVEL")
    parser.add_argument("--redis-url", help="use this Redis database instead of a private server")
    parser.add_argument("--keep", action="store_true", help="keep the logs folder")
    parser.add_argument(
        "--profile",
        type=Path,
        help="py-spy the worker (and its work horses) and the web server during run 1, into DIR",
    )
    parser.add_argument(
        "--profile-format", choices=("flamegraph", "speedscope", "raw"), default="flamegraph"
    )
    parser.add_argument("--seed", type=int, default=1, help="seed of the callers' numbers")
    args = parser.parse_args(argv)
    if args.calls < 1 or args.runs < 1 or args.concurrency < 1 or args.workers < 1:
        parser.error("--calls, --runs, --concurrency and --workers must be at least 1")
    return args


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    names = {
        "both": [BASELINE, VOICEMAIL_PHASE],
        "voicemail": [VOICEMAIL_PHASE],
        "baseline": [BASELINE],
    }[args.phases]
    print(machine_line())
    print(
        f"pipeline_latency: {args.calls} calls x {len(names)} phase(s) x {args.runs} run(s);"
        f" {args.workers} rq worker(s), gunicorn {args.web_workers}x{args.web_threads},"
        f" TRANSCRIBER={args.transcriber}, {args.concurrency} caller threads,"
        f" rate {args.rate:g}/s{' (unbounded)' if args.rate <= 0 else ''}"
    )
    started = time.monotonic()
    results: list[PhaseResult] = []
    with interruptible():
        for run in range(1, args.runs + 1):
            order = names if run % 2 else list(reversed(names))
            with stack(
                transcriber=args.transcriber,
                workers=args.workers,
                web_workers=args.web_workers,
                web_threads=args.web_threads,
                log_level=args.log_level,
                redis_url=args.redis_url,
                keep=args.keep,
            ) as bench:
                for name in order:
                    rng = random.Random(args.seed * 1000 + run)
                    results.append(run_phase(bench, run, name, args, rng))
                    r = results[-1]
                    print(
                        f"run {run} {name}: p50 {percentile(r.latencies, 50):.3f} s,"
                        f" {len(r.ready)}/{r.calls} ready, {r.errors} errors,"
                        f" {r.failed_jobs} failed jobs",
                        file=sys.stderr,
                    )
    print_runs(sorted(results, key=lambda r: (r.run, names.index(r.name))))
    print_summary(results, names)
    print_stages(results)
    print_jobs(results, names)
    print_load(results, args)
    ok = all(r.ok for r in results)
    print(
        f"\nchecks: {'OK' if ok else 'FAILED'} (errors, failed rq jobs, unfinished outbox,"
        f" downloads/deletes at the simulated Twilio, every report ready);"
        f" wall time {time.monotonic() - started:.0f} s"
    )
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
