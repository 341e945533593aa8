"""The callback number: own number, keyed digits, read-back, and never logged."""

from __future__ import annotations

import pytest

from callflows import Context, Flow, Say
from callflows.actions import Gather
from tests.callflows.conftest import CALLER, make_context
from tests.callflows.walk import keys, walk

TO_NUMBER = "1 1 2 rec 1"  # English, csam, no danger, a message, "leave a number"


@pytest.mark.parametrize(
    ("caller", "prompt"),
    [
        (CALLER, "number.prompt"),
        (None, "number.prompt_withheld"),
        ("anonymous", "number.prompt_withheld"),
    ],
)
def test_number_prompt_offers_own_number_only_with_caller_id(
    flow: Flow, caller: str | None, prompt: str
) -> None:
    turn = walk(flow, make_context(caller_number=caller), TO_NUMBER).last
    assert turn.state.node == "callback_number"
    assert keys(turn) == [prompt]
    gather = turn.actions[-1]
    assert isinstance(gather, Gather)
    assert (gather.num_digits, gather.finish_on_key) == (None, "#")


@pytest.mark.parametrize(
    ("caller", "entry", "expected"),
    [
        (CALLER, "1", CALLER),
        (None, "6132345678", "+16132345678"),
        (CALLER, "6132345678", "+16132345678"),
        (CALLER, "16132345678", "+16132345678"),
        (CALLER, "2045551234", "+12045551234"),
        (CALLER, "8005551212", "+18005551212"),
    ],
)
def test_valid_numbers_are_read_back(
    flow: Flow, caller: str | None, entry: str, expected: str
) -> None:
    turn = walk(flow, make_context(caller_number=caller), f"{TO_NUMBER} {entry}").last
    assert turn.state.node == "callback_confirm"
    assert turn.state.vars["callback_number"] == expected
    assert keys(turn) == ["number.confirm"]
    gather = turn.actions[-1]
    assert isinstance(gather, Gather)
    say = gather.says[0]
    assert isinstance(say, Say)
    national = expected.removeprefix("+1")
    assert dict(say.params)["number"] == ", ".join(national)


@pytest.mark.parametrize(
    ("caller", "entry", "spoken"),
    [
        (None, "1", ["number.unavailable", "number.prompt_withheld"]),
        ("+1555", "1", ["number.unavailable", "number.prompt_withheld"]),
        (CALLER, "1234567890", ["number.invalid", "number.prompt"]),
        (CALLER, "12345", ["number.invalid", "number.prompt"]),
        (CALLER, "613234567899999", ["number.invalid", "number.prompt"]),
        (CALLER, "613*345678", ["number.invalid", "number.prompt"]),
        (CALLER, "-", ["common.no_input", "number.prompt"]),
    ],
)
def test_unusable_numbers_reprompt(
    flow: Flow, caller: str | None, entry: str, spoken: list[str]
) -> None:
    turn = walk(flow, make_context(caller_number=caller), f"{TO_NUMBER} {entry}").last
    assert turn.state.node == "callback_number"
    assert turn.state.retries == 1
    assert "callback_number" not in turn.state.vars
    assert keys(turn) == spoken


def test_three_bad_numbers_leave_the_caller_anonymous(flow: Flow, ctx: Context) -> None:
    turn = walk(flow, ctx, f"{TO_NUMBER} 12345 - 999").last
    assert turn.state.finished
    assert turn.state.vars["callback"] == "anonymous"
    assert "callback_number" not in turn.state.vars


@pytest.mark.parametrize(
    ("after", "node", "callback", "number"),
    [
        ("6132345678 1", "close", "number", "+16132345678"),
        ("6132345678 2", "callback_number", None, None),
        ("6132345678 2 2042345678 1", "close", "number", "+12042345678"),
        ("6132345678 2 1 1", "close", "number", CALLER),
        ("6132345678 - - -", "close", "unconfirmed", "+16132345678"),
        ("6132345678 9 1", "close", "number", "+16132345678"),
    ],
)
def test_read_back_confirm_or_enter_again(
    flow: Flow, ctx: Context, after: str, node: str, callback: str | None, number: str | None
) -> None:
    state = walk(flow, ctx, f"{TO_NUMBER} {after}").last.state
    assert state.node == node
    assert state.vars.get("callback") == callback
    assert state.vars.get("callback_number") == number


@pytest.mark.parametrize(
    ("after", "masked"),
    [
        ("1 2 6132345678 1", ["*", "*" * 10]),
        ("6132345678 2 16132345678 1", ["*" * 10, "*" * 11]),
        ("12345 6132345678 1", ["*****", "*" * 10]),
        ("- 6132345678 2 1 1", ["*" * 10, "*"]),
    ],
)
def test_the_number_never_appears_in_events(
    flow: Flow, ctx: Context, after: str, masked: list[str]
) -> None:
    call = walk(flow, ctx, f"{TO_NUMBER} {after}")
    assert call.last.state.finished
    number_events = [event for event in call.events if event.node == "callback_number"]
    assert [e.input for e in number_events if e.input is not None] == masked
    texts = " ".join(str(event) for event in call.events)
    for secret in ("6132345678", "613", "6135550123", "+1"):
        assert secret not in texts
