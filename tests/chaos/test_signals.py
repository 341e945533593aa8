"""SIGTERM to the process running the chaos harness stops everything the harness started.

CI and ``timeout`` stop a job with SIGTERM. The harness's servers run in sessions of their
own (gunicorn, the rq workers, Redis; PostgreSQL's postmaster detaches from ``pg_ctl``), so
only the harness itself can stop them on its way out. Each case starts the harness in a
child process with a TMPDIR of its own, waits until calls are being placed, SIGTERMs it,
and looks for survivors: any process of the groups it had, the private PostgreSQL, and its
data folder.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import psycopg
import pytest

from bench.memory import proc_stats

pytestmark = [pytest.mark.postgres, pytest.mark.redis, pytest.mark.live]

ROOT = Path(__file__).resolve().parents[2]
# Bounds for a machine busy with other work, not timings.
READY_S, EXIT_S, GONE_S = 600.0, 300.0, 60.0

LAUNCHERS = {
    # CI cancelling the test suite: pytest running tests/chaos/test_chaos.py (run_chaos).
    "pytest": (
        [sys.executable, "-m", "pytest", "-qp", "no:cacheprovider", "tests/chaos/test_chaos.py"],
        pytest.ExitCode.INTERRUPTED,
    ),
    # ``timeout`` around the benchmark.
    "bench.chaos": (
        [sys.executable, "-m", "bench.chaos", "--calls", "40", "--concurrency", "2"],
        128 + signal.SIGTERM,
    ),
}


@dataclass(frozen=True)
class Proc:
    """One live process as ``/proc`` shows it."""

    pid: int
    ppid: int
    pgid: int
    cmdline: str


def processes() -> list[Proc]:
    """Every live process (zombies excluded: they are dead, waiting to be reaped)."""
    found = []
    for pid, _command, fields in proc_stats():
        state, ppid, pgid = fields[:3]
        if state == "Z":
            continue
        try:
            cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
        except OSError:
            continue
        text = cmdline.replace(b"\0", b" ").decode(errors="replace").strip()
        found.append(Proc(pid, int(ppid), int(pgid), text))
    return found


def descendants(pid: int, everything: list[Proc]) -> list[Proc]:
    """The children of ``pid``, their children, and so on."""
    found: list[Proc] = []
    parents = {pid}
    while True:
        new = [p for p in everything if p.ppid in parents and p not in found]
        if not new:
            return found
        found += new
        parents = {p.pid for p in new}


def postmasters(tmp: Path, everything: list[Proc]) -> list[Proc]:
    """PostgreSQL servers (postmasters) whose data folder is under ``tmp``."""
    return [
        p
        for p in everything
        if p.cmdline.split(" ", 1)[0].endswith("/postgres") and f" -D {tmp}/" in p.cmdline
    ]


def calls_recorded(postmaster: Proc) -> int:
    """Calls in the harness's database on its private PostgreSQL (0 before it exists)."""
    port = re.search(r" -p (\d+)", postmaster.cmdline)
    assert port is not None, postmaster.cmdline
    conninfo = f"host=127.0.0.1 port={port[1]} user=postgres connect_timeout=5"
    try:
        with psycopg.connect(conninfo + " dbname=postgres") as conn:
            names = conn.execute(
                "SELECT datname FROM pg_database WHERE datname LIKE 'hotline_bench_%'"
            ).fetchall()
        total = 0
        for (name,) in names:
            with psycopg.connect(f"{conninfo} dbname={name}") as conn:
                row = conn.execute("SELECT count(*) FROM calls").fetchone()
                total += int(row[0]) if row else 0
        return total
    except psycopg.Error:  # starting, migrating, or restarted by the chaos run
        return 0


def wait_until(predicate: Callable[[], object], bound: float) -> bool:
    """Poll ``predicate`` until it is true (True) or ``bound`` seconds have passed (False)."""
    deadline = time.monotonic() + bound
    while not predicate():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.5)
    return True


@pytest.fixture
def private_tmp() -> Iterator[Path]:
    """A TMPDIR for the harness that the ``postgres`` user may traverse (pytest's is 0700)."""
    tmp = Path(tempfile.mkdtemp(prefix="hotline-sigterm-"))
    tmp.chmod(0o711)
    try:
        yield tmp
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def _kill_survivors(groups: set[int], tmp: Path) -> None:
    for proc in postmasters(tmp, processes()):
        os.kill(proc.pid, signal.SIGQUIT)  # PostgreSQL's immediate shutdown
    for pgid in {p.pgid for p in processes() if p.pgid in groups} - {os.getpgid(0)}:
        os.killpg(pgid, signal.SIGKILL)


@pytest.mark.timeout(READY_S + EXIT_S + GONE_S + 120)
@pytest.mark.parametrize("launcher", list(LAUNCHERS))
def test_sigterm_stops_every_process_it_started(launcher: str, private_tmp: Path) -> None:
    argv, expected_status = LAUNCHERS[launcher]
    env = {**os.environ, "TMPDIR": str(private_tmp)}
    env.pop("PYTEST_CURRENT_TEST", None)
    with open(private_tmp / "harness.log", "wb") as log:
        harness = subprocess.Popen(
            argv, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )
    groups = {harness.pid}
    try:

        def placing_calls() -> bool:
            if harness.poll() is not None:
                raise AssertionError(f"the harness exited early: {harness.returncode}")
            everything = processes()
            servers = postmasters(private_tmp, everything)
            groups.update(p.pgid for p in descendants(harness.pid, everything) + servers)
            return bool(servers) and calls_recorded(servers[0]) > 0

        assert wait_until(placing_calls, READY_S), "the harness is not placing calls"
        everything = processes()
        children = descendants(harness.pid, everything)
        servers = postmasters(private_tmp, everything)
        names = " | ".join(p.cmdline for p in children)
        assert "gunicorn" in names and "worker" in names and "redis-server" in names, names
        groups |= {p.pgid for p in children} | {p.pgid for p in servers}
        assert len(groups) >= 5  # the harness, gunicorn, 2 rq workers, Redis, PostgreSQL

        harness.send_signal(signal.SIGTERM)
        status = harness.wait(timeout=EXIT_S)

        def survivors() -> list[Proc]:
            everything = processes()
            return [
                p
                for p in everything
                if p.pgid in groups or p in postmasters(private_tmp, everything)
            ]

        wait_until(lambda: not survivors(), GONE_S)
        assert survivors() == []
        # It exited on its own after cleaning up, not killed by the signal.
        assert status == expected_status, (private_tmp / "harness.log").read_text()[-3000:]
        assert list(private_tmp.glob("hotline-pg-*")) == []  # the data folder removed
    finally:  # after a failure too: leave nothing behind
        if harness.poll() is None:
            harness.send_signal(signal.SIGTERM)
            try:
                harness.wait(timeout=EXIT_S)
            except subprocess.TimeoutExpired:
                os.killpg(harness.pid, signal.SIGKILL)
                harness.wait()
        _kill_survivors(groups, private_tmp)
