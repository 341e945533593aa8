"""Menus: every option, re-prompts, the repeat key, default paths."""

from __future__ import annotations

import pytest

from callflows import Context, Flow
from tests.callflows.walk import keys, said, walk


@pytest.mark.parametrize(
    ("digit", "category"),
    [("1", "csam"), ("2", "luring"), ("3", "exploitation"), ("4", "other")],
)
def test_main_menu_categories_lead_to_the_danger_check(
    flow: Flow, ctx: Context, digit: str, category: str
) -> None:
    turn = walk(flow, ctx, f"1 {digit}").last
    assert turn.state.vars == {"category": category}
    assert turn.state.node == "danger"
    assert keys(turn) == ["danger.menu"]


@pytest.mark.parametrize(
    ("script", "node", "retries", "spoken"),
    [
        ("1 7", "main_menu", 1, ["common.invalid", "main.menu"]),
        ("1 -", "main_menu", 1, ["common.no_input", "main.menu"]),
        ("1 #", "main_menu", 1, ["common.invalid", "main.menu"]),
        ("1 7 -", "main_menu", 2, ["common.no_input", "main.menu"]),
        ("1 1 5", "danger", 1, ["common.invalid", "danger.menu"]),
        ("1 1 2 rec -", "callback", 1, ["common.no_input", "callback.menu"]),
    ],
)
def test_invalid_or_missing_input_reprompts(
    flow: Flow, ctx: Context, script: str, node: str, retries: int, spoken: list[str]
) -> None:
    turn = walk(flow, ctx, script).last
    assert turn.state.node == node
    assert turn.state.retries == retries
    assert keys(turn) == spoken


@pytest.mark.parametrize(
    ("script", "node", "expected_vars"),
    [
        ("1 7 7 7", "danger", {"category": "unknown"}),
        ("1 - - -", "danger", {"category": "unknown"}),
        ("1 7 - 6", "danger", {"category": "unknown"}),
        ("1 1 - - -", "message", {"category": "csam"}),
        (
            "1 1 2 rec - 5 -",
            "close",
            {"category": "csam", "danger": "no", "message": "recorded", "callback": "anonymous"},
        ),
    ],
)
def test_after_two_reprompts_the_default_path_is_taken(
    flow: Flow, ctx: Context, script: str, node: str, expected_vars: dict[str, str]
) -> None:
    call = walk(flow, ctx, script)
    assert call.last.state.node == node
    assert call.last.state.vars == expected_vars
    assert "default" in [event.outcome for event in call.last.events]


def test_default_event_carries_the_last_input(flow: Flow, ctx: Context) -> None:
    call = walk(flow, ctx, "1 7 - 6")
    outcomes = [(e.node, e.outcome, e.input) for e in call.events if e.node == "main_menu"]
    assert outcomes == [
        ("main_menu", "presented", None),
        ("main_menu", "invalid", "7"),
        ("main_menu", "timeout", None),
        ("main_menu", "default", "6"),
    ]


def test_repeat_key_does_not_use_a_retry(flow: Flow, ctx: Context) -> None:
    call = walk(flow, ctx, "1 9 9 9 7 7")
    turn = call.last
    assert turn.state.node == "main_menu"
    assert turn.state.retries == 2
    assert [t.state.retries for t in call.turns[1:]] == [0, 0, 0, 0, 1, 2]
    assert keys(call.turns[2]) == ["main.menu"]
    assert [e.outcome for e in call.events[-5:]] == [
        "repeat",
        "repeat",
        "repeat",
        "invalid",
        "invalid",
    ]
    # still one chance left: a valid choice now is taken
    assert walk(flow, ctx, "1 9 9 9 7 7 2").last.state.vars == {"category": "luring"}


@pytest.mark.parametrize(
    ("script", "language", "node"),
    [
        ("-", "en", "language"),
        ("- -", "en", "main_menu"),
        ("3 3", "en", "main_menu"),
        ("- 2", "fr", "main_menu"),
        ("9 9 - 2", "fr", "main_menu"),
    ],
)
def test_language_menu_asks_once_more_then_english(
    flow: Flow, ctx: Context, script: str, language: str, node: str
) -> None:
    turn = walk(flow, ctx, script).last
    assert turn.state.language == language
    assert turn.state.node == node


def test_language_reprompt_is_bilingual(flow: Flow, ctx: Context) -> None:
    turn = walk(flow, ctx, "-").last
    assert said(turn) == [
        ("common.no_input", "en"),
        ("language.menu", "en"),
        ("common.no_input", "fr"),
        ("language.menu", "fr"),
    ]


@pytest.mark.parametrize(
    ("script", "node", "spoken"),
    [
        ("1 8", "info", ["info.about", "info.menu"]),
        ("1 8 9", "info", ["info.about", "info.menu"]),
        ("1 8 1", "main_menu", ["main.menu"]),
        ("1 8 -", "main_menu", ["main.menu"]),
        ("1 8 5", "main_menu", ["main.menu"]),
    ],
)
def test_information_has_a_way_back(
    flow: Flow, ctx: Context, script: str, node: str, spoken: list[str]
) -> None:
    turn = walk(flow, ctx, script).last
    assert turn.state.node == node
    assert turn.state.vars == {"info": "yes"}
    assert keys(turn) == spoken


def test_returning_to_a_menu_resets_its_retries(flow: Flow, ctx: Context) -> None:
    turn = walk(flow, ctx, "1 7 7 8 1 7 7").last
    assert turn.state.node == "main_menu"
    assert turn.state.retries == 2
    assert walk(flow, ctx, "1 7 7 8 1 7 7 3").last.state.vars == {
        "info": "yes",
        "category": "exploitation",
    }
