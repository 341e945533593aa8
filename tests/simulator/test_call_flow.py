"""The simulator follows TwiML verb by verb, as Twilio does."""

from __future__ import annotations

import re
from concurrent.futures import ThreadPoolExecutor

import pytest

from ivr.simulator import CallScript, TwilioSimulator, tone_wav

from .conftest import StubServer, twiml

MENU = (
    '<Gather numDigits="1" action="/twilio/menu"><Say language="fr-CA">Appuyez sur 1</Say></Gather>'
)


def test_first_request_carries_twilio_parameters_and_headers(
    stub: StubServer, sim: TwilioSimulator
) -> None:
    stub.app.route("/twilio/voice", twiml("<Hangup/>"))

    result = sim.place_call(CallScript(from_number="+16135550142", to_number="+18005550199"))

    (voice,) = stub.app.at("/twilio/voice")
    assert voice.method == "POST"
    assert re.fullmatch(r"CA[0-9a-f]{32}", voice.params["CallSid"])
    assert voice.params["CallSid"] == result.call_sid
    assert voice.params["AccountSid"].startswith("AC")
    assert voice.params["From"] == voice.params["Caller"] == "+16135550142"
    assert voice.params["To"] == voice.params["Called"] == "+18005550199"
    assert voice.params["CallStatus"] == "ringing"
    assert voice.params["ApiVersion"] == "2010-04-01"
    assert voice.params["Direction"] == "inbound"
    assert voice.params["FromCountry"] == "CA"
    assert voice.params["FromState"] == "ON"
    assert voice.headers["User-Agent"] == "TwilioProxy/1.1"
    assert voice.headers["I-Twilio-Idempotency-Token"]
    assert voice.headers["Content-Type"] == "application/x-www-form-urlencoded"


def test_withheld_caller_id_is_anonymous(stub: StubServer, sim: TwilioSimulator) -> None:
    stub.app.route("/twilio/voice", twiml("<Hangup/>"))

    sim.place_call(CallScript(from_number=None))

    (voice,) = stub.app.at("/twilio/voice")
    assert voice.params["From"] == voice.params["Caller"] == "anonymous"
    assert voice.params["FromCountry"] == voice.params["FromState"] == ""


def test_say_and_gather_digits_reach_the_action(stub: StubServer, sim: TwilioSimulator) -> None:
    stub.app.route(
        "/twilio/voice", twiml('<Say language="en-CA" voice="woman">Welcome</Say>', MENU)
    )
    stub.app.route("/twilio/menu", twiml("<Say>Merci</Say>", "<Hangup/>"))

    result = sim.place_call(CallScript(answers=["1"]))

    (menu,) = stub.app.at("/twilio/menu")
    assert menu.params["Digits"] == "1"
    assert menu.params["FinishedOnKey"] == ""
    assert menu.params["CallStatus"] == "in-progress"
    assert result.heard == [("en-CA", "Welcome"), ("fr-CA", "Appuyez sur 1"), ("en-US", "Merci")]
    assert result.events[0].voice == "woman"
    assert result.ended_by == "app"
    assert [g.digits for g in result.gathers] == ["1"]
    assert result.errors == []


@pytest.mark.parametrize(
    ("gather", "answer", "digits", "finished_on_key"),
    [
        ("<Gather>", "6135550142#", "6135550142", "#"),
        ('<Gather numDigits="1">', "29", "2", ""),
        ('<Gather finishOnKey="*">', "12*", "12", "*"),
        ('<Gather finishOnKey="">', "12#", "12#", ""),
        ("<Gather>", "42", "42", ""),
    ],
)
def test_gather_honours_num_digits_and_finish_on_key(
    stub: StubServer,
    sim: TwilioSimulator,
    gather: str,
    answer: str,
    digits: str,
    finished_on_key: str,
) -> None:
    stub.app.route(
        "/twilio/voice", twiml(gather.replace(">", ' action="/twilio/next">'), "</Gather>")
    )

    sim.place_call(CallScript(answers=[answer]))

    (action,) = stub.app.at("/twilio/next")
    assert action.params["Digits"] == digits
    assert action.params["FinishedOnKey"] == finished_on_key


def test_empty_gather_skips_to_the_next_verb(stub: StubServer, sim: TwilioSimulator) -> None:
    stub.app.route(
        "/twilio/voice",
        twiml(MENU, "<Say>No input</Say>", "<Redirect>/twilio/again</Redirect>"),
    )
    stub.app.route("/twilio/again", twiml("<Hangup/>"))

    result = sim.place_call(CallScript(answers=[""]))

    assert stub.app.at("/twilio/menu") == []
    assert len(stub.app.at("/twilio/again")) == 1
    assert ("en-US", "No input") in result.heard
    assert result.gathers[0].action_requested is False


def test_action_on_empty_result_requests_the_action(stub: StubServer, sim: TwilioSimulator) -> None:
    stub.app.route(
        "/twilio/voice",
        twiml('<Gather action="/twilio/menu" actionOnEmptyResult="true"><Say>Hi</Say></Gather>'),
    )

    sim.place_call(CallScript(answers=[""]))

    (menu,) = stub.app.at("/twilio/menu")
    assert menu.params["Digits"] == ""


def test_gather_without_action_posts_to_the_current_document(
    stub: StubServer, sim: TwilioSimulator
) -> None:
    stub.app.route("/twilio/voice", twiml("<Redirect>/twilio/ask?step=2</Redirect>"))
    stub.app.route("/twilio/ask", twiml('<Gather numDigits="1"/>'))

    sim.place_call(CallScript(answers=["3", "hangup"]))

    first, second = stub.app.at("/twilio/ask")
    assert "Digits" not in first.params
    assert second.url.endswith("/twilio/ask?step=2")
    assert second.params["Digits"] == "3"


def test_relative_urls_resolve_against_the_document(stub: StubServer, sim: TwilioSimulator) -> None:
    stub.app.route("/twilio/voice", twiml('<Gather numDigits="1" action="menu?lang=fr"/>'))
    stub.app.route("/twilio/menu", twiml("<Redirect>../twilio/step/one</Redirect>"))
    stub.app.route("/twilio/step/one", twiml("<Redirect>two</Redirect>"))
    stub.app.route("/twilio/step/two", twiml(f"<Redirect>{stub.url}/twilio/end</Redirect>"))
    stub.app.route("/twilio/end", twiml("<Hangup/>"))

    result = sim.place_call(CallScript(answers=["2"]))

    assert [r.url.removeprefix(stub.url) for r in result.requests_of("gather")] == [
        "/twilio/menu?lang=fr"
    ]
    assert [r.url.removeprefix(stub.url) for r in result.requests_of("redirect")] == [
        "/twilio/step/one",
        "/twilio/step/two",
        "/twilio/end",
    ]
    assert result.errors == []


def test_get_method_sends_parameters_in_the_query_string(
    stub: StubServer, sim: TwilioSimulator
) -> None:
    stub.app.route(
        "/twilio/voice", twiml('<Gather numDigits="1" action="/twilio/menu?a=1" method="GET"/>')
    )
    stub.app.route("/twilio/menu", twiml("<Hangup/>"))

    sim.place_call(CallScript(answers=["7"]))

    (menu,) = stub.app.at("/twilio/menu")
    assert menu.method == "GET"
    assert menu.params["Digits"] == "7"
    assert menu.params["a"] == "1"
    assert menu.signature_valid


def test_caller_hangs_up_at_a_gather(stub: StubServer, sim: TwilioSimulator) -> None:
    stub.app.route("/twilio/voice", twiml(MENU))

    result = sim.place_call(CallScript(answers=["hangup"]))

    assert stub.app.at("/twilio/menu") == []
    assert result.ended_by == "caller"
    assert result.script_exhausted is False
    (status,) = stub.app.at("/twilio/status")
    assert status.params["CallStatus"] == "completed"


def test_running_out_of_answers_counts_as_hanging_up(
    stub: StubServer, sim: TwilioSimulator
) -> None:
    stub.app.route("/twilio/voice", twiml(MENU))

    result = sim.place_call(CallScript(answers=[]))

    assert result.ended_by == "caller"
    assert result.script_exhausted is True
    assert "no scripted answer left" in result.transcript()


def test_dial_with_action_posts_the_dial_status(stub: StubServer, sim: TwilioSimulator) -> None:
    stub.app.route(
        "/twilio/voice",
        twiml('<Dial action="/twilio/dialed" timeout="20"><Number>+16135550100</Number></Dial>'),
    )
    stub.app.route("/twilio/dialed", twiml("<Hangup/>"))

    result = sim.place_call(CallScript())

    (dialed,) = stub.app.at("/twilio/dialed")
    assert dialed.params["DialCallStatus"] == "no-answer"
    assert dialed.params["DialCallDuration"] == "0"
    assert re.fullmatch(r"CA[0-9a-f]{32}", dialed.params["DialCallSid"])
    assert result.duration_s >= 20


def test_dial_without_action_goes_on_with_the_next_verb(
    stub: StubServer, sim: TwilioSimulator
) -> None:
    stub.app.route(
        "/twilio/voice", twiml("<Dial>+16135550100</Dial>", "<Say>Nobody answered</Say>")
    )

    result = sim.place_call(CallScript(dial_status="completed"))

    assert result.heard == [("en-US", "Nobody answered")]
    assert "+16135550100 -> completed" in result.transcript()


def test_reject_leaves_the_call_unanswered(stub: StubServer, sim: TwilioSimulator) -> None:
    stub.app.route("/twilio/voice", twiml('<Reject reason="busy"/>', "<Say>never</Say>"))

    result = sim.place_call(CallScript())

    (status,) = stub.app.at("/twilio/status")
    assert status.params["CallStatus"] == "busy"
    assert status.params["CallDuration"] == "0"
    assert result.heard == []


def test_end_of_document_hangs_up(stub: StubServer, sim: TwilioSimulator) -> None:
    stub.app.route("/twilio/voice", twiml("<Say>Goodbye</Say>", "<Pause length='2'/>"))

    result = sim.place_call(CallScript())

    assert result.ended_by == "app"
    assert result.transcript().splitlines() == [
        ">> IVR [en-US]: Goodbye",
        ">> IVR pauses: 2 s",
        ">> IVR hangs up: end of the document",
    ]


def test_status_callback_reports_the_simulated_duration(
    stub: StubServer, sim: TwilioSimulator
) -> None:
    # 150 characters at 15 a second, then a 5 s gather timeout and a 3 s pause.
    stub.app.route(
        "/twilio/voice", twiml(f"<Say>{'a' * 150}</Say>", "<Gather/>", '<Pause length="3"/>')
    )

    result = sim.place_call(CallScript(answers=[""]))

    (status,) = stub.app.at("/twilio/status")
    assert status.params["CallStatus"] == "completed"
    assert status.params["CallDuration"] == "18" == str(result.duration_s)
    assert status.params["SequenceNumber"] == "0"
    assert status.params["CallbackSource"] == "call-progress-events"
    assert re.fullmatch(
        r"\w{3}, \d\d \w{3} \d{4} \d\d:\d\d:\d\d \+0000", status.params["Timestamp"]
    )


def test_transcript_reads_as_a_dialogue(stub: StubServer, sim: TwilioSimulator) -> None:
    stub.app.route("/twilio/voice", twiml(MENU))
    stub.app.route("/twilio/menu", twiml("<Gather/>"))

    result = sim.place_call(CallScript(answers=["2", ""]))

    assert result.transcript().splitlines() == [
        ">> IVR [fr-CA]: Appuyez sur 1",
        "<< caller presses 2",
        "<< caller presses nothing (5 s)",
        ">> IVR hangs up: end of the document",
    ]


def test_interactive_call_asks_the_terminal(stub: StubServer, sim: TwilioSimulator) -> None:
    stub.app.route("/twilio/voice", twiml(MENU))
    stub.app.route("/twilio/menu", twiml("<Gather/>"))
    typed = iter(["x", "1", "h"])
    shown: list[str] = []

    result = sim.place_call_interactive(read=lambda prompt: next(typed), write=shown.append)

    assert result.ended_by == "caller"
    assert [g.digits for g in result.gathers] == ["1"]
    assert shown[0] == ">> IVR [fr-CA]: Appuyez sur 1"
    assert "   use the keys 0-9, * and #" in shown


def test_script_rejects_answers_that_are_not_keys() -> None:
    with pytest.raises(ValueError, match="keypad"):
        CallScript(answers=["one"])


def test_calls_can_run_in_parallel(stub: StubServer, sim: TwilioSimulator) -> None:
    stub.app.route("/twilio/voice", twiml(MENU))
    stub.app.route("/twilio/menu", twiml('<Record action="/twilio/recorded"/>'))
    voicemail = tone_wav(1.0)

    with ThreadPoolExecutor(max_workers=6) as pool:
        results = list(
            pool.map(
                lambda _: sim.place_call(CallScript(answers=["1"], voicemail=voicemail)), range(24)
            )
        )

    assert len({r.call_sid for r in results}) == 24
    assert all(r.errors == [] and len(r.recordings) == 1 for r in results)
    assert len(sim.media.all_stats()) == 24
    assert len(stub.app.at("/twilio/status")) == 24
