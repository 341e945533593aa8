"""Peak memory of an rq worker while the offline transcriber decodes.

The stack runs without workers while ``--calls`` calls leave the 14 s sample voicemail;
then ``flask --app wsgi worker --burst`` (``TRANSCRIBER=pocketsphinx``) works through
their jobs (download, transcription, report), under a small wrapper process whose only
children are that worker and, through it, rq's scheduler (and, with ``--fork``, the work
horses it forks for each job; by default the worker decodes in process). Two measures:

- ``VmHWM`` (the kernel's high-water mark of a process's resident set) of the worker,
  rq's scheduler and each work horse, sampled every 20 ms (:class:`MemorySampler` follows
  the horses, which leave the worker's process group); a decode lasts seconds;
- the wrapper's ``getrusage(RUSAGE_CHILDREN).ru_maxrss`` once the worker has exited:
  the largest resident set among the worker and every process it reaped, sampled or not.

Both count the pages a forked process shares with the worker it was forked from.

    .venv/bin/python -m bench.worker_memory              # 5 calls, ~2 min
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time

from bench.common import BIN, ROOT, Stack, app_environment, machine_line, print_table, stack
from bench.memory import MemorySampler, Peak
from bench.webhook_load import VOICEMAIL, offline_transcripts, scripts

# Runs the worker and reports the largest resident set among what it reaped (KiB).
WRAPPER = (
    "import resource, subprocess, sys\n"
    "code = subprocess.run(sys.argv[1:]).returncode\n"
    "print('maxrss_kib', resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)\n"
    "sys.exit(code)\n"
)
PASSES = 3  # a burst worker stops when the queues are empty; later jobs need another pass


def burst(bench: Stack, timeout: float) -> tuple[dict[str, Peak], int]:
    """One ``worker --burst`` under the wrapper: sampled peaks by role, and ru_maxrss."""
    argv = [str(BIN / "flask"), "--app", "wsgi", "worker", "--burst"]
    with (bench.tmp / "worker-burst.log").open("ab") as log:
        wrapper = subprocess.Popen(
            [sys.executable, "-c", WRAPPER, *argv],
            env=app_environment(bench.config),
            cwd=ROOT,
            stdout=subprocess.PIPE,
            stderr=log,
            start_new_session=True,
        )
        sampler = MemorySampler({"worker": lambda: wrapper.pid}, interval=0.02)
        sampler.start()
        try:
            out, _ = wrapper.communicate(timeout=timeout)
        finally:
            if wrapper.poll() is None:
                wrapper.kill()
            peaks = sampler.stop()
    maxrss = [int(line.split()[1]) for line in out.decode().splitlines() if "maxrss_kib" in line]
    return peaks, max(maxrss, default=0)


def main() -> None:
    """Place the calls, run the worker, print the tables."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=5, help="calls with a voicemail")
    parser.add_argument("--timeout", type=float, default=600, help="max seconds per pass")
    args = parser.parse_args()
    print(machine_line())
    peaks: dict[str, Peak] = {}
    maxrss = 0
    with stack(workers=0, transcriber="pocketsphinx", log_level="WARNING") as bench:
        audio = VOICEMAIL.read_bytes()
        sids = [bench.sim.place_call(s).call_sid for s in scripts(7, audio, args.calls)]
        started = time.monotonic()
        for _ in range(PASSES):
            found, rss = burst(bench, args.timeout)
            maxrss = max(maxrss, rss)
            for role, peak in found.items():
                if role not in peaks or peak.hwm_kib > peaks[role].hwm_kib:
                    peaks[role] = peak
            if offline_transcripts(bench.database, sids) >= args.calls:
                break
        seconds = time.monotonic() - started
        done = offline_transcripts(bench.database, sids)
    names = {
        "worker leader": "wrapper",
        "worker child": "rq worker and its scheduler",
        "worker descendant": "rq work horses",
    }
    print_table(
        "peak VmHWM, MiB (sampled every 20 ms)",
        ["processes", "largest MiB", "processes seen"],
        [[names.get(role, role), f"{p.mib:.0f}", len(p.pids)] for role, p in sorted(peaks.items())],
    )
    print_table(
        "largest resident set of the worker and what it reaped (ru_maxrss)",
        ["MiB", "voicemails transcribed", "calls", "seconds"],
        [[f"{maxrss / 1024:.0f}", done, args.calls, f"{seconds:.0f}"]],
    )
    print(machine_line())
    if done < args.calls:
        print("not every voicemail was transcribed: a decode may be missing", file=sys.stderr)
        sys.exit(1)


if __name__ == "__main__":
    main()
