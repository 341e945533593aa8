"""The worker yields the CPU to the web tier: its jobs can wait, a caller on the line cannot.

``os.nice`` ranks processes of one scheduling group only. On a desktop or a plain
server, Linux puts every session in a group of its own (autogroup) and shares the CPU
between groups, whatever their members' nice values; the group's own weight is set in
``/proc/self/autogroup``. The worker sets it only when it leads its session (started
with ``setsid``, by a supervisor, by the benchmarks): a worker started from a shell
would otherwise lower the shell's group with it. Under systemd, where each service is
a cgroup of its own, the unit's ``CPUWeight=`` does what the autogroup does here.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

AUTOGROUP = Path("/proc/self/autogroup")
_AUTOGROUP_NICE = re.compile(r"nice\s+(-?\d+)")
MAX_NICE = 19


def lower_priority(nice: int, autogroup: Path = AUTOGROUP) -> list[str]:
    """Raise this process's nice value (and its session group's) to at least ``nice``.

    Returns what changed, for the log; children (``worker --fork``'s work horses)
    inherit both.
    """
    nice = min(max(nice, 0), MAX_NICE)
    changed: list[str] = []
    if nice == 0:
        return changed
    current = os.getpriority(os.PRIO_PROCESS, 0)
    if current < nice:
        os.nice(nice - current)
        changed.append(f"nice {nice}")
    if os.getsid(0) == os.getpid() and autogroup.exists():
        try:
            match = _AUTOGROUP_NICE.search(autogroup.read_text())
            if match is not None and int(match.group(1)) < nice:
                autogroup.write_text(str(nice))
                changed.append(f"session group nice {nice}")
        except OSError:  # a kernel without autogroup scheduling, or a read-only /proc
            pass
    return changed
