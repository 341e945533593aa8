"""With the database down the caller still leaves a message, and nothing is lost."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

from sqlalchemy import select

from ivr.telephony.replay import replay_spool
from models import Call
from tests.conftest import TwilioClient, app_config, call_params, running_app

DEAD_DATABASE = "postgresql+psycopg://postgres@127.0.0.1:1/nowhere?connect_timeout=1"


def _degraded_answer(twiml: str) -> None:
    root = ET.fromstring(twiml)
    assert root.tag == "Response"
    languages = {say.attrib["language"] for say in root.iter("Say")}
    assert languages == {"en-CA", "fr-CA"}
    record = root.find("Record")
    assert record is not None
    assert record.attrib["action"].endswith("/twilio/fallback/recorded")
    assert record.attrib["recordingStatusCallback"].endswith("/twilio/recording-status")


def test_database_down_answers_degraded_and_spools(database_url: str, tmp_path: Path) -> None:
    config = app_config(DEAD_DATABASE, tmp_path)
    params = call_params()
    with running_app(config) as down:
        twilio = TwilioClient(down.test_client(), config["TWILIO_AUTH_TOKEN"])
        _calls_while_down(twilio, params)
    spooled = sorted((tmp_path / "spool").glob("*.req"))
    assert len(spooled) == 4
    assert all(b"6135550142" not in p.read_bytes() for p in spooled)

    # The database is back: the same spool is filed into it.
    with running_app({**config, "DATABASE_URL": database_url}) as up:
        assert replay_spool(up) == 4
        assert replay_spool(up) == 0
        with up.extensions["database"].session() as s:
            call = s.scalars(select(Call).where(Call.call_sid == params["CallSid"])).one()
            assert call.degraded and call.status == "completed" and call.duration_s == 30
            assert [(r.recording_sid, r.status, r.duration_s) for r in call.recordings] == [
                (RECORDING_SID, "completed", 11)
            ]
            assert call.ended_by == "caller"


RECORDING_SID = "RE" + "c" * 32


def _calls_while_down(twilio: TwilioClient, params: dict[str, str]) -> None:
    resp = twilio.post("/twilio/voice", params)
    assert resp.status_code == 200 and resp.mimetype == "text/xml"
    _degraded_answer(resp.text)
    recorded = {
        **params,
        "RecordingSid": RECORDING_SID,
        "RecordingUrl": f"https://api.twilio.com/2010-04-01/Accounts/AC1/Recordings/{RECORDING_SID}",
        "RecordingDuration": "11",
        "Digits": "#",
    }
    assert twilio.post("/twilio/fallback/recorded", recorded).status_code == 200
    completed = {**recorded, "RecordingStatus": "completed"}
    assert twilio.post("/twilio/recording-status", completed).status_code == 204
    done = {**params, "CallStatus": "completed", "CallDuration": "30", "SequenceNumber": "3"}
    assert twilio.post("/twilio/status", done).status_code == 204


def test_fallback_url_answers_without_a_database(tmp_path: Path) -> None:
    config = app_config(DEAD_DATABASE, tmp_path)
    with running_app(config) as down:
        twilio = TwilioClient(down.test_client(), config["TWILIO_AUTH_TOKEN"])
        resp = twilio.post("/twilio/fallback", call_params(ErrorCode="11200", ErrorUrl="x"))
    assert resp.status_code == 200
    _degraded_answer(resp.text)
    assert len(list((tmp_path / "spool").glob("*.req"))) == 1
