"""Drawing demo calls, their paths, recordings, reports and reviews, in batches of rows.

Everything comes from one ``random.Random(seed)`` stream, drawn in call order, so the
same (seed, calls, days, end, reports) gives the same rows; only ciphertexts differ
(Fernet adds a random IV). Rows are plain tuples in the column order of
:mod:`ivr.demo.tables`, ready for ``COPY`` or executemany.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from itertools import accumulate
from typing import Any

from ivr.crypto import DataCipher
from ivr.demo import profile as p
from ivr.demo.paths import Path, report_path, walk_without_report
from ivr.demo.reviews import review_rows
from ivr.reports.pipeline import REPEAT_WINDOW, agencies
from ivr.reports.priority import prioritise

Row = tuple[Any, ...]
_REGIONS_CUM = list(accumulate(w for *_x, w in p.REGIONS))
EMPTY_ENTITIES: dict[str, list[str]] = {
    k: [] for k in ("urls", "domains", "emails", "phone_numbers", "handles", "platforms")
}


@dataclass
class Batch:
    """The rows of a run of consecutive calls, per table."""

    calls: list[Row] = field(default_factory=list)
    call_events: list[Row] = field(default_factory=list)
    recordings: list[Row] = field(default_factory=list)
    reports: list[Row] = field(default_factory=list)
    report_changes: list[Row] = field(default_factory=list)
    referrals: list[Row] = field(default_factory=list)


@dataclass
class Caller:
    """One (fictional) caller: a region, a 555-01XX number, its keyed hash."""

    region: str
    e164: str
    hash: str
    enc: bytes
    last_call: datetime


@dataclass(frozen=True)
class Settings:
    """What to draw: how many calls over which days, and the ids to start from."""

    calls: int
    days: int
    end: datetime
    seed: int
    reports: int | None
    first_call_id: int
    first_report_id: int
    account_sid: str


def flow_state(path: Path, language: str) -> dict[str, Any]:
    """The flow's state at the end of the call, as ``CallState.to_dict`` leaves it."""
    variables: dict[str, str] = {}
    if path.category is not None:
        variables["category"] = path.category
    if path.danger is not None:
        variables["danger"] = "yes" if path.danger else "no"
    if any(step.node == "info" for step in path.steps):
        variables["info"] = "yes"
    if path.transfer is not None:
        variables["transfer"] = path.transfer
    if path.ended_by == "ivr" and path.category is not None:
        variables["callback"] = "number" if path.callback else "anonymous"
    return {
        "node": path.steps[-1].node,
        "seq": len(path.steps),
        "language": language,
        "retries": 0,
        "vars": variables,
        "finished": path.ended_by == "ivr",
    }


def category_quota(reports: int) -> list[str]:
    """Exactly the published proportions, rounded: csam, luring, then the stated rest."""
    csam = round(reports * p.PUBLISHED_CSAM / p.PUBLISHED_REPORTS)
    luring = round(reports * p.PUBLISHED_LURING / p.PUBLISHED_REPORTS)
    rest = reports - csam - luring
    shares = [(name, rest * weight) for name, weight in p.REST_SPLIT]
    counts = {name: int(share) for name, share in shares}
    # Largest remainder, so the rest adds up exactly.
    by_remainder = sorted(shares, key=lambda s: s[1] - int(s[1]), reverse=True)
    for name, _ in by_remainder[: rest - sum(counts.values())]:
        counts[name] += 1
    out = ["csam"] * csam + ["luring"] * luring
    for name, count in counts.items():
        out += [name] * count
    return out


class DemoGenerator:
    """Draws the demo line's calls in chronological order, one batch at a time."""

    def __init__(self, settings: Settings, cipher: DataCipher) -> None:
        self.s, self.cipher = settings, cipher
        self.rng = random.Random(settings.seed)
        self.starts = self._start_times()
        self.report_flags = self._report_flags()
        self.categories = category_quota(sum(self.report_flags))
        self.rng.shuffle(self.categories)
        self.callers: list[Caller] = []
        self._encrypted: dict[str, bytes] = {}
        self.next_report_id = settings.first_report_id
        self._category_at = 0

    def _start_times(self) -> list[datetime]:
        s, rng = self.s, self.rng
        first_day = s.end - timedelta(days=s.days)
        day_weights = [
            p.WEEKDAY_WEIGHTS[(first_day + timedelta(d)).weekday()] for d in range(s.days)
        ]
        days = rng.choices(range(s.days), weights=day_weights, k=s.calls)
        hours = rng.choices(range(24), weights=p.HOUR_WEIGHTS, k=s.calls)
        seconds = [
            d * 86400 + h * 3600 + rng.randrange(3600) for d, h in zip(days, hours, strict=True)
        ]
        seconds.sort()
        # The last calls of the last day must have ended before ``end``.
        return [first_day + timedelta(seconds=min(x, s.days * 86400 - 900)) for x in seconds]

    def _report_flags(self) -> list[bool]:
        n, wanted = self.s.calls, self.s.reports
        if wanted is None:
            return [self.rng.random() < p.REPORT_SHARE for _ in range(n)]
        if not 0 <= wanted <= n:
            raise ValueError("--reports must be between 0 and --calls")
        chosen = set(self.rng.sample(range(n), wanted))
        return [i in chosen for i in range(n)]

    def batches(self, size: int) -> Iterator[Batch]:
        """The calls in batches of ``size``, oldest first."""
        for start in range(0, self.s.calls, size):
            batch = Batch()
            for index in range(start, min(start + size, self.s.calls)):
                self._call(batch, index)
            yield batch

    def _caller(self, started: datetime) -> tuple[Caller | None, bool]:
        """The caller (None when caller ID is withheld) and whether they called before."""
        rng = self.rng
        if rng.random() < p.WITHHELD_SHARE:
            return None, False
        if self.callers and rng.random() < p.REPEAT_SHARE:
            caller = self.callers[-1 - min(int(rng.expovariate(1 / 300)), len(self.callers) - 1)]
            repeat = started - caller.last_call <= REPEAT_WINDOW
            caller.last_call = started
            return caller, repeat
        region, area, _weight = rng.choices(p.REGIONS, cum_weights=_REGIONS_CUM)[0]
        number = len(self.callers)
        e164 = f"+1{area}55501{number % 100:02d}"  # 555-0100..0199: fictional lines
        if e164 not in self._encrypted:  # a thousand numbers at most: encrypt each once
            self._encrypted[e164] = self.cipher.encrypt_text(e164)
        caller = Caller(
            region=region,
            e164=e164,
            # Hashed from a demo identity, never from a number: no real caller can match it.
            hash=self.cipher.keyed_hash(f"demo-caller:{self.s.seed}:{number}"),
            enc=self._encrypted[e164],
            last_call=started,
        )
        self.callers.append(caller)
        return caller, False

    def _language(self, caller: Caller | None) -> str:
        share = (
            0.22 if caller is None else p.FRENCH_SHARE.get(caller.region, p.FRENCH_SHARE_ELSEWHERE)
        )
        return "fr" if self.rng.random() < share else "en"

    def _call(self, batch: Batch, index: int) -> None:
        call_id = self.s.first_call_id + index
        started = self.starts[index]
        caller, repeat = self._caller(started)
        language = self._language(caller)
        if self.report_flags[index]:
            category = self.categories[self._category_at]
            self._category_at += 1
            path = report_path(self.rng, category, language)
        else:
            path = walk_without_report(self.rng, language)
        ended = self._events(batch, call_id, started, path)
        batch.calls.append(self._call_row(call_id, started, ended, caller, language, path))
        if path.recorded is not None:
            batch.recordings.append(self._recording_row(call_id, path, ended))
        if path.category is not None:
            self._report(batch, call_id, started, ended, caller, repeat, language, path)

    def _events(self, batch: Batch, call_id: int, started: datetime, path: Path) -> datetime:
        at = started
        for step in path.steps:
            batch.call_events.append(
                (call_id, "ivr", step.node, step.prompt, step.input, step.outcome, None, at)
            )
            at += timedelta(seconds=step.seconds)
        batch.call_events.append(
            (call_id, "status", path.steps[-1].node, None, None, "completed", None, at)
        )
        return at

    def _call_row(
        self,
        call_id: int,
        started: datetime,
        ended: datetime,
        caller: Caller | None,
        language: str,
        path: Path,
    ) -> Row:
        callback = caller.enc if (path.callback and caller is not None) else None
        return (
            call_id,
            f"{p.DEMO_CALL_SID_PREFIX}{call_id:028d}",
            self.s.account_sid,
            f"9{call_id:07d}",
            None if caller is None else caller.enc,
            None if caller is None else caller.hash,
            caller is None,
            p.HOTLINE_NUMBER,
            None if caller is None else "CA",
            None if caller is None else caller.region,
            language,
            "completed",
            3,
            started,
            ended,
            int((ended - started).total_seconds()),
            path.ended_by,
            path.steps[-1].node,
            "default",
            flow_state(path, language),
            path.category if path.category != "unknown" else None,
            path.danger,
            callback,
            path.transfer,
            False,
            started,
            ended,
        )

    def _recording_row(self, call_id: int, path: Path, ended: datetime) -> Row:
        assert path.recorded is not None
        return (
            call_id,
            f"{p.DEMO_RECORDING_SID_PREFIX}{call_id:028d}",
            None,
            path.recorded,
            "completed",
            "hangup" if path.ended_by == "caller" else "#",
            f"{self.rng.getrandbits(256):064x}",
            None,  # demo audio is never stored: no file to read or purge
            None,
            None,
            ended + timedelta(seconds=20),
            0,
            None,
            ended,
            ended,
        )

    def _report(
        self,
        batch: Batch,
        call_id: int,
        started: datetime,
        ended: datetime,
        caller: Caller | None,
        repeat: bool,
        language: str,
        path: Path,
    ) -> None:
        rng, report_id = self.rng, self.next_report_id
        self.next_report_id += 1
        assert path.category is not None
        details = path.recorded is not None and rng.random() < p.DETAILS_SHARE
        priority = prioritise(
            category=path.category,
            immediate_danger=path.danger,
            repeat_caller=repeat,
            details=details,
        )
        ready = ended + timedelta(seconds=rng.lognormvariate(3.7, 0.6))
        region = None if caller is None else caller.region
        agency = agencies().get(region or "")
        review = review_rows(
            rng, report_id, path.category, priority.level, ready, self.s.end, agency
        )
        batch.report_changes += review.changes
        batch.referrals += review.referrals
        batch.reports.append(
            (
                report_id,
                call_id,
                f"9{call_id:07d}",
                started,
                "phone",
                language,
                path.category,
                review.classification,
                path.danger,
                priority.level,
                priority.rank,
                list(priority.reasons),
                False,
                review.status,
                not (path.callback and caller is not None),
                region,
                repeat,
                EMPTY_ENTITIES,
                region,
                agency,
                review.assignee,
                ready,
                ended,
                review.updated_at or ready,
            )
        )
