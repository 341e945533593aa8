"""The benchmark harness: a real stack on this machine, CPU accounting, and table helpers.

``stack()`` starts what production runs, on 127.0.0.1 only: a fresh, migrated PostgreSQL
database (dropped after), a private ``redis-server`` on a free port (flushed before and
after), gunicorn serving ``wsgi:app``, N rq workers (``flask --app wsgi worker``) and the
call simulator, whose media API is the app's ``TWILIO_API_BASE``. The configuration reaches
the processes as environment variables, as in production. Every process runs in its own
process group and is stopped with it, on success, failure, Ctrl-C or SIGTERM.

This module does not import from ``tests/``: benchmarks are not tests.
"""

from __future__ import annotations

import argparse
import atexit
import math
import os
import secrets
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import ExitStack, contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path
from types import FrameType
from typing import TypeVar

import psycopg
import requests
from redis import Redis
from rq import Queue, Worker
from rq.registry import FailedJobRegistry
from rq.serializers import JSONSerializer
from sqlalchemy.engine import make_url
from tqdm import tqdm  # type: ignore[import-untyped]

from bench.memory import family, proc_stats
from ivr.config import SETTINGS
from ivr.crypto import generate_key
from ivr.simulator import TwilioSimulator
from models import Database, migrate

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent  # .venv/bin when run as .venv/bin/python -m bench....
PG_ADMIN_URL = os.environ.get(
    "BENCH_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)
ACCOUNT_SID = "AC" + "b0" * 16
QUEUES = ("urgent", "normal", "media")
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")

T = TypeVar("T")


def positive_int(text: str) -> int:
    """An argparse type: a whole number of at least 1 (runs, calls, threads, processes)."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, not {value}")
    return value


# --- processes --------------------------------------------------------------------------

_started: list[subprocess.Popen[bytes]] = []


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nobody listens on right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def spawn(argv: Sequence[str], env: Mapping[str, str], log_path: Path) -> subprocess.Popen[bytes]:
    """Start ``argv`` in the project root, in a process group of its own, output to a log."""
    with open(log_path, "ab") as log:
        process = subprocess.Popen(
            list(argv),
            cwd=ROOT,
            env=dict(env),
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,  # Ctrl-C reaches the benchmark, which stops it in order
        )
    _started.append(process)
    return process


def stop_group(process: subprocess.Popen[bytes], timeout: float = 15.0) -> None:
    """SIGTERM the process group, SIGKILL it if it lingers; leave no member behind, nor a
    descendant that left the group (rq's work horses: ``os.setpgrp()`` after the fork)."""
    strays = family(process.pid)
    try:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait(timeout=timeout)
        os.killpg(process.pid, signal.SIGKILL)  # an orphaned member
    except ProcessLookupError:
        pass
    for pid in strays:  # a work horse outlives its SIGKILLed worker
        with suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
    if process in _started:
        _started.remove(process)


@atexit.register
def _kill_leftovers() -> None:
    for process in list(_started):
        with suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)


class Terminated(KeyboardInterrupt):
    """SIGTERM, SIGINT or SIGHUP reached the harness while a stack was running."""

    def __init__(self, signum: int) -> None:
        super().__init__(f"signal {signal.Signals(signum).name}")
        self.signum = signum


STOP_SIGNALS = (signal.SIGTERM, signal.SIGINT, signal.SIGHUP)
_interruptible_depth = 0


@contextmanager
def interruptible() -> Iterator[None]:
    """While inside, SIGTERM, SIGINT and SIGHUP raise ``Terminated`` in the main thread.

    Without this, SIGTERM (CI cancelling a job, ``timeout``) kills the harness at once and
    its children, each in a session of its own, keep running: no ``finally`` runs. With
    it, the first signal SIGTERMs every process group the harness started (so they stop
    in parallel) and raises, so every ``with`` block unwinds and cleans up; later signals
    are ignored until the outermost block exits (a second Ctrl-C must not cut the
    cleanup short). Blocks nest: the outermost installs the handlers and restores the
    previous ones (pytest's, the default) when it exits. Python runs signal handlers in
    the main thread only: from another thread this does nothing.
    """
    global _interruptible_depth
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    if _interruptible_depth:
        _interruptible_depth += 1
        try:
            yield
        finally:
            _interruptible_depth -= 1
        return
    received: list[int] = []

    def handler(signum: int, _frame: FrameType | None) -> None:
        received.append(signum)
        if len(received) == 1:
            _terminate_started()
            raise Terminated(signum)

    previous = {sig: signal.signal(sig, handler) for sig in STOP_SIGNALS}
    _interruptible_depth = 1
    try:
        yield
    finally:
        _interruptible_depth = 0
        for sig, old in previous.items():
            signal.signal(sig, signal.SIG_DFL if old is None else old)


def _terminate_started() -> None:
    for process in list(_started):
        with suppress(ProcessLookupError, PermissionError):
            os.killpg(process.pid, signal.SIGTERM)


def wait_for(predicate: Callable[[], T], timeout: float, what: str, interval: float = 0.1) -> T:
    """Poll ``predicate()`` until it returns something truthy; ``TimeoutError`` after."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise TimeoutError(f"timed out after {timeout:.0f}s waiting for {what}")
        time.sleep(interval)


def tail(path: Path, lines: int = 25) -> str:
    """The last lines of a log file."""
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return ""


# --- PostgreSQL and Redis ---------------------------------------------------------------


def _pg_admin(sql: str, admin_url: str = PG_ADMIN_URL) -> None:
    conninfo = make_url(admin_url).set(drivername="postgresql")
    with psycopg.connect(conninfo.render_as_string(hide_password=False), autocommit=True) as conn:
        conn.execute(sql.encode())


@contextmanager
def postgres_database(
    prefix: str = "hotline_bench", admin_url: str = PG_ADMIN_URL
) -> Iterator[str]:
    """A new PostgreSQL database, migrated to head; dropped afterwards (even if in use).

    ``admin_url`` names the server (a private one: ``bench.postgres``)."""
    name = f"{prefix}_{os.getpid()}_{secrets.token_hex(3)}"
    _pg_admin(f'CREATE DATABASE "{name}"', admin_url)
    try:
        url = make_url(admin_url).set(database=name).render_as_string(hide_password=False)
        migrate.upgrade(url)
        yield url
    finally:
        _pg_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)', admin_url)


@dataclass(frozen=True)
class RedisHandle:
    """Where the benchmark's Redis is, and its process when it is private."""

    url: str
    process: subprocess.Popen[bytes] | None


def _flush(url: str) -> None:
    connection = Redis.from_url(url)
    try:
        connection.flushdb()
    finally:
        connection.close()


@contextmanager
def redis_instance(tmp: Path, shared_url: str | None = None) -> Iterator[RedisHandle]:
    """A private ``redis-server`` (no persistence) on a free port, or ``shared_url``'s
    database (e.g. ``redis://127.0.0.1:6379/13``); flushed before and after."""
    if shared_url is not None:
        _flush(shared_url)
        try:
            yield RedisHandle(shared_url, None)
        finally:
            _flush(shared_url)
        return
    binary = shutil.which("redis-server")
    if binary is None:
        raise RuntimeError("redis-server not found: install it or pass --redis-url")
    port = free_port()
    argv = [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", ""]
    argv += ["--appendonly", "no", "--dir", str(tmp)]
    process = spawn(argv, os.environ, tmp / "redis.log")
    url = f"redis://127.0.0.1:{port}/0"
    try:
        wait_for(lambda: redis_up(url), 10, f"redis-server on port {port}")
        _flush(url)
        yield RedisHandle(url, process)
        _flush(url)
    finally:
        stop_group(process)


def redis_up(url: str) -> bool:
    """Whether the Redis at ``url`` answers a PING."""
    connection = Redis.from_url(url, socket_connect_timeout=0.5)
    try:
        return bool(connection.ping())
    except Exception:
        return False
    finally:
        connection.close()


# --- CPU accounting ---------------------------------------------------------------------


def machine_busy_s() -> float:
    """CPU seconds the whole machine spent busy since boot (all cores, from /proc/stat)."""
    fields = Path("/proc/stat").read_text().splitlines()[0].split()[1:]
    user, nice, system, _idle, _iowait, irq, softirq, steal = (int(v) for v in fields[:8])
    return (user + nice + system + irq + softirq + steal) / CLOCK_TICKS


def own_cpu_s() -> float:
    """CPU seconds of this process (all threads: the load generator and simulator)."""
    times = os.times()
    return times.user + times.system


def _proc_stats() -> Iterator[tuple[str, int, float]]:
    """(command, process group, CPU s incl. reaped children) of every process."""
    for _pid, command, fields in proc_stats():
        # fields 3.. of proc(5): state ppid pgrp session ... utime(14) stime cutime cstime
        ticks = sum(int(v) for v in fields[11:15])
        yield command, int(fields[2]), ticks / CLOCK_TICKS


def group_user_system_s(pgid: int) -> tuple[float, float]:
    """User and system CPU seconds of a process group: live members plus the children
    they reaped (utime + cutime, stime + cstime)."""
    user = system = 0
    for _pid, _command, fields in proc_stats():
        if int(fields[2]) == pgid:  # fields 3.. of proc(5): utime(14) stime cutime cstime
            user += int(fields[11]) + int(fields[13])
            system += int(fields[12]) + int(fields[14])
    return user / CLOCK_TICKS, system / CLOCK_TICKS


def group_cpu_s(pgid: int) -> float:
    """CPU seconds of a process group: live members plus the children they reaped."""
    return sum(group_user_system_s(pgid))


def postgres_cpu_s() -> float:
    """CPU seconds of every PostgreSQL process (the server is shared: all databases)."""
    return sum(cpu for comm, _group, cpu in _proc_stats() if comm.startswith("postgres"))


@dataclass(frozen=True)
class CpuSnapshot:
    """CPU seconds at one moment: the machine, this process, and named process groups."""

    wall: float
    machine: float
    generator: float
    parts: dict[str, float]


@dataclass(frozen=True)
class CpuUsage:
    """CPU seconds spent between two snapshots.

    ``server`` is the machine's busy time minus the generator's own (web + workers +
    PostgreSQL + Redis + anything else running); ``other`` is what none of the named
    parts account for: the kernel's share and other people's processes (noise).
    """

    wall: float
    machine: float
    generator: float
    parts: dict[str, float]

    @property
    def server(self) -> float:
        return self.machine - self.generator

    @property
    def other(self) -> float:
        return self.machine - self.generator - sum(self.parts.values())


class CpuMeter:
    """Snapshots of CPU time; ``sources`` name a callable returning CPU seconds."""

    def __init__(self, sources: Mapping[str, Callable[[], float]]) -> None:
        self.sources = dict(sources)

    def snapshot(self) -> CpuSnapshot:
        parts = {name: read() for name, read in self.sources.items()}
        return CpuSnapshot(time.monotonic(), machine_busy_s(), own_cpu_s(), parts)

    @staticmethod
    def between(start: CpuSnapshot, end: CpuSnapshot) -> CpuUsage:
        parts = {name: end.parts[name] - start.parts[name] for name in start.parts}
        return CpuUsage(
            end.wall - start.wall,
            end.machine - start.machine,
            end.generator - start.generator,
            parts,
        )


# --- the stack --------------------------------------------------------------------------


def app_environment(config: Mapping[str, str]) -> dict[str, str]:
    """This machine's environment without any app setting, plus ``config``."""
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in SETTINGS and not key.startswith(("FLASK_", "DATABASE_"))
    }
    env.update(config)
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    return env


@dataclass
class Stack:
    """A running hotline: web server, rq workers, Redis, a database and the simulator."""

    url: str
    config: dict[str, str]
    tmp: Path
    sim: TwilioSimulator
    database: Database
    server: subprocess.Popen[bytes]
    workers: list[subprocess.Popen[bytes]]
    redis: RedisHandle
    logs: list[Path] = field(default_factory=list)

    def redis_connection(self) -> Redis:
        return Redis.from_url(self.redis_url)

    @property
    def redis_url(self) -> str:
        return self.redis.url

    def failed_jobs(self) -> int:
        """Jobs in rq's FailedJobRegistry of the project's queues."""
        connection = self.redis_connection()
        try:
            return sum(
                FailedJobRegistry(
                    queue=Queue(name, connection=connection, serializer=JSONSerializer)
                ).count
                for name in QUEUES
            )
        finally:
            connection.close()

    def cpu_meter(self) -> CpuMeter:
        """CPU of the web server, the workers (with their work horses), PostgreSQL, Redis."""
        sources: dict[str, Callable[[], float]] = {
            "web": lambda: group_cpu_s(self.server.pid),
            "workers": lambda: sum(group_cpu_s(w.pid) for w in self.workers),
            "postgres": postgres_cpu_s,
        }
        if self.redis.process is not None:
            pid = self.redis.process.pid
            sources["redis"] = lambda: group_cpu_s(pid)
        return CpuMeter(sources)


def gunicorn_argv(port: int, workers: int, threads: int, app: str = "wsgi:app") -> list[str]:
    """gunicorn's command line as the stack runs it (gthread), for ``app``."""
    return [
        str(BIN / "gunicorn"),
        "--bind",
        f"127.0.0.1:{port}",
        "--workers",
        str(workers),
        "--threads",
        str(threads),
        "--graceful-timeout",
        "5",
        app,
    ]


def server_ready(process: subprocess.Popen[bytes], url: str, log: Path) -> bool:
    """True once gunicorn answers ``/readyz``; raises if it exited."""
    if process.poll() is not None:
        raise RuntimeError(f"gunicorn exited early:\n{tail(log)}")
    try:
        return requests.get(url + "/readyz", timeout=1).status_code == 200
    except requests.RequestException:
        return False


def _workers_registered(redis_url: str, count: int, workers: list[subprocess.Popen[bytes]]) -> bool:
    for worker in workers:
        if worker.poll() is not None:
            raise RuntimeError("an rq worker exited early (see its log)")
    connection = Redis.from_url(redis_url)
    try:
        return Worker.count(connection=connection) >= count
    finally:
        connection.close()


@contextmanager
def stack(
    *,
    transcriber: str = "none",
    workers: int = 1,
    web_workers: int = 2,
    web_threads: int = 4,
    log_level: str = "INFO",
    redis_url: str | None = None,
    keep: bool = False,
    extra: Mapping[str, str] | None = None,
    admin_url: str = PG_ADMIN_URL,
) -> Iterator[Stack]:
    """Start the whole stack; stop all of it afterwards, whatever happens.

    ``admin_url``: the PostgreSQL server to create the database on (default: the
    machine's, or ``BENCH_POSTGRES_URL``).

    The temporary folder (logs, encrypted recordings, spool) is removed after a clean run
    and kept, with its path printed, after a failure or when ``keep`` is set. SIGTERM,
    SIGINT and SIGHUP stop the stack too (``interruptible``).
    """
    tmp = Path(tempfile.mkdtemp(prefix="hotline-bench-"))
    failed = False
    try:
        with ExitStack() as stop:
            stop.enter_context(interruptible())  # exited last: after everything is stopped
            database_url = stop.enter_context(postgres_database(admin_url=admin_url))
            redis = stop.enter_context(redis_instance(tmp, redis_url))
            web_port, api_port = free_port(), free_port()
            url = f"http://127.0.0.1:{web_port}"
            config = {
                "DATABASE_URL": database_url,
                "REDIS_URL": redis.url,
                "SECRET_KEY": secrets.token_hex(32),
                "DATA_KEY": generate_key(),
                "PUBLIC_BASE_URL": url,
                "TWILIO_ACCOUNT_SID": ACCOUNT_SID,
                "TWILIO_AUTH_TOKEN": secrets.token_hex(16),
                "TWILIO_API_BASE": f"http://127.0.0.1:{api_port}",
                "RECORDINGS_DIR": str(tmp / "recordings"),
                "SPOOL_DIR": str(tmp / "spool"),
                "TRANSCRIBER": transcriber,
                "LOG_LEVEL": log_level,
                **(extra or {}),
            }
            env = app_environment(config)
            logs = [tmp / "web.log"]
            argv = gunicorn_argv(web_port, web_workers, web_threads)
            server = spawn(argv, env, logs[0])
            stop.callback(stop_group, server)
            started: list[subprocess.Popen[bytes]] = []
            for n in range(workers):
                logs.append(tmp / f"worker-{n}.log")
                worker = spawn([str(BIN / "flask"), "--app", "wsgi", "worker"], env, logs[-1])
                stop.callback(stop_group, worker)
                started.append(worker)
            wait_for(lambda: server_ready(server, url, logs[0]), 60, "gunicorn")
            wait_for(lambda: _workers_registered(redis.url, workers, started), 60, "rq workers")
            sim = stop.enter_context(
                TwilioSimulator(url, ACCOUNT_SID, config["TWILIO_AUTH_TOKEN"], api_port=api_port)
            )
            database = Database(database_url)
            stop.callback(database.dispose)
            try:
                yield Stack(url, config, tmp, sim, database, server, started, redis, logs)
            except BaseException:
                failed = True
                for log in logs:
                    print(f"--- {log.name} (last lines)\n{tail(log)}", file=sys.stderr)
                raise
    except BaseException:
        failed = True
        raise
    finally:
        if failed or keep:
            print(f"logs kept in {tmp}", file=sys.stderr)
        else:
            shutil.rmtree(tmp, ignore_errors=True)


@contextmanager
def py_spy(
    pid: int, out: Path, fmt: str = "flamegraph", rate: int = 250, gil: bool = False
) -> Iterator[None]:
    """Profile ``pid`` and the processes it forks (rq's work horses) with py-spy meanwhile.

    ``fmt``: ``flamegraph`` (SVG), ``speedscope`` or ``raw`` (collapsed stacks, for grep);
    ``gil``: only samples of threads holding the GIL (where the CPU goes, not the waits).
    py-spy pauses the process for each sample: reading a running process's memory
    (``--nonblocking``) gave torn stacks, which put 8.5% of a web worker's samples in
    psycopg's parameter dumping where a paused profile found 1%.
    """
    binary = BIN / "py-spy"
    if not binary.exists():
        raise RuntimeError(f"{binary} not found: make install-dev installs it")
    argv = [str(binary), "record", "--pid", str(pid), "--subprocesses", "--rate", str(rate)]
    argv += ["--format", fmt, "--output", str(out)]
    if gil:
        argv.append("--gil")
    process = spawn(argv, os.environ, out.with_suffix(".log"))
    try:
        time.sleep(1)  # py-spy attaches
        yield
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGINT)  # py-spy writes its output on SIGINT
            with suppress(subprocess.TimeoutExpired):
                process.wait(timeout=60)
        stop_group(process)


# --- numbers and tables -----------------------------------------------------------------


def percentile(values: Sequence[float], p: float) -> float:
    """The ``p``-th percentile (0-100), linear between closest ranks; NaN when empty."""
    if not values:
        return math.nan
    ordered = sorted(values)
    rank = (len(ordered) - 1) * p / 100
    low = math.floor(rank)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


def median(values: Sequence[float]) -> float:
    """The median, NaN when empty."""
    return statistics.median(values) if values else math.nan


def spread(values: Sequence[float], digits: int = 3) -> str:
    """``median [min-max]`` of values measured once per run."""
    if not values:
        return "-"
    if len(values) == 1:
        return f"{values[0]:.{digits}f}"
    return f"{median(values):.{digits}f} [{min(values):.{digits}f}-{max(values):.{digits}f}]"


def print_table(title: str, headers: Sequence[str], rows: Sequence[Sequence[object]]) -> None:
    """A plain-text table: first column left-aligned, the others right-aligned."""
    cells = [[str(h) for h in headers]] + [[_cell(v) for v in row] for row in rows]
    widths = [max(len(row[i]) for row in cells) for i in range(len(headers))]

    def line(row: Sequence[str]) -> str:
        return "  ".join(
            cell.ljust(widths[i]) if i == 0 else cell.rjust(widths[i]) for i, cell in enumerate(row)
        ).rstrip()

    print(f"\n{title}")
    print(line(cells[0]))
    print("  ".join("-" * w for w in widths))
    for row in cells[1:]:
        print(line(row))
    sys.stdout.flush()


def _cell(value: object) -> str:
    if isinstance(value, float):
        if math.isnan(value):
            return "-"
        return f"{value:.3f}" if abs(value) < 100 else f"{value:.1f}"
    return str(value)


def progress(total: int, description: str) -> tqdm[object]:
    """A progress bar on stderr (silent when stderr is not a terminal)."""
    return tqdm(total=total, desc=description, unit="", leave=False, file=sys.stderr, disable=None)


def machine_line() -> str:
    """Cores, load average and Python: what to read next to the figures."""
    load = Path("/proc/loadavg").read_text().split()[:3]
    return (
        f"machine: {os.cpu_count()} cores, load average {' '.join(load)} at start, "
        f"Python {sys.version.split()[0]}"
    )
