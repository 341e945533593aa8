"""Peak memory of the stack's processes, sampled from ``/proc/<pid>/status`` meanwhile.

``VmHWM`` is the kernel's own high-water mark of a process's resident set, so a sample
taken any time before a process exits knows its peak; ``VmRSS`` is the current size.
Processes are found by process group (the stack starts each server in its own) and by
descent (rq's work horses leave their worker's group), and named by role: the group
leader (gunicorn's master, the rq worker) or another (a gunicorn worker, rq's scheduler,
an rq work horse, which rq forks for every job).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path


def _status(pid: int) -> dict[str, int]:
    """VmHWM and VmRSS of ``pid`` in KiB; empty if it is gone."""
    try:
        lines = Path(f"/proc/{pid}/status").read_text().splitlines()
    except OSError:
        return {}
    values = {}
    for line in lines:
        name, _, rest = line.partition(":")
        if name in ("VmHWM", "VmRSS"):
            values[name] = int(rest.split()[0])
    return values


def proc_stats() -> Iterator[tuple[int, str, list[str]]]:
    """``(pid, command, fields)`` of every live process, from ``/proc/<pid>/stat``:
    ``fields`` are those after the command (proc(5): state ppid pgrp session ...)."""
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            raw = (entry / "stat").read_text()
        except OSError:
            continue
        command = raw[raw.index("(") + 1 : raw.rindex(")")]
        yield int(entry.name), command, raw[raw.rindex(")") + 2 :].split()


def _processes() -> dict[int, tuple[int, int]]:
    """``pid -> (ppid, pgrp)`` of every live process."""
    return {pid: (int(fields[1]), int(fields[2])) for pid, _command, fields in proc_stats()}


def group_members(pgid: int) -> list[int]:
    """Pids of the live members of a process group."""
    return [pid for pid, (_ppid, pgrp) in _processes().items() if pgrp == pgid]


def family(pgid: int, processes: dict[int, tuple[int, int]] | None = None) -> list[int]:
    """The members of a process group and all their descendants, wherever they are.

    rq's work horses leave their worker's group (``os.setpgrp()`` after the fork), so a
    group alone misses them.
    """
    processes = _processes() if processes is None else processes
    members = {pid for pid, (_ppid, pgrp) in processes.items() if pgrp == pgid}
    grew = True
    while grew:
        more = {pid for pid, (ppid, _pgrp) in processes.items() if ppid in members}
        grew = not more <= members
        members |= more
    return sorted(members)


def work_horses(worker_pid: int) -> list[int]:
    """The work horses an rq worker is running now: its children that lead a process
    group of their own (rq's scheduler, also a child, stays in the worker's group)."""
    return [pid for pid, (ppid, pgrp) in _processes().items() if ppid == worker_pid and pgrp == pid]


@dataclass
class Peak:
    """The largest ``VmHWM`` seen for one role, and how many processes had it."""

    hwm_kib: int = 0
    pids: set[int] = field(default_factory=set)

    @property
    def mib(self) -> float:
        return self.hwm_kib / 1024


def _role(pid: int, pgid: int, processes: dict[int, tuple[int, int]]) -> str:
    if pid == pgid:
        return "leader"
    return "child" if processes.get(pid, (0, pgid))[1] == pgid else "descendant"


class MemorySampler(threading.Thread):
    """Samples every ``interval`` s the groups named in ``groups`` (role -> pgid getter)
    and every descendant of their members (:func:`family`).

    Roles: ``<name> leader`` for the group's leader, ``<name> child`` for the other
    members, ``<name> descendant`` for descendants in other groups (rq's work horses).
    """

    def __init__(self, groups: Mapping[str, Callable[[], int]], interval: float = 0.1) -> None:
        super().__init__(name="memory-sampler", daemon=True)
        self.groups = dict(groups)
        self.interval = interval
        self.peaks: dict[str, Peak] = {}
        self._lock = threading.Lock()
        self._stop_event = threading.Event()

    def sample(self) -> None:
        """One pass over every group."""
        processes = _processes()
        for name, pgid_of in self.groups.items():
            pgid = pgid_of()
            for pid in family(pgid, processes):
                hwm = _status(pid).get("VmHWM")
                if hwm is None:
                    continue
                role = f"{name} {_role(pid, pgid, processes)}"
                with self._lock:
                    peak = self.peaks.setdefault(role, Peak())
                    peak.hwm_kib = max(peak.hwm_kib, hwm)
                    peak.pids.add(pid)

    def run(self) -> None:
        while not self._stop_event.wait(self.interval):
            self.sample()

    def stop(self) -> dict[str, Peak]:
        """Stop, take a last sample, and return the peaks by role."""
        self._stop_event.set()
        self.join(timeout=5)
        self.sample()
        with self._lock:
            return dict(self.peaks)
