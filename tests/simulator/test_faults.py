"""Twilio's bad days: duplicates, retries, late callbacks, app errors, looping flows."""

from __future__ import annotations

import socket

import pytest

from ivr.simulator import APPLICATION_ERROR, CallScript, Faults, TwilioSimulator, tone_wav
from ivr.simulator.script import CallbackOrder

from .conftest import ACCOUNT_SID, AUTH_TOKEN, StubServer, twiml

RECORD = '<Record action="/twilio/recorded" recordingStatusCallback="/twilio/recording"/>'
FALLBACK = twiml("<Say>Please leave a message after the tone</Say>", "<Hangup/>")


def test_duplicate_callbacks_share_the_idempotency_token(
    stub: StubServer, sim: TwilioSimulator
) -> None:
    stub.app.route("/twilio/voice", twiml(RECORD))

    sim.place_call(CallScript(voicemail=tone_wav(1.0)), faults=Faults(duplicate_callbacks=True))

    for path in ("/twilio/status", "/twilio/recording"):
        first, second = stub.app.at(path)
        assert first.params == second.params
        token = first.headers["I-Twilio-Idempotency-Token"]
        assert second.headers["I-Twilio-Idempotency-Token"] == token
    assert len(stub.app.at("/twilio/recorded")) == 1


def test_replayed_actions_are_sent_twice_and_recorded(
    stub: StubServer, sim: TwilioSimulator
) -> None:
    stub.app.route("/twilio/voice", twiml('<Gather numDigits="1" action="/twilio/menu"/>'))
    stub.app.route("/twilio/menu", twiml("<Say>Menu</Say>"))

    result = sim.place_call(CallScript(answers=["2"]), faults=Faults(replay_actions=True))

    first, replay = result.requests_of("gather")
    assert (first.replay, replay.replay) == (False, True)
    assert first.params == replay.params
    assert first.idempotency_token == replay.idempotency_token
    assert replay.response_text == first.response_text
    assert result.heard == [("en-US", "Menu")]


@pytest.mark.parametrize(
    ("order", "kinds"),
    [
        ("twilio", ["status", "recording-status"]),
        ("status_last", ["recording-status", "status"]),
    ],
)
def test_callbacks_order(
    stub: StubServer, sim: TwilioSimulator, order: CallbackOrder, kinds: list[str]
) -> None:
    stub.app.route("/twilio/voice", twiml(RECORD))

    result = sim.place_call(
        CallScript(voicemail=tone_wav(1.0)),
        faults=Faults(callbacks_order=order),
    )

    assert [r.kind for r in result.requests][2:] == kinds


def test_shuffled_callbacks_follow_the_seed(stub: StubServer, sim: TwilioSimulator) -> None:
    stub.app.route("/twilio/voice", twiml(RECORD))
    faults = Faults(callbacks_order="shuffled", seed=7, duplicate_callbacks=True)

    orders = [
        [
            r.kind
            for r in sim.place_call(CallScript(voicemail=tone_wav(1.0)), faults=faults).requests
        ]
        for _ in range(2)
    ]

    assert orders[0] == orders[1]
    assert sorted(orders[0][2:]) == ["recording-status"] * 2 + ["status"] * 2


@pytest.mark.parametrize(
    ("body", "mimetype", "status", "code"),
    [
        ("oops", "text/plain", 500, 11200),
        (" \n" + twiml("<Say>x</Say>"), "text/xml", 200, 12100),
        ("<Response><Say>Fish & chips</Say></Response>", "text/xml", 200, 12100),
        ("<Document><Say>x</Say></Document>", "text/xml", 200, 12100),
        (twiml("<Dance/>"), "text/xml", 200, 12200),
        (twiml("<Gather><Record/></Gather>"), "text/xml", 200, 12200),
        (twiml("<Say>" + "a" * 70_000 + "</Say>"), "text/xml", 200, 11750),
        ('{"say": "hello"}', "application/json", 200, 12300),
    ],
)
def test_failed_voice_url_is_an_error_and_the_fallback_is_requested(
    stub: StubServer, sim: TwilioSimulator, body: str, mimetype: str, status: int, code: int
) -> None:
    stub.app.route("/twilio/voice", body, status=status, mimetype=mimetype)
    stub.app.route("/twilio/fallback", FALLBACK)

    result = sim.place_call(CallScript())

    (error,) = result.errors
    assert error.code == code
    assert error.kind == "voice"
    (fallback,) = stub.app.at("/twilio/fallback")
    assert fallback.params["ErrorCode"] == str(code)
    assert fallback.params["ErrorUrl"] == f"{stub.url}/twilio/voice"
    assert fallback.params["CallSid"] == result.call_sid
    assert result.heard == [("en-US", "Please leave a message after the tone")]
    assert result.ended_by == "app"


def test_failed_action_also_goes_to_the_fallback(stub: StubServer, sim: TwilioSimulator) -> None:
    stub.app.route("/twilio/voice", twiml('<Gather numDigits="1" action="/twilio/menu"/>'))
    stub.app.route("/twilio/menu", "boom", status=502, mimetype="text/plain")
    stub.app.route("/twilio/fallback", FALLBACK)

    result = sim.place_call(CallScript(answers=["1"]))

    assert [e.kind for e in result.errors] == ["gather"]
    (fallback,) = stub.app.at("/twilio/fallback")
    assert fallback.params["Digits"] == "1"
    assert fallback.params["ErrorUrl"] == f"{stub.url}/twilio/menu"


def test_when_the_fallback_fails_too_the_caller_hears_twilio(
    stub: StubServer, sim: TwilioSimulator
) -> None:
    stub.app.route("/twilio/voice", "boom", status=500, mimetype="text/plain")
    stub.app.route("/twilio/fallback", "boom", status=500, mimetype="text/plain")

    result = sim.place_call(CallScript())

    assert [(e.kind, e.code) for e in result.errors] == [("voice", 11200), ("fallback", 11200)]
    assert result.heard == [("en-US", APPLICATION_ERROR)]
    assert result.ended_by == "error"
    assert len(stub.app.at("/twilio/status")) == 1


def test_unreachable_app_is_a_connection_error(stub: StubServer) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        closed_port = probe.getsockname()[1]

    with TwilioSimulator(f"http://127.0.0.1:{closed_port}", ACCOUNT_SID, AUTH_TOKEN) as sim:
        result = sim.place_call(CallScript())

    assert [e.code for e in result.errors] == [11205, 11205, 11205]
    assert [r.kind for r in result.requests] == ["voice", "fallback", "status"]
    assert all(r.status is None for r in result.requests)
    assert result.ended_by == "error"


def test_step_limit_stops_a_redirect_loop(stub: StubServer) -> None:
    stub.app.route("/twilio/voice", twiml("<Say>Again</Say>", "<Redirect>/twilio/voice</Redirect>"))

    with TwilioSimulator(stub.url, ACCOUNT_SID, AUTH_TOKEN, max_steps=20) as sim:
        result = sim.place_call(CallScript())

    (error,) = result.errors
    assert error.code is None
    assert error.kind == "limit"
    assert result.ended_by == "error"
    assert len(result.requests_of("redirect")) == 10
    assert len(stub.app.at("/twilio/status")) == 1


def test_status_callback_errors_are_recorded(stub: StubServer, sim: TwilioSimulator) -> None:
    stub.app.route("/twilio/voice", twiml("<Hangup/>"))
    stub.app.route("/twilio/status", "no", status=500, mimetype="text/plain")

    result = sim.place_call(CallScript())

    assert [(e.kind, e.code) for e in result.errors] == [("status", 11200)]


def test_unknown_attributes_are_warnings(stub: StubServer, sim: TwilioSimulator) -> None:
    stub.app.route(
        "/twilio/voice", twiml('<Say lang="fr-CA">Bonjour</Say>', "<Enqueue>q</Enqueue>")
    )

    result = sim.place_call(CallScript())

    assert result.errors == []
    assert len(result.warnings) == 2
    assert "unknown attribute 'lang'" in result.warnings[0]
    assert "<Enqueue> is not simulated" in result.warnings[1]
