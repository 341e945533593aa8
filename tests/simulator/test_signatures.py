"""Every request is signed for the URL Twilio believes it calls."""

from __future__ import annotations

from twilio.request_validator import RequestValidator

from ivr.simulator import CallScript, Faults, TwilioSimulator, tone_wav
from ivr.simulator.signing import UrlMap, sign

from .conftest import ACCOUNT_SID, AUTH_TOKEN, StubServer, twiml


def _route_full_call(stub: StubServer) -> None:
    """A call using POST and GET, query strings, relative URLs and every callback."""
    record = (
        '<Record action="recorded?x=1" method="GET" recordingStatusCallback="/twilio/recording"'
        ' transcribe="true" transcribeCallback="/twilio/transcription"/>'
    )
    stub.app.route("/twilio/voice", twiml('<Gather numDigits="1" action="/twilio/menu"/>'))
    stub.app.route("/twilio/menu", twiml(record))
    stub.app.route("/twilio/recorded", twiml('<Redirect method="GET">end?y=2</Redirect>'))
    stub.app.route("/twilio/end", twiml("<Gather/>"))


def test_twilio_test_vector() -> None:
    params = {
        "CallSid": "CA1234567890ABCDE",
        "Caller": "+14158675309",
        "Digits": "1234",
        "From": "+14158675309",
        "To": "+18005551212",
    }
    url = "https://mycompany.com/myapp.php?foo=1&bar=2"

    assert sign("12345", url, params) == "RSOYDt4T1cUTdK1PDd93/VVr8B8="


def test_every_request_validates(stub: StubServer, sim: TwilioSimulator) -> None:
    _route_full_call(stub)

    result = sim.place_call(
        CallScript(answers=["1", "hangup"], voicemail=tone_wav(1.0)),
        faults=Faults(duplicate_callbacks=True, replay_actions=True),
    )

    kinds = {"voice", "gather", "record", "redirect", "status", "recording-status", "transcription"}
    assert {r.kind for r in result.requests} == kinds
    assert {r.method for r in result.requests} == {"GET", "POST"}
    assert len(stub.app.received) == len(result.requests)
    assert all(received.signature_valid for received in stub.app.received)
    assert result.errors == []


def test_signed_for_the_public_url_behind_a_proxy(stub: StubServer) -> None:
    stub.app.public_base = "https://tips.example.org"
    _route_full_call(stub)

    with TwilioSimulator(
        stub.url, ACCOUNT_SID, AUTH_TOKEN, public_base_url="https://tips.example.org"
    ) as sim:
        result = sim.place_call(CallScript(answers=["1", "hangup"], voicemail=tone_wav(1.0)))

    assert result.errors == []
    assert all(received.signature_valid for received in stub.app.received)
    assert result.requests[0].url == "https://tips.example.org/twilio/voice"
    assert result.requests[0].sent_to == f"{stub.url}/twilio/voice"


def test_an_app_expecting_another_url_rejects_the_signature(stub: StubServer) -> None:
    stub.app.public_base = "https://tips.example.org"
    stub.app.route("/twilio/voice", twiml("<Hangup/>"))

    with TwilioSimulator(stub.url, ACCOUNT_SID, AUTH_TOKEN) as sim:
        result = sim.place_call(CallScript())

    assert [r.status for r in result.requests] == [403, 403, 403]
    assert [e.code for e in result.errors] == [11200, 11200, 11200]


def test_get_requests_sign_the_url_with_its_query() -> None:
    url = "https://tips.example.org/twilio/recorded?x=1&Digits=%23"
    signature = sign(AUTH_TOKEN, url, {})

    assert RequestValidator(AUTH_TOKEN).validate(url, {}, signature)


def test_url_map_maps_a_public_path_prefix_like_a_proxy() -> None:
    urls = UrlMap("http://127.0.0.1:8000", "https://example.org/hotline/")

    assert urls.public("/twilio/voice") == "https://example.org/hotline/twilio/voice"
    assert urls.address("https://example.org/hotline/twilio/voice") == (
        "http://127.0.0.1:8000/twilio/voice"
    )


def test_url_map_only_rewrites_the_public_base() -> None:
    urls = UrlMap("http://127.0.0.1:8000", "https://tips.example.org")

    assert urls.public("/twilio/voice") == "https://tips.example.org/twilio/voice"
    assert (
        urls.address("https://tips.example.org/twilio/a?b=1")
        == "http://127.0.0.1:8000/twilio/a?b=1"
    )
    assert (
        urls.address("https://tips.example.org.evil.test/x")
        == "https://tips.example.org.evil.test/x"
    )
    assert urls.address("https://other.example.org/x") == "https://other.example.org/x"
