"""The retention purge: after each period, nothing purgeable remains (rows and files), the
rest is intact, the audit log says what went, and the chain still verifies."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from flask import Flask
from sqlalchemy import func, select

from ivr.audit import verify_chain
from ivr.media.storage import DirectoryStore
from ivr.retention import RetentionPolicy, apply_purge, plan_purge
from models import AuditEntry, Call, CallEvent, Database, Recording, Transcript
from tests.retention.conftest import Builder, Made

NOW = datetime(2031, 6, 1, 12, tzinfo=UTC)
POLICY = RetentionPolicy(recordings_days=90, callback_days=60, no_report_calls_days=30)
ZERO = dict.fromkeys(
    (
        "recordings_purged",
        "transcripts_deleted",
        "audio_files_deleted",
        "caller_numbers_cleared",
        "calls_without_report_deleted",
        "call_events_deleted",
    ),
    0,
)


def _days(n: float) -> datetime:
    return NOW - timedelta(days=n)


def _purge(app: Flask, now: datetime, *, apply: bool = True) -> dict[str, int]:
    database: Database = app.extensions["database"]
    with database.session() as session, session.begin():
        plan = plan_purge(session, POLICY, now)
        if apply:
            apply_purge(session, plan, DirectoryStore(app.config["RECORDINGS_DIR"]), actor="test")
        return plan.counts()


def _call(app: Flask, made: Made) -> Call | None:
    database: Database = app.extensions["database"]
    with database.session() as session:
        return session.get(Call, made.call_id)


def _recording(app: Flask, made: Made) -> Recording | None:
    database: Database = app.extensions["database"]
    with database.session() as session:
        return session.get(Recording, made.recording_id)


def _count(app: Flask, model: type[CallEvent] | type[Transcript], call: Made) -> int:
    database: Database = app.extensions["database"]
    with database.session() as session:
        if model is CallEvent:
            query = select(func.count()).where(CallEvent.call_id == call.call_id)
        else:
            query = select(func.count()).where(Transcript.recording_id == call.recording_id)
        return int(session.scalar(query) or 0)


def _scene(build: Builder) -> dict[str, Made]:
    return {
        # closed 100 days ago: audio, transcript and numbers all due
        "closed_long_ago": build.call(_days(120), status="closed", status_at=_days(100)),
        # closed 70 days ago: numbers due (60), the recording not yet (90)
        "closed_70": build.call(_days(75), status="duplicate", status_at=_days(70)),
        # referred 10 days ago: nothing due yet
        "referred_recently": build.call(_days(12), status="referred", status_at=_days(10)),
        # still open after 400 days: an open report keeps everything
        "open_old": build.call(_days(400), status="in_review", status_at=_days(399)),
        # no report, 45 days old: the call goes, with its events
        "no_report_old": build.call(_days(45), voicemail="absent"),
        # no report, 5 days old: kept
        "no_report_recent": build.call(_days(5), voicemail=None),
        # no report yet but a usable message: the pipeline owes a report, keep it
        "owed_report": build.call(_days(45), voicemail="stored"),
    }


def test_dry_run_counts_and_changes_nothing(own_app: Flask, build: Builder) -> None:
    scene = _scene(build)
    counts = _purge(own_app, NOW, apply=False)
    assert counts == {
        **ZERO,
        "recordings_purged": 1,
        "transcripts_deleted": 1,
        "audio_files_deleted": 1,
        "caller_numbers_cleared": 2,
        "calls_without_report_deleted": 1,
        "call_events_deleted": 5,
    }
    assert _purge(own_app, NOW, apply=False) == counts
    assert all(m.file is None or m.file.exists() for m in scene.values())
    assert _call(own_app, scene["no_report_old"]) is not None


def test_after_each_period_nothing_purgeable_remains(own_app: Flask, build: Builder) -> None:
    scene = _scene(build)
    first = _purge(own_app, NOW)
    assert first["recordings_purged"] == 1 and first["calls_without_report_deleted"] == 1
    assert _purge(own_app, NOW, apply=False) == ZERO  # a rerun finds nothing

    gone = scene["closed_long_ago"]
    assert gone.file is not None and not gone.file.exists()
    recording = _recording(own_app, gone)
    assert recording is not None and recording.purged_at == NOW and recording.storage_key is None
    assert recording.sha256 and recording.duration_s == 14  # the facts stay
    assert _count(own_app, Transcript, gone) == 0
    call = _call(own_app, gone)
    assert call is not None and call.callback_enc is None and call.from_enc is None
    assert call.from_hash is not None  # repeat callers stay visible, nothing revealed

    numbers_only = _call(own_app, scene["closed_70"])
    assert numbers_only is not None and numbers_only.callback_enc is None
    kept = _recording(own_app, scene["closed_70"])
    assert kept is not None and kept.purged_at is None and scene["closed_70"].file
    assert scene["closed_70"].file.exists()

    assert _call(own_app, scene["no_report_old"]) is None
    assert _count(own_app, CallEvent, scene["no_report_old"]) == 0
    assert _recording(own_app, scene["no_report_old"]) is None
    for name in ("referred_recently", "open_old", "no_report_recent", "owed_report"):
        made = scene[name]
        call = _call(own_app, made)
        assert call is not None and call.callback_enc is not None, name
        assert _count(own_app, CallEvent, made) == 5, name
        assert made.file is None or made.file.exists(), name

    # 100 days on, the recent referral's recording and the 70-day one are due as well.
    later = _purge(own_app, NOW + timedelta(days=100))
    assert later["recordings_purged"] == 2 and later["audio_files_deleted"] == 2
    assert later["caller_numbers_cleared"] == 1
    assert not scene["referred_recently"].file.exists()  # type: ignore[union-attr]
    assert scene["open_old"].file.exists()  # type: ignore[union-attr]
    assert _purge(own_app, NOW + timedelta(days=100), apply=False) == ZERO


def test_each_purge_is_audited_and_the_chain_verifies(own_app: Flask, build: Builder) -> None:
    _scene(build)
    counts = _purge(own_app, NOW)
    database: Database = own_app.extensions["database"]
    with database.session() as session:
        entries = list(
            session.scalars(select(AuditEntry).where(AuditEntry.action == "retention.purged"))
        )
        assert len(entries) == 1
        detail = entries[0].detail
        assert {k: detail[k] for k in counts} == counts
        assert detail["as_of"] == NOW.isoformat() and detail["recordings_days"] == 90
        assert entries[0].actor == "test"
        report = verify_chain(session)
    assert report.ok and report.count >= 1


def test_a_period_of_zero_keeps_that_data(own_app: Flask, build: Builder) -> None:
    made = build.call(_days(1000), status="closed", status_at=_days(999))
    old = build.call(_days(1000), voicemail=None)
    database: Database = own_app.extensions["database"]
    with database.session() as session:
        plan = plan_purge(session, RetentionPolicy(0, 0, 0), NOW)
    assert plan.counts() == ZERO
    assert made.file is not None and made.file.exists()
    assert _call(own_app, old) is not None
