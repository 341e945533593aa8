"""The smallest examples of the bugs the fuzz tests found, kept as plain tests.

Each one used to send a signed webhook down the degraded path (a database error, the
request spooled, the caller told to leave a message) or to a server error.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import select

from models import Call, CallEvent, Recording
from tests.conftest import TwilioClient, call_params
from tests.fuzz.strategies import assert_valid_twiml


def spooled(app: Flask) -> list[Path]:
    return list(Path(app.config["SPOOL_DIR"]).glob("*.req"))


def load(app: Flask, call_sid: str) -> Call:
    with app.extensions["database"].session() as session:
        call: Call = session.scalars(select(Call).where(Call.call_sid == call_sid)).one()
        call.events  # noqa: B018  (load before the session closes)
        call.recordings  # noqa: B018
        return call


@pytest.mark.parametrize(
    ("path", "extra"),
    [
        ("/twilio/voice", {"CallStatus": "\x00"}),
        ("/twilio/voice", {"To": "+1800\x00"}),
        ("/twilio/gather?node=language&seq=1", {"Digits": "1\x00"}),
        ("/twilio/status", {"CallStatus": "completed\x00", "SequenceNumber": "2"}),
        ("/twilio/recording-status", {"RecordingSid": "RE\x00", "RecordingStatus": "absent"}),
    ],
)
def test_nul_characters_are_dropped(
    app: Flask, twilio: TwilioClient, path: str, extra: dict[str, str]
) -> None:
    """PostgreSQL refuses NUL in text: ``CallStatus=\\x00`` used to fail the commit."""
    params = call_params()
    assert twilio.post("/twilio/voice", params).status_code == 200
    resp = twilio.post(path, {**params, **extra})
    assert resp.status_code in (200, 204), resp.text
    if resp.status_code == 200:
        assert_valid_twiml(resp.text)
    assert spooled(app) == []
    call = load(app, params["CallSid"])
    assert "\x00" not in call.status
    assert all("\x00" not in (e.input or "") + (e.outcome or "") for e in call.events)
    assert all("\x00" not in r.recording_sid for r in call.recordings)


def test_nul_only_call_sid_is_a_bad_request(twilio: TwilioClient) -> None:
    assert twilio.post("/twilio/voice", call_params("\x00")).status_code == 400


def test_long_node_in_a_replayed_action_is_cut_to_fit(app: Flask, twilio: TwilioClient) -> None:
    """``/twilio/gather?node=<65 characters>`` overflowed call_events.node (varchar 64)."""
    params = call_params()
    assert twilio.post("/twilio/voice", params).status_code == 200
    resp = twilio.post("/twilio/gather?node=" + "x" * 65 + "&seq=1", {**params, "Digits": "1"})
    assert resp.status_code == 200
    assert "node=language&amp;seq=1" in resp.text  # the current step, presented again
    assert spooled(app) == []
    replays = [e for e in load(app, params["CallSid"]).events if e.kind == "replay"]
    assert [e.node for e in replays] == ["x" * 64]


@pytest.mark.parametrize(
    "timestamp",
    [
        "Fri, 31 Dec 9999 23:59:59 -0100",  # past year 9999 in UTC: OverflowError
        "Fri, 31 Dec 9999 23:59:59 +0000",
        "Mon, 01 Jan 1900 00:00:00 +0000",
    ],
)
def test_a_timestamp_far_from_now_is_not_the_end_of_the_call(
    app: Flask, twilio: TwilioClient, timestamp: str
) -> None:
    params = call_params()
    assert twilio.post("/twilio/voice", params).status_code == 200
    done = {**params, "CallStatus": "completed", "CallDuration": "30", "Timestamp": timestamp}
    before = datetime.now(UTC)
    assert twilio.post("/twilio/status", done).status_code == 204
    assert spooled(app) == []
    call = load(app, params["CallSid"])
    assert call.ended_at is not None and before <= call.ended_at <= datetime.now(UTC)
    assert call.duration_s == 30


def test_a_plausible_timestamp_is_kept(app: Flask, twilio: TwilioClient) -> None:
    params = call_params()
    assert twilio.post("/twilio/voice", params).status_code == 200
    ended = (datetime.now(UTC) - timedelta(minutes=5)).replace(microsecond=0)
    stamp = ended.strftime("%a, %d %b %Y %H:%M:%S +0000")
    done = {**params, "CallStatus": "completed", "Timestamp": stamp}
    assert twilio.post("/twilio/status", done).status_code == 204
    assert load(app, params["CallSid"]).ended_at == ended


def test_recording_rows_stay_one_per_sid(app: Flask, twilio: TwilioClient) -> None:
    """Guard for the fix above: a NUL-free RecordingSid still maps to a single row."""
    params = call_params()
    sid = "RE" + "d" * 32
    for status in ("completed", "completed\x00", "absent"):
        rec = {**params, "RecordingSid": sid, "RecordingStatus": status}
        assert twilio.post("/twilio/recording-status", rec).status_code == 204
    with app.extensions["database"].session() as session:
        rows = session.scalars(select(Recording).where(Recording.recording_sid == sid)).all()
        assert [r.status for r in rows] == ["completed"]
        events = session.scalars(
            select(CallEvent).where(
                CallEvent.call_id == rows[0].call_id, CallEvent.kind == "recording"
            )
        ).all()
        assert len(events) == 1
