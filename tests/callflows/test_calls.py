"""Complete calls through the default flow, in English and in French."""

from __future__ import annotations

import pytest

from callflows import Context, Flow, Hangup
from tests.callflows.conftest import CALLER
from tests.callflows.walk import keys, said, walk

FULL_CALLS = [
    (
        "1 1 2 rec 1 1 1",
        "en",
        {
            "category": "csam",
            "danger": "no",
            "message": "recorded",
            "callback": "number",
            "callback_number": CALLER,
        },
    ),
    (
        "2 2 1 rec# 2",
        "fr",
        {"category": "luring", "danger": "yes", "message": "recorded", "callback": "anonymous"},
    ),
    (
        "1 3 2 rec 1 6132345678 1",
        "en",
        {
            "category": "exploitation",
            "danger": "no",
            "message": "recorded",
            "callback": "number",
            "callback_number": "+16132345678",
        },
    ),
    (
        "2 4 2 rec 1 2042345678 1",
        "fr",
        {
            "category": "other",
            "danger": "no",
            "message": "recorded",
            "callback": "number",
            "callback_number": "+12042345678",
        },
    ),
]


@pytest.mark.parametrize(("script", "language", "expected"), FULL_CALLS)
def test_complete_call_ends_with_reference_and_hangup(
    flow: Flow, ctx: Context, script: str, language: str, expected: dict[str, str]
) -> None:
    call = walk(flow, ctx, script)
    final = call.last
    assert final.state.finished
    assert final.state.node == "close"
    assert final.state.language == language
    assert final.state.vars == expected
    assert keys(final)[-2:] == ["close.reference", "close.thanks"]
    assert final.actions[-1] == Hangup()
    assert call.path()[-1] == ("close", "ended")


@pytest.mark.parametrize(("script", "language", "expected"), FULL_CALLS)
def test_everything_after_the_language_menu_is_in_the_chosen_language(
    flow: Flow, ctx: Context, script: str, language: str, expected: dict[str, str]
) -> None:
    call = walk(flow, ctx, script)
    spoken = [lang for turn in call.turns[1:] for _, lang in said(turn)]
    assert spoken
    assert set(spoken) == {language}


def test_the_greeting_is_said_in_english_then_french(flow: Flow, ctx: Context) -> None:
    first = walk(flow, ctx, "").last
    assert said(first) == [("language.menu", "en"), ("language.menu", "fr")]
    assert first.state.node == "language"
    assert first.state.seq == 1


def test_safety_message_comes_before_the_main_menu(flow: Flow, ctx: Context) -> None:
    turn = walk(flow, ctx, "1").last
    assert keys(turn) == ["safety.danger", "safety.notice", "main.menu"]
    assert turn.state.node == "main_menu"


def test_danger_yes_repeats_the_911_advice(flow: Flow, ctx: Context) -> None:
    turn = walk(flow, ctx, "1 1 1").last
    assert keys(turn) == ["danger.advice", "message.prompt"]
    assert turn.state.vars["danger"] == "yes"
    assert turn.state.node == "message"


def test_ivr_path_of_a_full_call(flow: Flow, ctx: Context) -> None:
    call = walk(flow, ctx, "1 2 2 rec 2")
    assert call.path() == [
        ("language", "presented"),
        ("language", "chosen"),
        ("safety", "presented"),
        ("main_menu", "presented"),
        ("main_menu", "chosen"),
        ("danger", "presented"),
        ("danger", "chosen"),
        ("message", "presented"),
        ("message", "recorded"),
        ("callback", "presented"),
        ("callback", "chosen"),
        ("close", "ended"),
    ]
    assert {event.at for event in call.events} == {ctx.now}
    assert [e.input for e in call.events if e.outcome == "chosen"] == ["1", "2", "2", "2"]


def test_seq_grows_with_every_input_request(flow: Flow, ctx: Context) -> None:
    call = walk(flow, ctx, "1 7 9 1 2 empty rec 2")
    assert [turn.state.seq for turn in call.turns] == [1, 2, 3, 4, 5, 6, 7, 8, 8]
