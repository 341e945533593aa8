"""Fuzzing the pure call engine with random walks through the default flow.

No app, no database: ``start``, then any inputs at all (keys of every kind, silence,
"hangup", recordings, dial outcomes, inputs of the wrong kind for the node) in any
context. Every turn must leave the call on a node of the flow with a sequence number
that never goes back, render to TwiML that Twilio accepts, and be re-presentable without
change; and a caller who stops choosing (silence, nonsense, empty messages) must reach
the end of the call within a bounded number of steps.
"""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from callflows import (
    BusinessHours,
    CallState,
    Context,
    Flow,
    Input,
    Turn,
    advance,
    load_flow,
    load_prompts,
    present,
    render,
    start,
)
from callflows.actions import Dial, Gather, Hangup, Record
from callflows.nodes import InputNode, MenuNode, NumberNode, RecordNode, TransferNode
from tests.fuzz.conftest import examples
from tests.fuzz.strategies import DIAL_STATUSES, PHONES, assert_valid_twiml, digits, odd_text

FLOW = load_flow()
PROMPTS = load_prompts()
BASE = "https://hotline.example.org"
VOICES = {"en-CA": "Polly.Joanna", "fr-CA": "Polly.Chantal"}
MAX_INPUT_SHOWN = 32  # the engine's bound on keys kept in an event
EVENT_LIMITS = {"node": 64, "prompt": 64, "input": 64, "outcome": 32}  # call_events columns
RECORDING_URL = "https://api.twilio.com/2010-04-01/Accounts/AC1/Recordings/RE1"

ALWAYS_OPEN = BusinessHours.parse("mon-sun 00:00-24:00", "America/Winnipeg")
hours = st.sampled_from(
    [
        ALWAYS_OPEN,
        ALWAYS_OPEN,
        BusinessHours.parse("", "America/Winnipeg"),
        BusinessHours.parse("mon-fri 09:00-17:00", "America/Winnipeg", ("2026-12-25",)),
    ]
)
contexts = st.builds(
    Context,
    now=st.datetimes(
        min_value=datetime(2000, 1, 1),
        max_value=datetime(2100, 1, 1),
        timezones=st.sampled_from([UTC, ZoneInfo("America/Winnipeg"), ZoneInfo("Asia/Kolkata")]),
    ),
    caller_number=st.one_of(st.none(), st.sampled_from(PHONES), odd_text),
    reference_number=st.text("0123456789", min_size=1, max_size=16),
    hours=hours,
    operator_numbers=st.sampled_from([(), ("+12045550100",), ("+12045550100", "+12045550101")]),
)
maybe_text = st.none() | odd_text
inputs = st.one_of(
    st.builds(Input.gather, digits),
    st.builds(Input.gather, st.none()),
    st.builds(
        Input.record,
        st.none() | st.just(RECORDING_URL) | odd_text,
        digits=st.none() | st.sampled_from(["#", "hangup", "1"]) | odd_text,
        recording_sid=maybe_text,
    ),
    st.builds(Input.dial, st.none() | st.sampled_from(DIAL_STATUSES) | odd_text),
    # every field filled, whatever the kind: the engine must read only what fits the node
    st.builds(
        Input,
        kind=st.sampled_from(["gather", "record", "dial"]),
        digits=maybe_text,
        recording_url=maybe_text,
        recording_sid=maybe_text,
        dial_status=maybe_text,
    ),
)


def input_nodes(flow: Flow) -> list[InputNode]:
    """The nodes that wait for the caller."""
    kinds = MenuNode | NumberNode | RecordNode | TransferNode
    return [node for node in flow.nodes.values() if isinstance(node, kinds)]


# A caller who stops choosing uses up every retry of every node once; the info menu can
# send them back to the main menu once more.
DRAIN_BOUND = 2 * sum(getattr(node, "retries", 0) + 1 for node in input_nodes(FLOW))


def check_turn(turn: Turn, ctx: Context, previous: CallState | None) -> None:
    """What every turn must be, whatever led to it."""
    state = turn.state
    assert state.node in FLOW.nodes
    assert CallState.from_dict(state.to_dict()) == state
    if previous is not None:
        assert state.seq >= previous.seq
        assert not previous.finished or state == previous
    for step in turn.events:
        assert step.node in FLOW.nodes and step.at == ctx.now
        for name, limit in EVENT_LIMITS.items():
            value = getattr(step, name)
            assert value is None or len(value) <= limit, (name, value)
        if step.input is not None:
            assert len(step.input) <= MAX_INPUT_SHOWN
            if FLOW.nodes[step.node].sensitive:
                assert set(step.input) <= {"*"}, "keys of a sensitive step were kept"
    if state.finished:
        assert isinstance(turn.actions[-1], Hangup)
    else:
        request = turn.actions[-1]
        assert isinstance(request, Gather | Record | Dial)
        assert (request.node, request.seq) == (state.node, state.seq)
        assert isinstance(FLOW.nodes[state.node], InputNode)
    assert_valid_twiml(render(turn, PROMPTS, base_url=BASE, voices=VOICES))


def check_present(state: CallState, ctx: Context) -> None:
    """Re-presenting a step changes nothing and asks for the same input again."""
    again = present(FLOW, state, ctx)
    assert again.state == state
    assert present(FLOW, state, ctx) == again
    check_turn(again, ctx, state)


def cooperative(state: CallState) -> st.SearchStrategy[Input]:
    """An answer that fits the step: an option, a number, a message, a dial outcome."""
    node = FLOW.nodes[state.node]
    if isinstance(node, MenuNode):
        return st.builds(Input.gather, st.sampled_from(sorted({*node.options, node.repeat_key})))
    if isinstance(node, NumberNode):
        numbers = ["1", "6132345678", "2045550123", "16135550142", "+16135550142", "555"]
        return st.builds(Input.gather, st.sampled_from(numbers))
    if isinstance(node, RecordNode):
        return st.builds(
            Input.record,
            st.just(RECORDING_URL) | st.none(),
            digits=st.sampled_from(["#", "hangup"]) | st.none(),
        )
    return st.builds(Input.dial, st.sampled_from(DIAL_STATUSES))


def next_input(state: CallState, data: st.DataObject) -> Input:
    """Mostly an answer that fits the step (so walks go deep), sometimes anything."""
    if state.finished:
        return data.draw(inputs, label="after the end")
    return data.draw(st.one_of(cooperative(state), cooperative(state), inputs), label="input")


def uncooperative(state: CallState, data: st.DataObject) -> Input:
    """An answer of the right kind that chooses nothing: silence, nonsense, no message."""
    node = FLOW.nodes[state.node]
    if isinstance(node, MenuNode):
        taken = {*node.options, node.repeat_key}
        nonsense = digits.filter(lambda d: d not in taken)
        return Input.gather(data.draw(st.none() | nonsense, label="silence or nonsense"))
    if isinstance(node, NumberNode):
        bad = st.sampled_from(["", "12", "*", "0000000000", "99999999999999999999999"])
        return Input.gather(data.draw(st.none() | bad, label="no number"))
    if isinstance(node, RecordNode):
        return Input.record(None, digits=data.draw(st.none() | st.just("#"), label="key"))
    status = data.draw(st.sampled_from(DIAL_STATUSES) | odd_text, label="dial status")
    return Input.dial(status)


ENGINE = settings(max_examples=examples(300), deadline=None)


@ENGINE
@given(ctx=contexts, steps=st.integers(0, 40), data=st.data())
def test_random_walks_stay_on_the_flow_and_end(
    ctx: Context, steps: int, data: st.DataObject
) -> None:
    turn = start(FLOW, ctx)
    check_turn(turn, ctx, None)
    visited = {turn.state.node}
    for _ in range(steps):
        check_present(turn.state, ctx)
        following = advance(FLOW, turn.state, next_input(turn.state, data), ctx)
        check_turn(following, ctx, turn.state)
        turn = following
        visited.add(turn.state.node)
    for node in sorted(visited):
        event(f"walk reached {node}")
    # The caller stops choosing: the call ends within a bounded number of steps.
    for _ in range(DRAIN_BOUND):
        if turn.state.finished:
            break
        following = advance(FLOW, turn.state, uncooperative(turn.state, data), ctx)
        check_turn(following, ctx, turn.state)
        assert following.state != turn.state, "an answer left the call where it was"
        turn = following
    assert turn.state.finished, f"still at {turn.state.node} after {DRAIN_BOUND} answers"
    check_present(turn.state, ctx)


@settings(ENGINE, max_examples=examples(150), suppress_health_check=[HealthCheck.too_slow])
@given(ctx=contexts, steps=st.integers(0, 40), later=contexts, data=st.data())
def test_replays_in_another_context_change_nothing(
    ctx: Context, steps: int, later: Context, data: st.DataObject
) -> None:
    """A webhook replayed later (other hours, clock, caller ID) re-presents the same step."""
    turn = start(FLOW, ctx)
    for _ in range(steps):
        turn = advance(FLOW, turn.state, next_input(turn.state, data), ctx)
        again = present(FLOW, turn.state, later)
        assert again.state == turn.state
        check_turn(again, later, turn.state)
