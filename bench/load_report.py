"""The webhook benchmark's tables, and a reading of py-spy's collapsed stacks."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from bench.common import ROOT, median, percentile, print_table, spread
from bench.memory import Peak

if TYPE_CHECKING:
    from bench.webhook_load import Phase

APP, BASELINE = "hotline", "baseline"
P99_TARGET_MS, RATIO_TARGET = 100.0, 0.5
P99_LEVELS = ("64", "64 paced")


def _ms(seconds: float) -> float:
    return 1000 * seconds


def req_rate(phase: Phase) -> float:
    return phase.requests / phase.wall if phase.wall else float("nan")


def call_rate(phase: Phase) -> float:
    return phase.calls / phase.wall if phase.wall else float("nan")


def server_ms(phase: Phase) -> float:
    """Machine busy CPU minus the generator's, per webhook request."""
    assert phase.cpu is not None
    return _ms(phase.cpu.server) / phase.requests if phase.requests else float("nan")


def web_ms(phase: Phase) -> float:
    """The target's own gunicorn CPU per webhook request."""
    assert phase.cpu is not None
    return _ms(phase.cpu.parts[phase.target]) / phase.requests if phase.requests else float("nan")


def background(phase: Phase) -> float:
    """Cores busy with something none of the named parts account for (others' work)."""
    assert phase.cpu is not None
    return phase.cpu.other / phase.cpu.wall if phase.cpu.wall else float("nan")


def p(phase: Phase, q: float, endpoint: str | None = None) -> float:
    values = phase.all_latencies if endpoint is None else phase.latencies.get(endpoint, [])
    return _ms(percentile(values, q))


def print_phases(phases: Sequence[Phase]) -> None:
    """One row per run, target and concurrency."""
    rows = [
        (
            f"run {ph.run}",
            ph.target,
            ph.level,
            ph.calls,
            ph.requests,
            ph.errors,
            round(req_rate(ph)),
            round(call_rate(ph), 1),
            p(ph, 50),
            p(ph, 99),
            server_ms(ph),
            web_ms(ph),
            background(ph),
        )
        for ph in phases
    ]
    headers = ["run", "target", "C", "calls", "requests", "errors", "req/s", "calls/s"]
    headers += ["p50 ms", "p99 ms", "server ms/req", "web ms/req", "background"]
    print_table("Phases (C = calls at once, back to back)", headers, rows)
    print_cpu(phases)


def print_cpu(phases: Sequence[Phase]) -> None:
    """Where the machine's CPU went, per webhook request: the generator and each part."""
    names = sorted({name for ph in phases if ph.cpu for name in ph.cpu.parts})
    rows = []
    for ph in phases:
        assert ph.cpu is not None
        per = 1000 / ph.requests if ph.requests else float("nan")
        parts = [ph.cpu.parts[name] * per for name in names]
        rows.append(
            (
                f"run {ph.run}",
                ph.target,
                ph.level,
                ph.cpu.generator * per,
                *parts,
                ph.cpu.other * per,
            )
        )
    headers = ["run", "target", "C", "generator", *names, "other"]
    print_table("CPU ms per webhook request, by process", headers, rows)


def _at(phases: Sequence[Phase], target: str, level: str) -> list[Phase]:
    return sorted(
        (ph for ph in phases if ph.target == target and ph.level == level),
        key=lambda ph: ph.run,
    )


def _paired(
    phases: Sequence[Phase], concurrency: str, metric: Callable[[Phase], float]
) -> list[float]:
    """metric(hotline) / metric(baseline), paired by run."""
    app = {ph.run: metric(ph) for ph in _at(phases, APP, concurrency)}
    base = {ph.run: metric(ph) for ph in _at(phases, BASELINE, concurrency)}
    return [app[run] / base[run] for run in sorted(app) if base.get(run)]


def _needed_server_ms(phases: Sequence[Phase], concurrency: str) -> list[float]:
    """Per run: the hotline's server CPU per request that would give the target ratio.

    The machine's busy CPU (cores) divided by the rate the target asks for is the CPU a
    request may cost; the generator's share of it stays what it was.
    """
    base = {ph.run: req_rate(ph) for ph in _at(phases, BASELINE, concurrency)}
    needed = []
    for ph in _at(phases, APP, concurrency):
        if ph.cpu is None or not ph.requests or not base.get(ph.run) or not ph.cpu.wall:
            continue
        busy = ph.cpu.machine / ph.cpu.wall
        per_request = busy / (RATIO_TARGET * base[ph.run])
        needed.append(_ms(per_request - ph.cpu.generator / ph.requests))
    return needed


def print_summary(phases: Sequence[Phase], levels: Sequence[str]) -> bool:
    """Medians [min-max] over runs at each concurrency, the ratios, the targets."""
    rows = []
    for c in levels:
        app, base = _at(phases, APP, c), _at(phases, BASELINE, c)
        rows.append(
            (
                c,
                spread([req_rate(ph) for ph in app], 0),
                spread([req_rate(ph) for ph in base], 0),
                spread(_paired(phases, c, req_rate), 2),
                spread([call_rate(ph) for ph in app], 1),
                spread([p(ph, 50) for ph in app], 1),
                spread([p(ph, 99) for ph in app], 1),
                spread([p(ph, 99) for ph in base], 1),
                spread([server_ms(ph) for ph in app], 2),
                spread([server_ms(ph) for ph in base], 2),
                spread([web_ms(ph) for ph in app], 2),
                spread([web_ms(ph) for ph in base], 2),
                sum(ph.errors for ph in app),
                sum(ph.errors for ph in base),
            )
        )
    headers = ["C", "app req/s", "base req/s", "app/base", "app calls/s", "app p50 ms"]
    headers += ["app p99 ms", "base p99 ms", "app server ms/req", "base server ms/req"]
    headers += ["app web ms/req", "base web ms/req", "app errors", "base errors"]
    print_table("Summary: median [min-max] over runs; app/base paired by run", headers, rows)
    print_endpoints(phases, levels)
    return print_targets(phases, levels)


def print_endpoints(phases: Sequence[Phase], levels: Sequence[str]) -> None:
    """p50/p99 per endpoint: median over runs of each run's percentile."""
    endpoints = sorted({e for ph in phases for e in ph.latencies})
    rows = []
    for c in levels:
        app, base = _at(phases, APP, c), _at(phases, BASELINE, c)
        for endpoint in endpoints:
            count = sum(len(ph.latencies.get(endpoint, [])) for ph in app)
            rows.append(
                (
                    f"C={c} {endpoint}",
                    count,
                    spread([p(ph, 50, endpoint) for ph in app], 1),
                    spread([p(ph, 99, endpoint) for ph in app], 1),
                    spread([p(ph, 50, endpoint) for ph in base], 1),
                    spread([p(ph, 99, endpoint) for ph in base], 1),
                )
            )
    headers = ["endpoint", "app requests", "app p50 ms", "app p99 ms", "base p50", "base p99"]
    print_table("Latency per endpoint (ms, as the generator saw it)", headers, rows)


def print_targets(phases: Sequence[Phase], levels: Sequence[str]) -> bool:
    """The issue's targets, met or not; True when there were no errors."""
    errors = sum(ph.errors + ph.bad_calls for ph in phases)
    lines = [f"errors (all phases): {errors} (target 0)"]
    for level in P99_LEVELS:
        if level not in levels:
            continue
        p99 = median([p(ph, 99) for ph in _at(phases, APP, level)])
        lines.append(
            f"app p99 at C={level}: {p99:.1f} ms (target < {P99_TARGET_MS:.0f}): "
            + ("met" if p99 < P99_TARGET_MS else "NOT met")
        )
    for c in levels:
        ratio = median(_paired(phases, c, req_rate))
        line = f"app/baseline request rate at C={c}: {ratio:.2f} (target >= {RATIO_TARGET}): "
        if ratio >= RATIO_TARGET:
            lines.append(line + "met")
            continue
        needed = median(_needed_server_ms(phases, c))
        measured = median([server_ms(ph) for ph in _at(phases, APP, c)])
        lines.append(
            line + f"NOT met; at the CPU the machine was busy for, {RATIO_TARGET} needs about "
            f"{needed:.1f} ms of server CPU per request (measured {measured:.1f})"
        )
    print("\nTargets\n" + "\n".join(lines))
    return errors == 0


def print_memory(peaks: dict[str, Peak]) -> None:
    """Peak resident set (VmHWM) by role."""
    rows = [(role, len(peak.pids), round(peak.mib, 1)) for role, peak in sorted(peaks.items())]
    print_table(
        "Peak memory (VmHWM, MiB; shared pages counted)", ["role", "processes", "MiB"], rows
    )


_FRAME = re.compile(r"^(?P<func>.*?) \((?P<file>[^:]*):\d+\)$")


def top_frames(path: Path, limit: int = 30) -> None:
    """Functions by share of samples (inclusive), from py-spy's ``raw`` output."""
    inclusive: Counter[str] = Counter()
    leaf: Counter[str] = Counter()
    total = 0
    for line in path.read_text().splitlines():
        stack, _, count_text = line.rpartition(" ")
        if not count_text.isdigit():
            continue
        count = int(count_text)
        frames = [_name(frame) for frame in stack.split(";")]
        total += count
        for name in set(frames):
            inclusive[name] += count
        leaf[frames[-1]] += count
    rows = [(name, round(100 * n / total, 1)) for name, n in inclusive.most_common(limit)]
    print_table(f"py-spy: busy samples {total}, inclusive %", ["function", "%"], rows)
    rows = [(name, round(100 * n / total, 1)) for name, n in leaf.most_common(15)]
    print_table("py-spy: self %", ["function", "%"], rows)


def _name(frame: str) -> str:
    match = _FRAME.match(frame.strip())
    if match is None:
        return frame.strip()
    file = match["file"].replace(str(ROOT) + "/", "")
    file = re.sub(r".*site-packages/", "", file)
    return f"{match['func']} ({file})"
