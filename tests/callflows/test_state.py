"""Call state: replays answered with present(), finished calls, persistence."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

import pytest

from callflows import (
    Action,
    BusinessHours,
    CallState,
    Context,
    Flow,
    Hangup,
    Input,
    advance,
    present,
)
from callflows.actions import Dial, Gather, Record
from tests.callflows.walk import walk

POINTS = [
    "",
    "1",
    "1 7",
    "2 9",
    "1 1 2",
    "1 1 2 empty",
    "1 1 2 rec 1",
    "1 1 2 rec 1 6132345678",
    "1 0",
]


def _request(actions: tuple[Action, ...]) -> Gather | Record | Dial:
    return next(a for a in actions if isinstance(a, Gather | Record | Dial))


@pytest.mark.parametrize("script", POINTS)
def test_present_repeats_the_request_without_changing_state(
    flow: Flow, ctx: Context, script: str
) -> None:
    state = walk(flow, ctx, script).last.state
    snapshot = state.to_dict()
    turn = present(flow, state, ctx)
    assert turn.state is state
    assert state.to_dict() == snapshot
    assert turn.events == ()
    request = _request(turn.actions)
    assert request.node == state.node
    assert request.seq == state.seq


@pytest.mark.parametrize("script", ["1 1 2 rec 2", "1 0 dial:completed", "1 1 2 hangup"])
def test_finished_calls_only_hang_up(flow: Flow, ctx: Context, script: str) -> None:
    state = walk(flow, ctx, script).last.state
    assert state.finished
    assert present(flow, state, ctx).actions == (Hangup(),)
    late = advance(flow, state, Input.gather("1"), ctx)
    assert late.actions == (Hangup(),)
    assert late.state is state
    assert late.events == ()


@pytest.mark.parametrize(
    ("script", "stray"),
    [
        ("1", Input.record("https://api.twilio.com/rec/RE1")),
        ("1 1 2", Input.gather("1")),
        ("1 0", Input.gather("1")),
        ("1", Input.dial("completed")),
    ],
)
def test_input_of_the_wrong_kind_is_treated_as_a_replay(
    flow: Flow, ctx: Context, script: str, stray: Input
) -> None:
    state = walk(flow, ctx, script).last.state
    turn = advance(flow, state, stray, ctx)
    assert turn.state is state
    assert turn == present(flow, state, ctx)


@pytest.mark.parametrize("script", [*POINTS, "1 1 2 rec 2"])
def test_state_round_trips_through_json(flow: Flow, ctx: Context, script: str) -> None:
    state = walk(flow, ctx, script).last.state
    data = json.loads(json.dumps(state.to_dict()))
    assert CallState.from_dict(data) == state


@pytest.mark.parametrize(
    "change",
    [
        {"seq": "3"},
        {"seq": -1},
        {"retries": True},
        {"language": "de"},
        {"vars": {"category": 3}},
        {"vars": []},
        {"finished": "no"},
        {"node": None},
    ],
)
def test_malformed_state_is_refused(change: dict[str, Any]) -> None:
    data = {**CallState(node="main_menu", seq=2).to_dict(), **change}
    with pytest.raises(ValueError, match="malformed"):
        CallState.from_dict(data)


def test_context_needs_an_aware_time_and_a_numeric_reference() -> None:
    hours = BusinessHours.parse()
    with pytest.raises(ValueError, match="timezone-aware"):
        Context(datetime(2026, 3, 4, 12, 0), None, "401", hours)
    with pytest.raises(ValueError, match="digits"):
        Context(datetime.fromisoformat("2026-03-04T12:00:00+00:00"), None, "R-401", hours)


def test_the_engine_never_mutates_the_state_it_is_given(flow: Flow, ctx: Context) -> None:
    state = walk(flow, ctx, "1 1").last.state
    before = state.to_dict()
    advance(flow, state, Input.gather("1"), ctx)
    assert state.to_dict() == before


def test_empty_digits_count_as_no_answer(flow: Flow, ctx: Context) -> None:
    state = walk(flow, ctx, "1").last.state
    turn = advance(flow, state, Input("gather", digits=""), ctx)
    assert [event.outcome for event in turn.events] == ["timeout"]
