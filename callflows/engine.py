"""The call engine: given a flow, the call state, the caller's input and a context,
compute the next state, the steps taken and the actions to perform. No I/O, no clock.
"""

from __future__ import annotations

from dataclasses import replace

from callflows.actions import Action, Dial, Gather, Hangup, Pause, Record, Say
from callflows.flow import Flow, FlowError
from callflows.nodes import (
    CALLBACK_NUMBER_VAR,
    AnyNode,
    Choice,
    HangupNode,
    InputNode,
    MenuNode,
    NumberNode,
    RecordNode,
    SayNode,
    TransferNode,
)
from callflows.phone import parse_number, spoken_number
from callflows.prompts import spell_digits
from callflows.state import CallState, Context, Input, Outcome, StepEvent, Turn

ANSWERED = frozenset({"completed", "answered"})
MAX_CHAIN = 100
MAX_INPUT_SHOWN = 32


class _Builder:
    """Collects one turn: the evolving state, its events and its actions."""

    def __init__(self, flow: Flow, state: CallState, ctx: Context) -> None:
        self.flow, self.state, self.ctx = flow, state, ctx
        self.events: list[StepEvent] = []
        self.actions: list[Action] = []

    def set_var(self, name: str, value: str) -> None:
        self.state = replace(self.state, vars={**self.state.vars, name: value})

    def event(
        self, node: AnyNode, outcome: Outcome, digits: str | None = None, prompt: str = ""
    ) -> None:
        if digits is not None:  # bounded: a forged request could send anything
            digits = (
                "*" * min(len(digits), MAX_INPUT_SHOWN)
                if node.sensitive
                else digits[:MAX_INPUT_SHOWN]
            )
        prompt = prompt or ",".join(node.prompts)
        self.events.append(StepEvent(node.id, prompt, digits, outcome, self.ctx.now))

    def says(self, node: AnyNode, keys: tuple[str, ...]) -> tuple[Say | Pause, ...]:
        """Each key in the node's languages (the caller's by default), paused between."""
        params = self.params()
        spoken: list[Say | Pause] = []
        for language in node.languages or (self.state.language,):
            spoken += [Pause()] if spoken else []
            spoken += [Say(key, language, params) for key in keys]
        return tuple(spoken)

    def speak(self, node: AnyNode, keys: tuple[str, ...]) -> None:
        if keys:
            self.actions.extend(self.says(node, keys))

    def params(self) -> tuple[tuple[str, str], ...]:
        params = [("reference", spell_digits(self.ctx.reference_number))]
        number = self.state.vars.get(CALLBACK_NUMBER_VAR)
        if number:
            params.append(("number", spoken_number(number)))
        return tuple(params)

    def turn(self) -> Turn:
        return Turn(self.state, tuple(self.events), tuple(self.actions))


def start(flow: Flow, ctx: Context) -> Turn:
    """Answer a new call: run the flow from its start node up to the first input request."""
    builder = _Builder(flow, CallState(node=flow.start, language=flow.language), ctx)
    _enter(builder, flow.start)
    return builder.turn()


def advance(flow: Flow, state: CallState, inp: Input, ctx: Context) -> Turn:
    """Apply the caller's answer to `state.node` and run on to the next input request.

    Input of the wrong kind for the node (a stray webhook) re-presents the node.
    """
    if state.finished:
        return present(flow, state, ctx)
    node = flow.node(state.node)
    builder = _Builder(flow, state, ctx)
    digits = inp.digits or None  # Twilio may send Digits="" for "nothing pressed"
    if isinstance(node, MenuNode) and inp.kind == "gather":
        _menu_input(builder, node, digits)
    elif isinstance(node, NumberNode) and inp.kind == "gather":
        _number_input(builder, node, digits)
    elif isinstance(node, RecordNode) and inp.kind == "record":
        _record_input(builder, node, inp)
    elif isinstance(node, TransferNode) and inp.kind == "dial":
        _dial_input(builder, node, inp.dial_status)
    else:
        return present(flow, state, ctx)
    return builder.turn()


def present(flow: Flow, state: CallState, ctx: Context) -> Turn:
    """Ask again for the input `state` awaits, with the same seq; the state is unchanged.

    For replayed or out-of-order webhooks. A finished call only gets a hangup.
    """
    if state.finished:
        return Turn(state, (), (Hangup(),))
    node = flow.node(state.node)
    if isinstance(node, SayNode | HangupNode):
        raise FlowError(f"node {node.id!r} does not wait for input")
    builder = _Builder(flow, state, ctx)
    builder.actions.extend(_request_actions(builder, node, (), state.seq))
    return builder.turn()


def _enter(builder: _Builder, node_id: str | None) -> None:
    """Run nodes from `node_id` until one waits for input or the call ends."""
    for _ in range(MAX_CHAIN):
        if node_id is None:
            raise FlowError(f"node {builder.state.node!r} has no way on (see lint)")
        node = builder.flow.node(node_id)
        builder.state = replace(builder.state, node=node.id, retries=0)
        if isinstance(node, SayNode):
            builder.event(node, "presented")
            builder.speak(node, node.prompts)
            node_id = node.next
        elif isinstance(node, HangupNode):
            builder.event(node, "ended")
            builder.speak(node, node.prompts)
            builder.actions.append(Hangup())
            builder.state = replace(builder.state, finished=True)
            return
        elif isinstance(node, TransferNode) and not _can_transfer(builder.ctx):
            builder.set_var("transfer", "closed")
            builder.event(node, "transfer_closed", prompt=",".join(node.closed_prompts))
            builder.speak(node, node.closed_prompts)
            node_id = node.next
        else:
            builder.event(node, "presented", prompt=",".join(_prompts(builder, node)))
            _request(builder, node, ())
            return
    raise FlowError(f"more than {MAX_CHAIN} nodes without input: a loop (see lint)")


def _can_transfer(ctx: Context) -> bool:
    return bool(ctx.operator_numbers) and ctx.hours.is_open(ctx.now)


def _request(builder: _Builder, node: InputNode, lead: tuple[str, ...]) -> None:
    """Send a new input request for `node` (a new seq), `lead` prompts first."""
    seq = builder.state.seq + 1
    builder.state = replace(builder.state, node=node.id, seq=seq)
    builder.actions.extend(_request_actions(builder, node, lead, seq))


def _request_actions(
    builder: _Builder, node: InputNode, lead: tuple[str, ...], seq: int
) -> list[Action]:
    keys = lead + _prompts(builder, node)
    if isinstance(node, MenuNode):
        return [Gather(node.id, seq, builder.says(node, keys), 1, "", node.timeout)]
    if isinstance(node, NumberNode):
        return [Gather(node.id, seq, builder.says(node, keys), None, "#", node.timeout)]
    spoken = list(builder.says(node, keys)) if keys else []
    if isinstance(node, RecordNode):
        return [*spoken, Record(node.id, seq, node.max_length, node.finish_on_key, node.timeout)]
    return [*spoken, Dial(node.id, seq, builder.ctx.operator_numbers, node.timeout)]


def _prompts(builder: _Builder, node: InputNode) -> tuple[str, ...]:
    """The node's prompts; a number node without caller ID uses its withheld prompts."""
    if not isinstance(node, NumberNode) or not node.withheld_prompts:
        return node.prompts
    if parse_number(builder.ctx.caller_number, node.region) is None:
        return node.withheld_prompts
    return node.prompts


def _follow(builder: _Builder, node: AnyNode, choice: Choice | None) -> None:
    """Take a menu option or a default path: record its vars, then enter its target."""
    if choice is None:
        raise FlowError(f"node {node.id!r} has no on_fail path (see lint)")
    variables = {k: v for k, v in builder.state.vars.items() if k not in choice.clear}
    builder.state = replace(builder.state, vars={**variables, **dict(choice.assign)})
    if choice.language is not None:
        builder.state = replace(builder.state, language=choice.language)
    _enter(builder, choice.goto)


def _retry_or_fail(
    builder: _Builder,
    node: MenuNode | NumberNode,
    digits: str | None,
    outcome: Outcome,
    prompt: str,
) -> None:
    """Re-prompt (prefixed by `prompt`) while retries last, then take on_fail."""
    if builder.state.retries < node.retries:
        builder.event(node, outcome, digits, prompt=",".join(_prompts(builder, node)))
        builder.state = replace(builder.state, retries=builder.state.retries + 1)
        _request(builder, node, (prompt,))
    else:
        builder.event(node, "default", digits, prompt=",".join(_prompts(builder, node)))
        _follow(builder, node, node.on_fail)


def _menu_input(builder: _Builder, node: MenuNode, digits: str | None) -> None:
    if digits is None:
        _retry_or_fail(builder, node, None, "timeout", node.no_input_prompt)
    elif digits == node.repeat_key:
        builder.event(node, "repeat", digits)
        _request(builder, node, ())
    elif digits in node.options:
        builder.event(node, "operator" if digits == node.operator_key else "chosen", digits)
        _follow(builder, node, node.options[digits])
    else:
        _retry_or_fail(builder, node, digits, "invalid", node.invalid_prompt)


def _number_input(builder: _Builder, node: NumberNode, digits: str | None) -> None:
    if digits is None:
        _retry_or_fail(builder, node, None, "timeout", node.no_input_prompt)
        return
    own = digits == node.own_number_key
    text = builder.ctx.caller_number if own else digits
    number = parse_number(text, node.region) if text and text.lstrip("+").isdigit() else None
    if number is None:
        prompt = node.unavailable_prompt if own else node.invalid_prompt
        _retry_or_fail(builder, node, digits, "invalid", prompt)
        return
    builder.event(node, "chosen", digits, prompt=",".join(_prompts(builder, node)))
    builder.set_var(CALLBACK_NUMBER_VAR, number)
    _enter(builder, node.next)


def _record_input(builder: _Builder, node: RecordNode, inp: Input) -> None:
    if inp.recording_url:
        builder.set_var("message", "recorded")
    if inp.digits == "hangup":
        builder.event(node, "hangup", inp.digits)
        builder.actions.append(Hangup())
        builder.state = replace(builder.state, finished=True)
    elif inp.recording_url:
        builder.event(node, "recorded", inp.digits)
        _enter(builder, node.next)
    elif builder.state.retries < node.retries:
        builder.event(node, "empty", inp.digits)
        builder.state = replace(builder.state, retries=builder.state.retries + 1)
        _request(builder, node, (node.empty_prompt,))
    else:
        builder.event(node, "default", inp.digits)
        builder.set_var("message", "none")
        _enter(builder, node.next)


def _dial_input(builder: _Builder, node: TransferNode, status: str | None) -> None:
    if status in ANSWERED:
        builder.set_var("transfer", "answered")
        builder.event(node, "transfer_answered", status)
        _enter(builder, node.answered)
    else:
        builder.set_var("transfer", "unanswered")
        builder.event(node, "transfer_unanswered", status, ",".join(node.unanswered_prompts))
        builder.speak(node, node.unanswered_prompts)
        _enter(builder, node.next)
