"""TwiML is read the way Twilio reads it; Gather keys are split the way Twilio splits them."""

from __future__ import annotations

import pytest

from ivr.simulator.twiml import TwimlError, parse_twiml
from ivr.simulator.verbs import split_keys

URL = "https://tips.example.org/twilio/voice"


def test_parses_verbs_attributes_and_spoken_text() -> None:
    body = (
        b'<?xml version="1.0" encoding="UTF-8"?><Response>'
        b'<Gather numDigits="1"><Say language="fr-CA">Appuyez <break time="1s"/> sur\n 1</Say>'
        b"</Gather><Dial><Number>+16135550100</Number></Dial></Response>"
    )

    document = parse_twiml(URL, body, "text/xml; charset=utf-8")

    gather, dial = document.verbs
    assert gather.attrs == {"numDigits": "1"}
    assert gather.children[0].text == "Appuyez sur 1"
    assert dial.children[0].text == "+16135550100"
    assert document.warnings == ()


@pytest.mark.parametrize(
    ("body", "content_type", "code"),
    [
        (b"\n<?xml version='1.0'?><Response/>", "text/xml", 12100),
        (b"<Response><Say>a & b</Say></Response>", "text/xml", 12100),
        (b"", "text/xml", 12100),
        (b'<!DOCTYPE r [<!ENTITY a "b">]><Response/>', "text/xml", 12100),
        (b"<response/>", "text/xml", 12100),
        (b"<Response><Number>1</Number></Response>", "text/xml", 12200),
        (b"<Response><Redirect><Say>x</Say></Redirect></Response>", "text/xml", 12200),
        (b"<Response/>", "text/plain", 12300),
        (b"<Response/>", "", 12300),
        (b"<Response>" + b" " * 65_536 + b"</Response>", "text/xml", 11750),
    ],
)
def test_rejects_what_twilio_rejects(body: bytes, content_type: str, code: int) -> None:
    with pytest.raises(TwimlError) as caught:
        parse_twiml(URL, body, content_type)

    assert caught.value.code == code


@pytest.mark.parametrize(
    "content_type", ["text/xml", "application/xml", "text/html; charset=utf-8"]
)
def test_accepts_twiml_content_types(content_type: str) -> None:
    assert parse_twiml(URL, b"<Response/>", content_type).verbs == ()


@pytest.mark.parametrize(
    ("keys", "num_digits", "finish_on_key", "expected"),
    [
        ("", None, "#", ("", "")),
        ("1", 1, "#", ("1", "")),
        ("123", 2, "#", ("12", "")),
        ("6135550142#", None, "#", ("6135550142", "#")),
        ("#", None, "#", ("", "#")),
        ("12#34", None, "#", ("12", "#")),
        ("12#", None, "", ("12#", "")),
        ("9*", None, "*", ("9", "*")),
    ],
)
def test_split_keys(
    keys: str, num_digits: int | None, finish_on_key: str, expected: tuple[str, str]
) -> None:
    assert split_keys(keys, num_digits, finish_on_key) == expected
