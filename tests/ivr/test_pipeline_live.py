"""The report pipeline end to end: a real server, real rq workers, PostgreSQL and Redis,
recordings served by the call simulator's media API."""

from __future__ import annotations

import hashlib
import os
import signal
from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from redis import Redis
from rq import Queue, Worker
from rq.registry import FailedJobRegistry
from rq.serializers import JSONSerializer
from sqlalchemy import func, select

from bench.memory import work_horses
from ivr.crypto import DataCipher
from ivr.jobs.dispatch import job_id
from ivr.reports.document import report_document
from ivr.reports.export import validate_document
from ivr.simulator import CallScript, Faults, TwilioSimulator, synth_wav
from models import Call, Database, OutboxMessage, Recording, Report, Transcript
from tests.conftest import ACCOUNT_SID, PUBLIC_BASE_URL, app_config
from tests.live import (
    LiveServer,
    free_port,
    live_server,
    redis_server,
    wait_for,
    worker_process,
)

pytestmark = pytest.mark.live
ROOT = Path(__file__).resolve().parents[2]
VOICEMAIL = ROOT / "docs" / "samples" / "voicemail-en.wav"
SHARED_REDIS = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/9")
LURING_NO_DANGER_ANONYMOUS = ["1", "2", "2", "2"]


@dataclass
class Stack:
    """A server, the simulator it fetches recordings from, and how to start workers."""

    server: LiveServer
    sim: TwilioSimulator
    config: dict[str, Any]
    tmp: Path
    database: Database

    def call(self, script: CallScript, faults: Faults | None = None) -> str:
        result = self.sim.place_call(script, faults=faults)
        assert not result.errors, result.transcript()
        return result.call_sid

    def report_ready(self, call_sid: str) -> Report | None:
        with self.database.session() as s:
            report = s.scalar(select(Report).join(Call).where(Call.call_sid == call_sid))
            return report if report is not None and report.ready_at is not None else None

    def unfinished_work(self) -> int:
        with self.database.session() as s:
            count = s.scalar(
                select(func.count())
                .select_from(OutboxMessage)
                .where(OutboxMessage.done_at.is_(None))
            )
            return int(count or 0)

    def wait_ready(self, call_sid: str, timeout: float = 90) -> Report:
        report: Report = wait_for(lambda: self.report_ready(call_sid), timeout, "report ready")
        return report


def _stack(tmp: Path, database_url: str, redis_url: str | None, **extra: Any) -> Iterator[Stack]:
    api_port = free_port()
    config = app_config(
        database_url,
        tmp,
        REDIS_URL=redis_url,
        TWILIO_API_BASE=f"http://127.0.0.1:{api_port}",
        SWEEP_INTERVAL=1,
        OUTBOX_MIN_AGE=1,
        WORKER_MAINTENANCE_INTERVAL=5,
        WORKER_HEARTBEAT_INTERVAL=2,
        **extra,
    )
    database = Database(database_url)
    with (
        live_server(config, tmp) as server,
        TwilioSimulator(
            server.url,
            ACCOUNT_SID,
            config["TWILIO_AUTH_TOKEN"],
            public_base_url=PUBLIC_BASE_URL,
            api_port=api_port,
        ) as sim,
    ):
        try:
            yield Stack(server, sim, config, tmp, database)
        finally:
            database.dispose()


@pytest.fixture
def stack(own_postgres_url: str, tmp_path: Path) -> Iterator[Stack]:
    """Server + simulator on PostgreSQL and the machine's Redis (a database of its own)."""
    redis = Redis.from_url(SHARED_REDIS)
    redis.flushdb()
    try:
        yield from _stack(tmp_path, own_postgres_url, SHARED_REDIS, TRANSCRIBER="pocketsphinx")
    finally:
        redis.flushdb()
        redis.close()


def failed_jobs(redis_url: str) -> int:
    connection = Redis.from_url(redis_url)
    try:
        return sum(
            FailedJobRegistry(
                queue=Queue(n, connection=connection, serializer=JSONSerializer)
            ).count
            for n in ("urgent", "normal", "media")
        )
    finally:
        connection.close()


def test_a_call_with_a_voicemail_becomes_one_report(stack: Stack) -> None:
    with worker_process(stack.config, stack.tmp):
        call_sid = stack.call(CallScript(answers=LURING_NO_DANGER_ANONYMOUS, voicemail=VOICEMAIL))
        report = stack.wait_ready(call_sid, timeout=120)
    assert (report.category, report.language, report.status) == ("luring", "en", "new")
    assert report.priority in ("high", "urgent") and report.priority_reasons
    assert report.report_number.isdigit() and report.anonymous
    with stack.database.session() as s:
        assert (
            s.scalar(
                select(func.count()).select_from(Report).where(Report.call_id == report.call_id)
            )
            == 1
        )
        recording = s.scalars(select(Recording).where(Recording.call_id == report.call_id)).one()
        transcript = s.scalars(
            select(Transcript).where(Transcript.recording_id == recording.id)
        ).one()
    # Stored encrypted: the file on disk is not the WAV, decrypting gives its bytes back.
    assert recording.storage_key and recording.sha256
    stored = (Path(stack.config["RECORDINGS_DIR"]) / recording.storage_key).read_bytes()
    original = VOICEMAIL.read_bytes()
    assert not stored.startswith(b"RIFF") and original not in stored
    cipher = DataCipher(stack.config["DATA_KEY"])
    assert hashlib.sha256(cipher.decrypt(stored)).hexdigest() == recording.sha256
    assert recording.sha256 == hashlib.sha256(original).hexdigest()
    # Twilio's copy was downloaded once and deleted.
    stats = stack.sim.recording_stats(recording.recording_sid)
    assert (stats.downloads, stats.deleted) == (1, True)
    assert recording.twilio_deleted_at is not None
    # The offline engine transcribed it (synthetic speech: some words, not all).
    assert (transcript.engine, transcript.status) == ("pocketsphinx", "completed")
    text = cipher.decrypt_text(transcript.text_enc or b"")
    # pocketsphinx hears espeak's voice poorly over 8 kHz; "daughter" comes through.
    assert "daughter" in text.split(), text
    assert failed_jobs(SHARED_REDIS) == 0
    # Its export validates against the published schema.
    with stack.database.session() as s:
        row = s.get(Report, report.id)
        assert row is not None
        document = report_document(s, row, cipher, include_identifiers=False)
    validate_document(document)
    assert document["voicemails"][0]["sha256"] == recording.sha256
    assert document["voicemails"][0]["transcript"]["engine"] == "pocketsphinx"
    steps = list(dict.fromkeys(step["step"] for step in document["ivr_path"]))
    assert steps[:4] == ["language", "safety", "main_menu", "danger"]


def test_calls_without_a_message_or_topic_keep_no_report(stack: Stack) -> None:
    with worker_process(stack.config, stack.tmp):
        silent = stack.call(CallScript(answers=["1"]))  # hangs up at the main menu
        spoken = stack.call(CallScript(answers=["1", "3", "2", "2"]))  # topic, no message
        stack.wait_ready(spoken)
        wait_for(lambda: stack.unfinished_work() == 0, 30, "the outbox to drain")
    with stack.database.session() as s:
        call = s.scalars(select(Call).where(Call.call_sid == silent)).one()
        assert call.ended_at is not None
        assert s.scalar(select(Report).where(Report.call_id == call.id)) is None


def test_same_recording_callback_twice_one_recording_one_download(stack: Stack) -> None:
    with worker_process(stack.config, stack.tmp):
        call_sid = stack.call(
            CallScript(answers=LURING_NO_DANGER_ANONYMOUS, voicemail=VOICEMAIL),
            faults=Faults(duplicate_callbacks=True, replay_actions=True),
        )
        report = stack.wait_ready(call_sid, timeout=120)
    with stack.database.session() as s:
        recordings = s.scalars(select(Recording).where(Recording.call_id == report.call_id)).all()
    assert len(recordings) == 1
    stats = stack.sim.recording_stats(recordings[0].recording_sid)
    assert (stats.downloads, stats.deletes) == (1, 1)


def _nice(pid: int) -> int:
    """A process's nice value (``/proc/<pid>/stat``, field 19)."""
    stat = Path(f"/proc/{pid}/stat").read_text()
    return int(stat.rsplit(")", 1)[1].split()[16])


def test_the_worker_yields_the_cpu_to_the_web_tier(stack: Stack) -> None:
    with worker_process({**stack.config, "WORKER_NICE": 7}, stack.tmp) as worker:
        wait_for(lambda: _nice(worker.pid) == 7, 60, "the worker to lower its priority")
        # It leads its session (a supervisor's start): its session group is lowered too.
        autogroup = Path(f"/proc/{worker.pid}/autogroup")
        assert autogroup.read_text().split()[-2:] == ["nice", "7"]
        call_sid = stack.call(CallScript(answers=LURING_NO_DANGER_ANONYMOUS, voicemail=VOICEMAIL))
        stack.wait_ready(call_sid)
    assert _nice(stack.server.process.pid) == 0


def _transcribing(stack: Stack) -> bool:
    """Whether a worker is running a transcription job now (rq's record of it)."""
    with stack.database.session() as s:
        message = s.scalar(
            select(OutboxMessage).where(
                OutboxMessage.task == "transcribe_recording",
                OutboxMessage.relayed_at.is_not(None),
                OutboxMessage.done_at.is_(None),
            )
        )
    if message is None:
        return False
    running = job_id(message.id, message.attempts)
    with Redis.from_url(SHARED_REDIS) as redis:
        workers = Worker.all(connection=redis, serializer=JSONSerializer)
        return any(w.get_current_job_id() == running for w in workers)


@pytest.mark.parametrize("fork", [False, True], ids=["worker", "work-horse"])
def test_a_worker_killed_mid_job_retries_and_completes_once(stack: Stack, fork: bool) -> None:
    """SIGKILL in the middle of a transcription: of the worker itself (the default runs
    jobs in process; a supervisor starts it again), or of the work horse (``--fork``)."""
    long_message = stack.tmp / "long.wav"
    synth_wav(
        " ".join(["a man on a chat app keeps asking my daughter for photos."] * 12), long_message
    )
    args = ("--fork",) if fork else ()
    with ExitStack() as workers:
        worker = workers.enter_context(worker_process(stack.config, stack.tmp, "worker", *args))
        call_sid = stack.call(
            CallScript(answers=LURING_NO_DANGER_ANONYMOUS, voicemail=long_message)
        )
        wait_for(lambda: _transcribing(stack), 60, "the transcription job to start", 0.05)
        if fork:
            horse = wait_for(lambda: work_horses(worker.pid), 10, "its work horse", 0.05)[0]
            os.kill(horse, signal.SIGKILL)
        else:
            os.killpg(worker.pid, signal.SIGKILL)
            workers.enter_context(worker_process(stack.config, stack.tmp, "restarted"))
        report = stack.wait_ready(call_sid, timeout=180)
        unfinished = stack.unfinished_work()
    with stack.database.session() as s:
        transcripts = s.scalars(
            select(Transcript).join(Recording).where(Recording.call_id == report.call_id)
        ).all()
    assert len(transcripts) == 1 and transcripts[0].status == "completed"
    assert unfinished == 0
    assert failed_jobs(SHARED_REDIS) == 0


def test_redis_outage_delays_reports_and_loses_none(own_postgres_url: str, tmp_path: Path) -> None:
    port = free_port()
    redis_url = f"redis://127.0.0.1:{port}/0"
    with redis_server(port, tmp_path) as redis_proc:
        stack_iter = _stack(tmp_path, own_postgres_url, redis_url, TRANSCRIBER="none")
        stack = next(stack_iter)
        try:
            with worker_process(stack.config, stack.tmp, "worker-1"):
                before = [
                    stack.call(CallScript(answers=LURING_NO_DANGER_ANONYMOUS, voicemail=VOICEMAIL))
                    for _ in range(2)
                ]
                redis_proc.terminate()
                redis_proc.wait(timeout=10)
                during = [
                    stack.call(CallScript(answers=["1", "1", "1", "2"], voicemail=VOICEMAIL))
                    for _ in range(3)
                ]
            with redis_server(port, tmp_path), worker_process(stack.config, stack.tmp, "worker-2"):
                for call_sid in before + during:
                    stack.wait_ready(call_sid, timeout=120)
            with stack.database.session() as s:
                numbers = s.scalars(
                    select(Report.report_number)
                    .join(Call)
                    .where(Call.call_sid.in_(before + during))
                ).all()
            assert len(numbers) == len(set(numbers)) == 5
        finally:
            stack_iter.close()


@pytest.mark.parametrize("backend", ["sqlite", "postgres"])
def test_embedded_default_runs_jobs_in_process(
    backend: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    """No REDIS_URL: the web process runs the same jobs after commit, no worker needed."""
    url = request.getfixturevalue("sqlite_url" if backend == "sqlite" else "own_postgres_url")
    stack_iter = _stack(tmp_path, url, None, TRANSCRIBER="none")
    stack = next(stack_iter)
    try:
        call_sid = stack.call(CallScript(answers=LURING_NO_DANGER_ANONYMOUS, voicemail=VOICEMAIL))
        report = stack.wait_ready(call_sid, timeout=60)
        assert report.category == "luring"
        with stack.database.session() as s:
            recording = s.scalars(
                select(Recording).where(Recording.call_id == report.call_id)
            ).one()
            transcript = s.scalars(
                select(Transcript).where(Transcript.recording_id == recording.id)
            ).one()
        assert recording.stored_at is not None and recording.twilio_deleted_at is not None
        assert (transcript.engine, transcript.status) == ("none", "no_engine")
    finally:
        stack_iter.close()
