"""What the chaos run checks once the faults are over, and the dump of Redis it searches."""

from __future__ import annotations

import contextlib
import time
import zlib
from collections import Counter
from dataclasses import dataclass, field

from redis import Redis
from rq import Queue
from rq.serializers import JSONSerializer
from sqlalchemy import func, select

from bench.common import QUEUES, Stack, print_table
from ivr.crypto import DataCipher
from ivr.jobs.outbox import MAX_ATTEMPTS
from ivr.simulator import CallResult
from ivr.telephony.spool import Spool
from models import Call, OutboxMessage, Recording, Report, Transcript

TRANSCRIPT_WORDS = ("dark wolf", "daughter", "photos", "chat app")
# Grace around the database restart: requests already in flight, pools reconnecting.
WINDOW_BEFORE_S, WINDOW_AFTER_S = 1.0, 5.0


@dataclass(frozen=True)
class CallRecord:
    """One placed call as the simulated Twilio saw it."""

    call_sid: str
    from_number: str
    kind: str
    started: float
    ended: float
    http_5xx: int
    http_other_errors: int
    degraded: bool
    twiml_errors: tuple[str, ...]
    ended_in_error: bool
    recording_sids: tuple[str, ...]

    @classmethod
    def of(cls, result: CallResult, kind: str, started: float, ended: float) -> CallRecord:
        statuses = [r.status for r in result.requests]
        degraded = any(
            r.kind == "fallback" or "/twilio/fallback/recorded" in r.response_text
            for r in result.requests
        )
        return cls(
            call_sid=result.call_sid,
            from_number=result.from_number,
            kind=kind,
            started=started,
            ended=ended,
            http_5xx=sum(1 for s in statuses if s is not None and s >= 500),
            http_other_errors=sum(1 for s in statuses if s is None or 400 <= s < 500),
            degraded=degraded,
            # 11200/11205: the HTTP failures counted above; anything else is bad TwiML.
            twiml_errors=tuple(str(e) for e in result.errors if e.code not in (11200, 11205)),
            ended_in_error=result.ended_by == "error",
            recording_sids=tuple(r.sid for r in result.recordings),
        )


@dataclass
class ChaosResult:
    """Counts, the timeline of the faults, and the problems found (empty: all good)."""

    counts: dict[str, int] = field(default_factory=dict)
    timeline: dict[str, float] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


# --- waiting for recovery -------------------------------------------------------------------


def _rq_busy(connection: Redis) -> int:
    busy = 0
    for name in QUEUES:
        queue = Queue(name, connection=connection, serializer=JSONSerializer)
        busy += queue.count + queue.started_job_registry.count
        busy += queue.scheduled_job_registry.count + queue.deferred_job_registry.count
    return busy


def backlog(bench: Stack) -> dict[str, int]:
    """What is still to do: outbox messages, spooled webhooks, rq jobs."""
    with bench.database.session() as session:
        unfinished = session.scalar(
            select(func.count())
            .select_from(OutboxMessage)
            .where(OutboxMessage.done_at.is_(None), OutboxMessage.attempts < MAX_ATTEMPTS)
        )
    spool = Spool(bench.config["SPOOL_DIR"], DataCipher(bench.config["DATA_KEY"]))
    connection = bench.redis_connection()
    try:
        jobs = _rq_busy(connection)
    finally:
        connection.close()
    return {"outbox": int(unfinished or 0), "spool": len(spool.pending()), "rq jobs": jobs}


def settle(bench: Stack, timeout: float) -> tuple[float, dict[str, int]]:
    """Wait (bounded) until nothing is left to do, twice in a row; (seconds, last backlog)."""
    started = time.monotonic()
    quiet = 0
    left: dict[str, int] = {}
    while time.monotonic() - started < timeout:
        try:
            left = backlog(bench)
        except Exception as exc:  # Redis or the database still coming back
            left = {"unreachable": 1}
            del exc
        quiet = quiet + 1 if not any(left.values()) else 0
        if quiet >= 2:
            return time.monotonic() - started, left
        time.sleep(1.0)
    return float("nan"), left


# --- Redis ----------------------------------------------------------------------------------


def _values(connection: Redis, key: bytes) -> list[bytes]:
    kind = connection.type(key)
    if kind == b"string":
        return [connection.get(key) or b""]
    if kind == b"hash":
        return [b for pair in connection.hgetall(key).items() for b in pair]
    if kind == b"list":
        return list(connection.lrange(key, 0, -1))
    if kind == b"set":
        return list(connection.smembers(key))
    if kind == b"zset":
        return [member for member, _score in connection.zrange(key, 0, -1, withscores=True)]
    if kind == b"stream":
        return [
            b for _id, fields in connection.xrange(key) for pair in fields.items() for b in pair
        ]
    return []


def redis_dump(bench: Stack) -> list[bytes]:
    """Every key and value in Redis, decompressed where rq compressed it (job data)."""
    connection = bench.redis_connection()
    blobs: list[bytes] = []
    try:
        for key in connection.scan_iter(count=1000):
            blobs.append(key)
            for value in _values(connection, key):
                blobs.append(value)
                with contextlib.suppress(zlib.error):
                    blobs.append(zlib.decompress(value))
    finally:
        connection.close()
    return blobs


def number_forms(e164: str) -> list[str]:
    """How a North American number could appear: +16135550142, 6135550142, 613-555-0142."""
    digits = e164.lstrip("+")
    national = digits[1:] if digits.startswith("1") else digits
    area, exchange, line = national[:3], national[3:6], national[6:]
    return [e164, digits, national, f"{area}-{exchange}-{line}", f"({area}) {exchange}-{line}"]


def search_dump(blobs: list[bytes], numbers: set[str]) -> Counter[str]:
    """How many blobs contain each caller number (any form) or transcript word."""
    needles = [form for n in numbers for form in number_forms(n)] + list(TRANSCRIPT_WORDS)
    text = [blob.decode("latin-1").lower() for blob in blobs]
    hits: Counter[str] = Counter()
    for needle in needles:
        found = sum(1 for t in text if needle.lower() in t)
        if found:
            hits[needle] += found
    return hits


# --- the checks -----------------------------------------------------------------------------


def _reports_by_sid(bench: Stack) -> Counter[str]:
    with bench.database.session() as session:
        rows = session.execute(
            select(Call.call_sid, func.count(Report.id))
            .join(Report, Report.call_id == Call.id)
            .group_by(Call.call_sid)
        ).all()
    return Counter({sid: int(n) for sid, n in rows})


def _stored_recordings(bench: Stack) -> dict[str, int]:
    """CallSid -> recordings stored (downloaded, encrypted) for the call."""
    with bench.database.session() as session:
        rows = session.execute(
            select(Call.call_sid, func.count(Recording.id))
            .join(Recording, Recording.call_id == Call.id)
            .where(Recording.stored_at.is_not(None))
            .group_by(Call.call_sid)
        ).all()
    return {sid: int(n) for sid, n in rows}


def _count(bench: Stack, model: type[Transcript] | type[Recording]) -> int:
    with bench.database.session() as session:
        return int(session.scalar(select(func.count()).select_from(model)) or 0)


def check(
    bench: Stack,
    records: list[CallRecord],
    marks: dict[str, float],
    settle_timeout: float,
    dumps: list[list[bytes]],
) -> ChaosResult:
    """Wait for recovery, then compare what the app kept with what the calls did."""
    result = ChaosResult(timeline={k: v - marks["start"] for k, v in marks.items()})
    settled_s, left = settle(bench, settle_timeout)
    result.timeline["settled"] = result.timeline["calls placed"] + settled_s
    if any(left.values()):
        result.problems.append(f"not settled after {settle_timeout:.0f} s: {left}")
    _check_reports(bench, records, result)
    _check_webhooks(bench, records, marks, result)
    failed = bench.failed_jobs()
    result.counts["failed rq jobs"] = failed
    if failed:
        result.problems.append(f"{failed} job(s) in rq's FailedJobRegistry")
    _check_redis(bench, records, dumps, result)
    result.counts["transcripts"] = _count(bench, Transcript)
    return result


def _check_reports(bench: Stack, records: list[CallRecord], result: ChaosResult) -> None:
    reports = _reports_by_sid(bench)
    placed = {r.call_sid for r in records}
    lost = [sid for sid in placed if reports[sid] == 0]
    duplicated = [sid for sid in placed if reports[sid] > 1]
    unknown = [sid for sid in reports if sid not in placed]
    result.counts.update(
        {
            "calls placed": len(records),
            "distinct calls": len(placed),
            "replayed calls (10%)": sum(r.kind == "replayed" for r in records),
            "out-of-order calls (5%)": sum(r.kind == "shuffled" for r in records),
            "reports": sum(reports.values()),
            "reports lost": len(lost),
            "reports duplicated": len(duplicated),
            "reports for unknown calls": len(unknown),
        }
    )
    if lost or duplicated or unknown:
        result.problems.append(
            f"reports: {len(lost)} lost, {len(duplicated)} duplicated, {len(unknown)} unknown"
        )


def _check_webhooks(
    bench: Stack, records: list[CallRecord], marks: dict[str, float], result: ChaosResult
) -> None:
    start = marks.get("postgres stopping", float("inf")) - WINDOW_BEFORE_S
    end = marks.get("postgres back", float("-inf")) + WINDOW_AFTER_S
    during = [r for r in records if r.started <= end and r.ended >= start]
    outside = [r for r in records if not (r.started <= end and r.ended >= start)]
    stored = _stored_recordings(bench)
    degraded = [r for r in records if r.degraded]
    unrecorded = [r for r in degraded if r.recording_sids and not stored.get(r.call_sid)]
    voicemails = sum(1 for r in records if r.recording_sids)
    result.counts.update(
        {
            "webhook 5xx outside the database restart": sum(r.http_5xx for r in outside),
            "webhook 5xx during the database restart": sum(r.http_5xx for r in during),
            "calls overlapping the database restart": len(during),
            "calls answered by the degraded path": len(degraded),
            "degraded calls without their message stored": len(unrecorded),
            "other webhook errors (4xx, no answer)": sum(r.http_other_errors for r in records),
            "calls with invalid TwiML": sum(1 for r in records if r.twiml_errors),
            "calls that ended in an application error": sum(r.ended_in_error for r in records),
            "voicemails left": voicemails,
            "voicemails stored": sum(min(n, 1) for n in stored.values()),
        }
    )
    for name in (
        "webhook 5xx outside the database restart",
        "degraded calls without their message stored",
        "other webhook errors (4xx, no answer)",
        "calls with invalid TwiML",
        "calls that ended in an application error",
    ):
        if result.counts[name]:
            result.problems.append(f"{name}: {result.counts[name]}")
    if result.counts["voicemails stored"] != voicemails:
        result.problems.append(
            f"voicemails stored {result.counts['voicemails stored']} != left {voicemails}"
        )


def _check_redis(
    bench: Stack, records: list[CallRecord], dumps: list[list[bytes]], result: ChaosResult
) -> None:
    final = redis_dump(bench)
    numbers = {r.from_number for r in records}
    hits: Counter[str] = Counter()
    for blobs in [*dumps, final]:
        hits.update(search_dump(blobs, numbers))
    result.counts["Redis dumps searched"] = len(dumps) + 1
    result.counts["Redis keys in the final dump"] = _key_count(bench)
    result.counts["identifying strings found in Redis"] = sum(hits.values())
    if hits:
        result.problems.append(f"found in Redis: {sorted(hits)[:10]}")


def _key_count(bench: Stack) -> int:
    connection = bench.redis_connection()
    try:
        return int(connection.dbsize())
    finally:
        connection.close()


def print_result(result: ChaosResult) -> None:
    """The counts, the timeline and the verdict."""
    print_table("Chaos run", ["", "count"], sorted(result.counts.items(), key=_order))
    rows = sorted(result.timeline.items(), key=lambda kv: kv[1])
    print_table("Timeline (s from the first call)", ["event", "s"], rows)
    for note in result.notes:
        print(f"- {note}")
    if result.problems:
        print("\nPROBLEMS:\n" + "\n".join(f"- {p}" for p in result.problems))
    else:
        print("\nall checks passed")


def _order(item: tuple[str, int]) -> int:
    order = ["calls", "distinct", "replayed", "out-of-order", "reports", "webhook", "calls"]
    for index, prefix in enumerate(order):
        if item[0].startswith(prefix):
            return index
    return len(order)
