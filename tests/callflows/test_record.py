"""The voicemail: recorded, empty (one re-offer), caller hung up."""

from __future__ import annotations

import pytest

from callflows import Context, Flow, Hangup, Input, advance
from callflows.actions import Record
from tests.callflows.walk import keys, walk

TO_MESSAGE = "1 1 2"


def test_message_node_asks_for_a_recording(flow: Flow, ctx: Context) -> None:
    turn = walk(flow, ctx, TO_MESSAGE).last
    assert turn.state.node == "message"
    assert keys(turn) == ["message.prompt"]
    record = turn.actions[-1]
    assert record == Record("message", turn.state.seq, 300, "#", 10, True)


@pytest.mark.parametrize(
    ("steps", "node", "message", "outcomes"),
    [
        ("rec", "callback", "recorded", ["recorded"]),
        ("rec#", "callback", "recorded", ["recorded"]),
        ("empty", "message", None, ["empty"]),
        ("empty rec", "callback", "recorded", ["empty", "recorded"]),
        ("empty empty", "callback", "none", ["empty", "default"]),
    ],
)
def test_recording_outcomes(
    flow: Flow,
    ctx: Context,
    steps: str,
    node: str,
    message: str | None,
    outcomes: list[str],
) -> None:
    call = walk(flow, ctx, f"{TO_MESSAGE} {steps}")
    state = call.last.state
    assert state.node == node
    assert state.vars.get("message") == message
    recorded = [e.outcome for e in call.events if e.node == "message" and e.outcome != "presented"]
    assert recorded == outcomes


def test_empty_recording_is_offered_again(flow: Flow, ctx: Context) -> None:
    before = walk(flow, ctx, TO_MESSAGE).last.state
    turn = walk(flow, ctx, f"{TO_MESSAGE} empty").last
    assert keys(turn) == ["message.empty", "message.prompt"]
    assert isinstance(turn.actions[-1], Record)
    assert turn.state.seq == before.seq + 1


@pytest.mark.parametrize(
    ("recording_url", "message"),
    [("https://api.twilio.com/rec/RE1", "recorded"), (None, None)],
)
def test_hanging_up_during_the_message_ends_the_call(
    flow: Flow, ctx: Context, recording_url: str | None, message: str | None
) -> None:
    state = walk(flow, ctx, TO_MESSAGE).last.state
    turn = advance(
        flow, state, Input.record(recording_url, digits="hangup", recording_sid="RE1"), ctx
    )
    assert turn.state.finished
    assert turn.state.node == "message"
    assert turn.state.vars.get("message") == message
    assert turn.actions == (Hangup(),)
    assert [e.outcome for e in turn.events] == ["hangup"]
