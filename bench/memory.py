"""Peak memory of the stack's processes, sampled from ``/proc/<pid>/status`` meanwhile.

``VmHWM`` is the kernel's own high-water mark of a process's resident set, so a sample
taken any time before a process exits knows its peak; ``VmRSS`` is the current size.
Processes are found by process group (the stack starts each server in its own), and
named by role: the group leader (gunicorn's master, the rq worker) or a child of it
(a gunicorn worker, an rq work horse, which rq forks for every job).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
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


def group_members(pgid: int) -> list[int]:
    """Pids of the live members of a process group."""
    members = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            raw = (entry / "stat").read_text()
        except OSError:
            continue
        if int(raw[raw.rindex(")") + 2 :].split()[2]) == pgid:
            members.append(int(entry.name))
    return members


@dataclass
class Peak:
    """The largest ``VmHWM`` seen for one role, and how many processes had it."""

    hwm_kib: int = 0
    pids: set[int] = field(default_factory=set)

    @property
    def mib(self) -> float:
        return self.hwm_kib / 1024


class MemorySampler(threading.Thread):
    """Samples every ``interval`` s the groups named in ``groups`` (role -> pgid getter).

    Roles: ``<name> leader`` for the group's leader, ``<name> child`` for the others.
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
        for name, pgid_of in self.groups.items():
            pgid = pgid_of()
            for pid in group_members(pgid):
                hwm = _status(pid).get("VmHWM")
                if hwm is None:
                    continue
                role = f"{name} {'leader' if pid == pgid else 'child'}"
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
