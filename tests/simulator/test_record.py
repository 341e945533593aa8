"""<Record>: the voicemail, its action, its callbacks, and the media it leaves."""

from __future__ import annotations

import re
from pathlib import Path

from ivr.simulator import CallScript, TwilioSimulator, tone_wav

from .conftest import ACCOUNT_SID, StubServer, twiml

RECORD = (
    '<Record action="/twilio/recorded" maxLength="300" '
    'recordingStatusCallback="/twilio/recording" '
    'transcribe="true" transcribeCallback="/twilio/transcription"/>'
)


def test_record_posts_the_recording_to_the_action(stub: StubServer, sim: TwilioSimulator) -> None:
    stub.app.route("/twilio/voice", twiml("<Say>After the tone</Say>", RECORD))
    stub.app.route("/twilio/recorded", twiml("<Say>Thank you</Say>", "<Hangup/>"))
    voicemail = tone_wav(4.0)

    result = sim.place_call(CallScript(voicemail=voicemail, transcription_text="a website"))

    (action,) = stub.app.at("/twilio/recorded")
    (recording,) = result.recordings
    assert re.fullmatch(r"RE[0-9a-f]{32}", recording.sid)
    assert action.params["RecordingSid"] == recording.sid
    assert action.params["RecordingUrl"] == (
        f"{sim.api_base}/2010-04-01/Accounts/{ACCOUNT_SID}/Recordings/{recording.sid}"
    )
    assert action.params["RecordingDuration"] == "4"
    assert action.params["Digits"] == "#"
    assert action.params["CallStatus"] == "in-progress"
    assert result.heard[-1] == ("en-US", "Thank you")
    assert sim.recording_stats(recording.sid).downloads == 0


def test_recording_and_transcription_callbacks_follow_the_call(
    stub: StubServer, sim: TwilioSimulator
) -> None:
    stub.app.route("/twilio/voice", twiml(RECORD))

    result = sim.place_call(
        CallScript(voicemail=tone_wav(2.0), transcription_text="user name kid_helper")
    )

    assert [r.kind for r in result.requests] == [
        "voice",
        "record",
        "status",
        "recording-status",
        "transcription",
    ]
    (callback,) = stub.app.at("/twilio/recording")
    assert callback.params["RecordingStatus"] == "completed"
    assert callback.params["RecordingSid"] == result.recordings[0].sid
    assert callback.params["RecordingDuration"] == "2"
    assert callback.params["RecordingChannels"] == "1"
    assert callback.params["RecordingSource"] == "RecordVerb"
    assert callback.params["ErrorCode"] == "0"
    assert callback.params["RecordingStartTime"].endswith("+0000")
    (transcription,) = stub.app.at("/twilio/transcription")
    assert transcription.params["TranscriptionStatus"] == "completed"
    assert transcription.params["TranscriptionText"] == "user name kid_helper"
    assert transcription.params["TranscriptionSid"].startswith("TR")
    assert transcription.params["RecordingSid"] == result.recordings[0].sid
    assert transcription.params["CallSid"] == result.call_sid


def test_transcription_fails_without_text(stub: StubServer, sim: TwilioSimulator) -> None:
    stub.app.route("/twilio/voice", twiml(RECORD))

    sim.place_call(CallScript(voicemail=tone_wav(1.0)))

    (transcription,) = stub.app.at("/twilio/transcription")
    assert transcription.params["TranscriptionStatus"] == "failed"


def test_hanging_up_ends_the_recording(stub: StubServer, sim: TwilioSimulator) -> None:
    stub.app.route("/twilio/voice", twiml(RECORD, "<Say>never heard</Say>"))
    stub.app.route("/twilio/recorded", twiml("<Say>Also never heard</Say>"))

    result = sim.place_call(CallScript(voicemail=tone_wav(1.5), record_finish="hangup"))

    (action,) = stub.app.at("/twilio/recorded")
    assert action.params["Digits"] == "hangup"
    assert action.params["CallStatus"] == "completed"
    assert result.ended_by == "caller"
    assert result.heard == []


def test_silence_makes_no_action_request(stub: StubServer, sim: TwilioSimulator) -> None:
    stub.app.route("/twilio/voice", twiml(RECORD, "<Say>We did not get a message</Say>"))

    result = sim.place_call(CallScript(voicemail=None))

    assert stub.app.at("/twilio/recorded") == []
    assert stub.app.at("/twilio/transcription") == []
    assert result.heard == [("en-US", "We did not get a message")]
    assert result.recordings == []
    (callback,) = stub.app.at("/twilio/recording")
    assert callback.params["RecordingStatus"] == "absent"


def test_max_length_cuts_the_recording(stub: StubServer, sim: TwilioSimulator) -> None:
    stub.app.route("/twilio/voice", twiml('<Record action="/twilio/recorded" maxLength="2"/>'))

    result = sim.place_call(CallScript(voicemail=tone_wav(5.0)))

    (action,) = stub.app.at("/twilio/recorded")
    assert action.params["RecordingDuration"] == "2"
    assert "Digits" not in action.params
    assert result.recordings[0].duration_s == 2


def test_voicemail_can_be_a_file(stub: StubServer, sim: TwilioSimulator, tmp_path: Path) -> None:
    path = tmp_path / "message.wav"
    path.write_bytes(tone_wav(3.0))
    stub.app.route("/twilio/voice", twiml('<Record action="/twilio/recorded"/>'))

    result = sim.place_call(CallScript(voicemail=path))

    assert result.recordings[0].duration_s == 3
