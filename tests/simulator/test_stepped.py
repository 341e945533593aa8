"""A call played one answer at a time (state through JSON between steps) makes the same
requests and is heard the same as the call played in one go."""

from __future__ import annotations

import json

from ivr.simulator import CallScript, TwilioSimulator, tone_wav
from ivr.simulator.stepped import CallState, Step, continue_call, start_call

from .conftest import StubServer, twiml

VOICE = twiml(
    '<Say>Welcome.</Say><Gather numDigits="1" action="/menu"><Say>Press 1 or 2.</Say></Gather>',
    "<Redirect>/voice</Redirect>",
)
MENU = twiml(
    "<Say>Leave a message after the beep.</Say>",
    '<Record action="/recorded" recordingStatusCallback="/recording-status" maxLength="60"/>',
)
RECORDED = twiml(
    '<Gather numDigits="1" action="/last"><Say>Press 9 to finish.</Say></Gather>',
    "<Hangup/>",
)
LAST = twiml("<Say>Goodbye.</Say><Hangup/>")


def _routes(stub: StubServer) -> None:
    for path, body in (
        ("/voice", VOICE),
        ("/menu", MENU),
        ("/recorded", RECORDED),
        ("/last", LAST),
    ):
        stub.app.route(path, body)


def _through_json(step: Step) -> CallState:
    assert step.state is not None
    return CallState.from_dict(json.loads(json.dumps(step.state.to_dict())))


def test_a_stepped_call_is_the_same_call(stub: StubServer) -> None:
    _routes(stub)
    audio = tone_wav(3.0)
    script = CallScript(answers=["", "2", "9"], voicemail=audio)
    with TwilioSimulator(
        stub.url, "AC" + "0" * 32, stub.app.auth_token, voice_path="/voice"
    ) as sim:
        whole = sim.place_call(script)
    whole_requests = [(r.path, r.params.get("Digits")) for r in stub.app.received]
    stub.app.received.clear()

    heard: list[str] = []
    with TwilioSimulator(
        stub.url, "AC" + "0" * 32, stub.app.auth_token, voice_path="/voice"
    ) as sim:
        step = start_call(sim, script)
        heard += [e.text for e in step.events if e.kind == "say"]
        for keys in script.answers:
            assert step.prompt is not None and step.prompt.num_digits == 1
            step = continue_call(sim, script, _through_json(step), keys)
            heard += [e.text for e in step.events if e.kind == "say"]
        assert step.state is None  # over, callbacks sent
        assert sim.wait_for_downloads(0) is False  # nobody fetched: served, not downloaded
        (recording,) = sim.media.all_stats()
    stepped_requests = [(r.path, r.params.get("Digits")) for r in stub.app.received]

    assert stepped_requests == whole_requests
    assert heard == [e.text for e in whole.events if e.kind == "say"]
    assert heard.count("Press 1 or 2.") == 2  # re-prompted after no input, not on resume
    assert [r.path for r in stub.app.received][-2:] == ["/twilio/status", "/recording-status"]
    assert all(r.signature_valid for r in stub.app.received)
    assert recording.sid == step.result.recordings[0].sid
