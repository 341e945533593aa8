"""TwiML: well-formed, the right verbs, URLs and attributes."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest

from callflows import Context, Flow, Prompts, Turn, present, render
from tests.callflows.conftest import OPERATOR, REFERENCE, make_context
from tests.callflows.walk import walk

BASE = "https://tipline.example.ca"
VOICES = {"en-CA": "Polly.Joanna", "fr-CA": "Polly.Chantal"}
SCRIPTS = [
    "",
    "1",
    "2",
    "1 7",
    "1 8",
    "1 0",
    "1 0 dial:busy",
    "1 1 2",
    "1 1 2 empty",
    "1 1 2 rec 1",
    "1 1 2 rec 1 6132345678",
    "2 1 1 rec 1 6132345678 1",
    "1 1 2 hangup",
]


def _xml(text: str) -> ET.Element:
    assert text.startswith("<?xml")
    assert len(text.encode()) < 64_000
    root = ET.fromstring(text)  # our own output, not untrusted input
    assert root.tag == "Response"
    return root


def _render(turn: Turn, prompts: Prompts, *, transcribe: bool = False) -> ET.Element:
    return _xml(render(turn, prompts, base_url=BASE, voices=VOICES, transcribe=transcribe))


@pytest.mark.parametrize("script", SCRIPTS)
def test_every_turn_renders_to_valid_twiml(
    flow: Flow, prompts: Prompts, ctx: Context, script: str
) -> None:
    for turn in walk(flow, ctx, script).turns:
        root = _render(turn, prompts)
        assert len(root) > 0
        for gather in root.iter("Gather"):
            assert {child.tag for child in gather} <= {"Say", "Pause"}
        for say in root.iter("Say"):
            assert say.text
            assert "{" not in say.text
            assert say.get("voice") == VOICES[say.get("language", "")]


def test_gather_posts_back_and_is_followed_by_a_redirect(
    flow: Flow, prompts: Prompts, ctx: Context
) -> None:
    turn = walk(flow, ctx, "1").last
    text = render(turn, prompts, base_url=BASE + "/", voices=VOICES)
    assert "node=main_menu&amp;seq=2" in text
    root = _xml(text)
    says, gather, redirect = list(root)[:2], root[2], root[3]
    assert [say.tag for say in says] == ["Say", "Say"]
    url = f"{BASE}/twilio/gather?node=main_menu&seq=2"
    assert gather.attrib == {
        "action": url,
        "method": "POST",
        "input": "dtmf",
        "numDigits": "1",
        "finishOnKey": "",
        "timeout": "6",
    }
    assert (redirect.tag, redirect.text, redirect.get("method")) == ("Redirect", url, "POST")


def test_number_gather_ends_with_pound(flow: Flow, prompts: Prompts, ctx: Context) -> None:
    root = _render(walk(flow, ctx, "1 1 2 rec 1").last, prompts)
    gather = root.find("Gather")
    assert gather is not None
    assert gather.get("finishOnKey") == "#"
    assert gather.get("numDigits") is None
    assert gather.get("action") == f"{BASE}/twilio/gather?node=callback_number&seq=6"


@pytest.mark.parametrize("transcribe", [False, True])
def test_record_verb(flow: Flow, prompts: Prompts, ctx: Context, transcribe: bool) -> None:
    root = _render(walk(flow, ctx, "1 1 2").last, prompts, transcribe=transcribe)
    tags = [child.tag for child in root]
    assert tags == ["Say", "Record", "Redirect"]
    record, redirect = root[1], root[2]
    url = f"{BASE}/twilio/record?node=message&seq=4"
    expected = {
        "action": url,
        "method": "POST",
        "maxLength": "300",
        "finishOnKey": "#",
        "playBeep": "true",
        "timeout": "10",
        "recordingStatusCallback": f"{BASE}/twilio/recording-status",
        "recordingStatusCallbackMethod": "POST",
        "recordingStatusCallbackEvent": "completed absent",
    }
    if transcribe:
        expected |= {"transcribe": "true", "transcribeCallback": f"{BASE}/twilio/transcription"}
    assert record.attrib == expected
    assert redirect.text == url


def test_dial_verb_lists_every_operator(flow: Flow, prompts: Prompts) -> None:
    ctx = make_context(operator_numbers=(OPERATOR, "+12045550101"))
    root = _render(walk(flow, ctx, "1 0").last, prompts)
    dial = root.find("Dial")
    assert dial is not None
    assert dial.attrib == {
        "action": f"{BASE}/twilio/dial?node=transfer&seq=3",
        "method": "POST",
        "timeout": "20",
    }
    assert [number.text for number in dial.iter("Number")] == [OPERATOR, "+12045550101"]


def test_close_reads_the_reference_digit_by_digit(
    flow: Flow, prompts: Prompts, ctx: Context
) -> None:
    root = _render(walk(flow, ctx, "2 1 2 rec 2").last, prompts)
    texts = [say.text or "" for say in root.iter("Say")]
    spelled = ", ".join(REFERENCE)
    assert texts[0].count(spelled) == 2
    assert texts[0].startswith("Votre numéro de signalement")
    assert {say.get("language") for say in root.iter("Say")} == {"fr-CA"}
    assert root[-1].tag == "Hangup"


def test_read_back_speaks_the_number(flow: Flow, prompts: Prompts, ctx: Context) -> None:
    root = _render(walk(flow, ctx, "1 1 2 rec 1 6132345678").last, prompts)
    gather = root.find("Gather")
    assert gather is not None
    say = gather.find("Say")
    assert say is not None
    assert "6, 1, 3, 2, 3, 4, 5, 6, 7, 8" in (say.text or "")


def test_voice_is_omitted_when_not_configured(flow: Flow, prompts: Prompts, ctx: Context) -> None:
    root = _xml(render(walk(flow, ctx, "").last, prompts, base_url=BASE, voices={"fr-CA": "woman"}))
    says = list(root.iter("Say"))
    assert [(s.get("language"), s.get("voice")) for s in says] == [
        ("en-CA", None),
        ("fr-CA", "woman"),
    ]
    gather = root.find("Gather")
    assert gather is not None
    assert [child.tag for child in gather] == ["Say", "Pause", "Say"]


def test_finished_call_renders_a_bare_hangup(flow: Flow, prompts: Prompts, ctx: Context) -> None:
    state = walk(flow, ctx, "1 1 2 hangup").last.state
    root = _render(present(flow, state, ctx), prompts)
    assert [child.tag for child in root] == ["Hangup"]


def test_ampersands_are_escaped(flow: Flow, prompts: Prompts, ctx: Context) -> None:
    text = render(walk(flow, ctx, "").last, prompts, base_url=f"{BASE}/a&b", voices={})
    assert "/a&amp;b/twilio/gather?node=language&amp;seq=1" in text
    _xml(text)
